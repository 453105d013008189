"""Ratio search and pair screening on hand-made phase sets (fixed formation enthalpies)."""

import pytest
from tests_support import fixed_result

from screening.screen.hydrogen import candidate_ratios, results_of, screen_pair
from screening.screen.ranking import RankingCriteria, rank_candidates
from screening.thermo.phase_set import PhaseSet
from structures.candidates import phases_for_system

FORMATION_EV = {"MgH2": -0.79, "Mg2Si": -0.80, "LiH": -0.94, "LiBH4": -1.97, "MgB2": -0.95}


def phase_set(*names: str) -> PhaseSet:
    return PhaseSet.of(fixed_result(n, FORMATION_EV.get(n, 0.0)) for n in names)


def test_mgh2_si_ratio_candidates_include_the_mg2si_stoichiometry():
    ratios = candidate_ratios("MgH2", "Si", phase_set("H2", "Mg", "Si", "MgH2", "Mg2Si"), None)
    assert 0.5 in ratios


def test_screen_pair_keeps_the_ratio_whose_first_step_is_closest_to_the_window():
    pair = screen_pair(
        "MgH2", "Si", phase_set("H2", "Mg", "Si", "MgH2", "Mg2Si"), None, RankingCriteria(), ratios=[0.25, 0.5, 1.0]
    )
    assert pair.best_ratio == 0.5
    assert set(pair.path.first_release.products) == {"Mg2Si"}


def test_inert_additive_falls_back_to_one_to_one_and_is_flagged():
    pair = screen_pair("MgH2", "Cu", phase_set("H2", "Mg", "Cu", "MgH2"), None, RankingCriteria())
    assert pair.ratios_tried == [1.0]
    assert "additive_inert" in pair.path.first_release.flags


def test_ranked_pairs_put_the_destabilized_mixture_first():
    ps = phase_set("H2", "Mg", "Si", "Cu", "MgH2", "Mg2Si")
    pairs = [screen_pair("MgH2", a, ps, None, RankingCriteria()) for a in ("Si", "Cu")]
    ranked = rank_candidates(results_of(pairs), RankingCriteria())
    assert [c.additive for c in ranked.candidates] == ["Si", "Cu"]


def test_phase_set_of_mgh2_ni_includes_library_and_generated_candidates():
    names = {p.name for p in phases_for_system("MgH2", "Ni")}
    assert {"Mg2Ni", "Mg2NiH4", "MgH2", "Ni"} <= names
    assert any(n.endswith("-C15") for n in names)
    assert "NiH-rocksalt" in names


def test_generated_polymorphs_of_one_formula_all_compete():
    names = {p.name for p in phases_for_system("MgH2", "Al")}
    assert {"MgAl2-C15", "MgAl2-C14"} <= names and {"NiH2-fluorite", "NiH2-rutile"} <= {
        p.name for p in phases_for_system("MgH2", "Ni")
    }


def test_a_formula_the_library_knows_is_not_generated_again():
    names = {p.name for p in phases_for_system("MgH2", "CaH2")}
    assert "CaMg2" in names and not any(n.startswith("CaMg2-") for n in names)


@pytest.mark.parametrize(("host", "additive"), [("LiBH4", "Cr"), ("LiBH4", "CaH2")])
def test_borohydride_systems_get_diboride_candidates(host, additive):
    names = {p.formula for p in phases_for_system(host, additive)}
    assert {"CrB2"} <= names or {"CaB6"} <= names


def test_libh4_mgh2_ratio_candidates_include_the_mgb2_stoichiometry():
    ps = phase_set("H2", "Li", "Mg", "B", "LiH", "MgH2", "LiBH4", "MgB2")
    assert 0.5 in candidate_ratios("LiBH4", "MgH2", ps, None)


def test_alkali_metals_get_no_diboride_or_laves_candidates():
    formulas = {p.formula for p in phases_for_system("LiBH4", "Ni")}
    assert "LiB2" not in formulas and not any("Li" in f and "Ni" in f for f in formulas)
    assert "NiB2" in formulas
