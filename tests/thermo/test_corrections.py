"""The fitted correction scheme: environment classification, recovery of known terms, uncertainty."""

import pytest
from tests_support import fixed_result

from screening.reactions.release_path import Mixture, release_path
from screening.reactions.result import ReactionFlag
from screening.thermo.corrections import (
    CorrectionScheme,
    correction_features,
    fit_corrections,
    load_training_set,
    prior_sigma_ev,
)
from screening.thermo.phase_set import PhaseSet
from screening.thermo.thermochemistry import Thermochemistry, ThermochemistryMode
from screening.units import EV_TO_KJ_PER_MOL


def test_hydrogen_environments_are_told_apart_from_structure():
    assert correction_features(fixed_result("MgH2", 0.0)) == {"H:hydride": 2.0, "mu:Mg": 1.0}
    assert correction_features(fixed_result("LiBH4", 0.0)) == {"H:B-H": 4.0, "mu:Li": 1.0}
    assert correction_features(fixed_result("LiAlH4", 0.0)) == {"H:Al-H": 4.0, "mu:Li": 1.0, "mu:Al": 1.0}
    assert correction_features(fixed_result("LiNH2", 0.0)) == {"H:N-H": 2.0, "mu:Li": 1.0}
    assert correction_features(fixed_result("MgB2", 0.0)) == {"B:boride": 2.0, "mu:Mg": 1.0}
    assert correction_features(fixed_result("Mg", 0.0)) == {}


TRUE_TERMS_EV = {"H:hydride": -0.05, "H:B-H": 0.04, "B:boride": -0.10, "mu:Mg": 0.02}


def synthetic_phase_set() -> PhaseSet:
    """Elements at zero energy; each compound's energy is its experimental formation enthalpy minus the
    true correction, so a perfect fit recovers TRUE_TERMS_EV exactly."""
    compounds = ["MgH2", "LiH", "NaH", "KH", "CaH2", "LiBH4", "NaBH4", "KBH4", "MgB2", "TiB2", "CrB2", "Mg2Si"]
    training = {t.phase: t.dhf_kj_per_mol / EV_TO_KJ_PER_MOL for t in load_training_set()}
    results = [fixed_result(n, 0.0) for n in ["H2", "Mg", "Li", "Na", "K", "Ca", "B", "Ti", "Cr", "Si"]]
    for name in compounds:
        result = fixed_result(name, 0.0)
        result.energy_per_formula_unit_ev = training[name] - sum(
            TRUE_TERMS_EV.get(term, 0.0) * n for term, n in correction_features(result).items()
        )
        results.append(result)
    return PhaseSet.of(results)


def test_fit_recovers_known_terms_on_synthetic_data():
    scheme = fit_corrections(synthetic_phase_set(), load_training_set())
    fitted = dict(zip(scheme.terms, scheme.values_ev, strict=True))
    for term, value in TRUE_TERMS_EV.items():
        assert fitted[term] == pytest.approx(value, abs=0.01), term


def test_corrected_formation_enthalpy_matches_experiment_on_synthetic_data():
    phase_set = synthetic_phase_set()
    scheme = fit_corrections(phase_set, load_training_set())
    mgb2 = phase_set.get("MgB2")
    corrected = phase_set.formation_enthalpy_ev_per_formula_unit(mgb2) + scheme.correction_ev(mgb2)
    assert corrected * EV_TO_KJ_PER_MOL == pytest.approx(-91.96, abs=1.5)


def test_term_without_training_data_keeps_its_prior_width_as_sigma():
    phase_set = synthetic_phase_set()
    scheme = fit_corrections(phase_set, load_training_set(), terms=[*TRUE_TERMS_EV, "H:N-H"])
    assert scheme.sigmas_ev["H:N-H"] == pytest.approx(0.3, rel=1e-3)
    assert scheme.sigmas_ev["H:B-H"] < 0.05


def test_leaving_out_compounds_removes_them_from_the_fit():
    scheme = fit_corrections(synthetic_phase_set(), load_training_set(), exclude_formulas={"MgB2", "LiBH4"})
    assert "MgB2" not in scheme.training_phases and "LiBH4" not in scheme.training_phases
    assert "NaBH4" in scheme.training_phases


def test_training_set_states_a_source_for_every_compound():
    training = load_training_set()
    assert len(training) >= 20
    assert all(t.source for t in training)


def scheme_without(term: str, known: dict[str, float]) -> CorrectionScheme:
    """A scheme whose fitted terms are `known` (exact: no covariance, no scatter), so any sigma comes from the
    prior of terms it lacks."""
    return CorrectionScheme(
        terms=list(known), values_ev=list(known.values()), covariance_ev2=[[0.0] * len(known) for _ in known],
        model_sigma_ev_per_atom=0.0, energy_source_id="fixed", with_vibrations=False, training_phases=[],
    )  # fmt: skip


def test_a_term_without_training_data_enters_sigma_with_its_prior_width_times_its_count():
    mg2feh6 = fixed_result("Mg2FeH6", 0.0)  # H:TM-H 6, mu:Mg 2, mu:Fe 1
    scheme = scheme_without("H:TM-H", {"mu:Mg": 0.0, "mu:Fe": 0.0})
    assert scheme.uncalibrated_terms([(1.0, mg2feh6)]) == {"H:TM-H": 6.0}
    assert scheme.sigma_ev([(1.0, mg2feh6)]) == pytest.approx(6 * prior_sigma_ev("H:TM-H"))
    assert scheme.correction_ev(mg2feh6) == 0.0  # its value stays at the prior's zero


def test_an_uncalibrated_term_that_cancels_in_a_reaction_adds_nothing():
    scheme = scheme_without("H:TM-H", {"mu:Mg": 0.0, "mu:Fe": 0.0})
    mg2feh6 = fixed_result("Mg2FeH6", 0.0)
    assert scheme.uncalibrated_terms([(1.0, mg2feh6), (-1.0, mg2feh6)]) == {}
    assert scheme.sigma_ev([(1.0, mg2feh6), (-1.0, mg2feh6)]) == 0.0


def test_a_release_step_on_uncalibrated_chemistry_is_flagged_with_the_honest_sigma():
    phases = PhaseSet.of([fixed_result(n, 0.0) for n in ("H2", "Mg", "Fe", "MgH2")] + [fixed_result("Mg2FeH6", -2.0)])
    scheme = scheme_without("H:TM-H", {"mu:Mg": 0.0, "mu:Fe": 0.0, "H:hydride": 0.0})
    path = release_path(Mixture("Mg2FeH6"), phases, Thermochemistry(ThermochemistryMode.MODEL_ONLY, scheme))
    (step,) = [s for s in path.steps if "Fe" in s.products]
    assert ReactionFlag.UNCALIBRATED_CHEMISTRY.value in step.flags and step.uncalibrated_terms == ["H:TM-H"]
    # the step consumes the one Mg2FeH6 of the mixture: six H in Fe-H bonds, each carrying the prior's width
    expected_kj = 6 * prior_sigma_ev("H:TM-H") * EV_TO_KJ_PER_MOL / step.h2_released_mol
    assert step.sigma_kj_per_mol_h2 == pytest.approx(expected_kj)
