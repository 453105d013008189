"""Thermodynamic release paths on hand-made phase sets whose answers are worked out by hand.

Energies are fixed formation enthalpies (eV per formula unit, close to experiment), structures are the
library's, so the solver, not a model, is what is tested."""

import pytest
from tests_support import fixed_result

from screening.errors import ConfigError, HydrideScreenError, UnbalancedReactionError
from screening.reactions.release_path import Mixture, analyse_mixture, release_path
from screening.reactions.result import ReactionFlag, mixture_label
from screening.thermo.phase_set import PhaseSet
from screening.units import EV_TO_KJ_PER_MOL

FORMATION_EV = {"MgH2": -0.79, "LiH": -0.94, "LiBH4": -1.97, "MgB2": -0.95, "Mg2Si": -0.80, "CaH2": -1.80}


def phase_set(*names: str) -> PhaseSet:
    return PhaseSet.of(fixed_result(n, FORMATION_EV.get(n, 0.0)) for n in names)


def kj(ev: float) -> float:
    return ev * EV_TO_KJ_PER_MOL


def test_mgh2_alone_releases_all_hydrogen_in_one_step():
    path = release_path(Mixture("MgH2"), phase_set("H2", "Mg", "MgH2"))
    (step,) = path.steps
    assert step.products == ["Mg"] and step.h2_released_mol == pytest.approx(1.0)
    assert step.dh_kj_per_mol_h2 == pytest.approx(kj(0.79))
    assert step.h2_wt_pct == pytest.approx(7.66, abs=0.01)
    assert ReactionFlag.STATIC_ENERGIES_ONLY in step.flags


def test_mgh2_si_first_step_forms_mg2si_at_half_the_enthalpy():
    path = release_path(Mixture("MgH2", "Si", 0.5), phase_set("H2", "Mg", "Si", "MgH2", "Mg2Si"))
    first = path.first_release
    assert set(first.products) == {"Mg2Si"} and set(first.reactants) == {"MgH2", "Si"}
    # MgH2 + 0.5 Si -> 0.5 Mg2Si + H2: 0.5 (-0.80) - (-0.79) = 0.39 eV per H2
    assert first.dh_kj_per_mol_h2 == pytest.approx(kj(0.39))
    assert first.t_1bar_k < release_path(Mixture("MgH2"), phase_set("H2", "Mg", "MgH2")).steps[0].t_1bar_k


def test_libh4_mgh2_first_step_forms_mgb2_not_mg_nor_boron():
    names = ("H2", "Li", "Mg", "B", "LiH", "MgH2", "LiBH4", "MgB2")
    path = release_path(Mixture("LiBH4", "MgH2", 0.5), phase_set(*names))
    first = path.first_release
    assert set(first.products) == {"LiH", "MgB2"}
    # LiBH4 + 0.5 MgH2 -> LiH + 0.5 MgB2 + 2 H2: (-0.94 - 0.475 + 1.97 + 0.395) / 2 eV per H2
    assert first.dh_kj_per_mol_h2 == pytest.approx(kj(0.475))
    assert first.h2_released_mol == pytest.approx(2.0)
    # the LiH left over releases last, at 2 x 0.94 eV per H2
    assert path.steps[-1].reactants == ["LiH"] and path.steps[-1].dh_kj_per_mol_h2 == pytest.approx(kj(1.88))


def test_mixture_that_reacts_without_hydrogen_is_flagged():
    # MgH2 + 2 Li -> Mg + 2 LiH releases no H2 and gains 2(-0.94) - (-0.79) = -1.09 eV
    path = analyse_mixture(Mixture("MgH2", "Li", 2.0), phase_set("H2", "Li", "Mg", "LiH", "MgH2"))
    assert ReactionFlag.EXOTHERMIC_WITHOUT_H2 in path.flags
    assert path.pre_reaction_kj_per_mol_host == pytest.approx(kj(-1.09))
    assert "LiH" in path.pre_reaction.split("->")[1]


def test_additive_without_any_compound_is_inert():
    path = analyse_mixture(Mixture("MgH2", "Cu", 0.5), phase_set("H2", "Mg", "Cu", "MgH2"))
    assert ReactionFlag.ADDITIVE_INERT in path.flags
    assert path.first_release.dh_kj_per_mol_h2 == pytest.approx(kj(0.79))


def test_intended_reaction_naming_an_uncomputed_phase_is_flagged():
    path = analyse_mixture(
        Mixture("LiBH4", "MgH2", 0.5),
        phase_set("H2", "Li", "Mg", "B", "LiH", "MgH2", "LiBH4"),
        intended_reaction="2 LiBH4 + MgH2 -> 2 LiH + MgB2 + 4 H2",
    )
    assert ReactionFlag.UNKNOWN_PHASES_MISSING in path.flags
    assert ReactionFlag.INTENDED_REACTION_NOT_ON_PATH in path.flags


def test_intended_reaction_on_the_path_is_not_flagged():
    path = analyse_mixture(
        Mixture("LiBH4", "MgH2", 0.5),
        phase_set("H2", "Li", "Mg", "B", "LiH", "MgH2", "LiBH4", "MgB2"),
        intended_reaction="2 LiBH4 + MgH2 -> 2 LiH + MgB2 + 4 H2",
    )
    assert ReactionFlag.INTENDED_REACTION_NOT_ON_PATH not in path.flags
    assert ReactionFlag.ADDITIVE_INERT not in path.flags


def test_intended_reaction_that_cannot_be_balanced_is_an_error():
    with pytest.raises(UnbalancedReactionError):
        analyse_mixture(Mixture("MgH2"), phase_set("H2", "Mg", "MgH2"), intended_reaction="MgH2 -> Mg2Si + H2")


def test_negative_ratio_is_a_config_error():
    with pytest.raises(ConfigError, match="must not be negative"):
        Mixture("MgH2", "Si", -1.0)


def test_volume_change_of_mgh2_desorption_is_the_ratio_of_formula_volumes():
    step = release_path(Mixture("MgH2"), phase_set("H2", "Mg", "MgH2")).steps[0]
    mg, mgh2 = fixed_result("Mg"), fixed_result("MgH2")
    expected = 100 * (mg.volume_per_formula_unit_a3 / mgh2.volume_per_formula_unit_a3 - 1)
    assert step.volume_change_pct == pytest.approx(expected)
    assert step.volume_change_pct == pytest.approx(-23.9, abs=0.1)  # 23.24 A^3 (Mg) vs 30.53 A^3 (MgH2)


def test_mixture_from_reactants_only_gives_host_additive_and_ratio():
    assert Mixture.from_text("2 LiBH4 + MgH2") == Mixture("LiBH4", "MgH2", 0.5)
    assert Mixture.from_text("MgH2") == Mixture("MgH2")


@pytest.mark.parametrize("text", ["2 LiBH4 + MgH2 + Si", "-1 MgH2 + Si", "two MgH2 + Si"])
def test_unreadable_mixture_text_is_an_error_naming_it(text):
    with pytest.raises(HydrideScreenError, match="MgH2"):
        Mixture.from_text(text)


def test_solid_hydrogen_is_never_a_product_even_when_the_model_binds_it():
    results = [fixed_result("H2"), fixed_result("H2-solid", -0.05), fixed_result("Mg"), fixed_result("MgH2", -0.79)]
    (step,) = release_path(Mixture("MgH2"), PhaseSet.of(results)).steps
    assert step.products == ["Mg"] and step.h2_released_mol == pytest.approx(1.0)


def test_mgh2_volumetric_capacity_is_about_110_kg_per_m3():
    # 2.016 g H2 per 30.53 A^3 of MgH2 (rutile, 61.07 A^3 per 2 f.u.) = 109.6 kg/m^3
    step = release_path(Mixture("MgH2"), phase_set("H2", "Mg", "MgH2")).steps[0]
    assert step.h2_kg_per_m3 == pytest.approx(109.6, abs=0.3)


@pytest.mark.parametrize(
    ("ratio", "label"),
    [(0.5, "LiBH4 + 0.5 CaH2"), (1 / 6, "LiBH4 + 1/6 CaH2"), (2 / 3, "LiBH4 + 2/3 CaH2"),
     (0.1234, "LiBH4 + 0.1234 CaH2"), (2.0, "LiBH4 + 2 CaH2"), (0.0, "LiBH4")],
)  # fmt: skip
def test_mixture_labels_write_thirds_and_sixths_as_fractions(ratio, label):
    assert mixture_label("LiBH4", "CaH2", ratio) == label


def test_a_step_forming_a_prototype_generated_phase_is_flagged_hypothetical():
    phases = phase_set("H2", "Mg", "Si", "MgH2", "Mg2Si")
    phases.get("Mg2Si").generated = True
    first = release_path(Mixture("MgH2", "Si", 0.5), phases).first_release
    assert ReactionFlag.HYPOTHETICAL_PRODUCT in first.flags
    alone = release_path(Mixture("MgH2"), phases).first_release
    assert ReactionFlag.HYPOTHETICAL_PRODUCT not in alone.flags


def test_a_step_through_a_searched_or_model_structure_says_so_on_either_side():
    phases = phase_set("H2", "Mg", "Si", "MgH2", "Mg2Si")
    phases.get("MgH2").computed_structure = True  # a reactant
    assert ReactionFlag.COMPUTED_STRUCTURE in release_path(Mixture("MgH2", "Si", 0.5), phases).first_release.flags
    phases.get("MgH2").computed_structure, phases.get("Mg2Si").computed_structure = False, True  # a product
    assert ReactionFlag.COMPUTED_STRUCTURE in release_path(Mixture("MgH2", "Si", 0.5), phases).first_release.flags
    assert ReactionFlag.COMPUTED_STRUCTURE not in release_path(Mixture("MgH2"), phases).first_release.flags


def test_searched_and_model_library_phases_are_computed_structures_and_measured_ones_are_not():
    from screening.energy.phase_results import phase_result_from_relaxation
    from screening.energy.relax import RelaxSettings, relax_phase
    from screening.energy.sources import EnergySource
    from structures.library import get_phase

    lennard_jones = EnergySource("ase.calculators.lj:LennardJones")  # any element: a single point is enough here
    single_point = RelaxSettings(fmax_ev_per_a=1e3, max_stress_gpa=1e6, relax_cell=False)
    for name, computed in (("Li2NH", True), ("Mg(NH2)2", True), ("LiNH2", False), ("MgH2", False)):
        phase = get_phase(name)  # searched, model, measured, measured
        result = phase_result_from_relaxation(phase, relax_phase(phase, lennard_jones, single_point))
        assert result.computed_structure is computed, name
