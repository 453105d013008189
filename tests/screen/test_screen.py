"""Ratio search and pair screening on hand-made phase sets (fixed formation enthalpies)."""

from tests_support import fixed_result

from screening.screen.criteria import RankingCriteria
from screening.screen.documents import Pair, RunProvenance
from screening.screen.hydrogen import HydrogenStorageScreen, analyse_pair, candidate_ratios
from screening.thermo.model import ComputedPhases
from screening.thermo.phase_set import PhaseSet

FORMATION_EV = {"MgH2": -0.79, "Mg2Si": -0.80, "LiH": -0.94, "LiBH4": -1.97, "MgB2": -0.95}


def phase_set(*names: str) -> PhaseSet:
    return PhaseSet.of(fixed_result(n, FORMATION_EV.get(n, 0.0)) for n in names)


def test_mgh2_si_ratio_candidates_include_the_mg2si_stoichiometry():
    ratios = candidate_ratios("MgH2", "Si", phase_set("H2", "Mg", "Si", "MgH2", "Mg2Si"), None)
    assert 0.5 in ratios


def test_analyse_pair_keeps_the_ratio_whose_first_step_is_closest_to_the_window():
    pair = analyse_pair(
        Pair("MgH2", "Si"), phase_set("H2", "Mg", "Si", "MgH2", "Mg2Si"), None, RankingCriteria(), [0.25, 0.5, 1.0]
    )
    assert pair.best_ratio == 0.5
    assert set(pair.path.first_release.products) == {"Mg2Si"}


def test_inert_additive_falls_back_to_one_to_one_and_is_flagged():
    pair = analyse_pair(Pair("MgH2", "Cu"), phase_set("H2", "Mg", "Cu", "MgH2"), None, RankingCriteria())
    assert pair.ratios_tried == [1.0]
    assert "additive_inert" in pair.path.first_release.flags


def test_finished_screen_puts_the_destabilized_mixture_first():
    screen = HydrogenStorageScreen(["MgH2"], ["Si", "Cu"])
    computed = ComputedPhases(phase_set("H2", "Mg", "Si", "Cu", "MgH2", "Mg2Si"), None)
    outcomes = [screen.analyse(pair, computed) for pair in screen.targets()]
    run = screen.finish(outcomes, {}, RunProvenance.new(screen, "fixed"))
    assert [c.additive for c in run.ranked.candidates] == ["Si", "Cu"]
    assert {r.additive for r in run.reactions} == {"Si", "Cu"}


def test_duplicate_hosts_and_additives_give_each_pair_once_with_its_intended_reaction():
    screen = HydrogenStorageScreen(
        ["MgH2", "MgH2"], ["Si", "Si", "MgH2", "Cu"], intended={"MgH2 + Si": "2 MgH2 + Si -> Mg2Si + 2 H2"}
    )
    assert screen.targets() == [Pair("MgH2", "Si", "2 MgH2 + Si -> Mg2Si + 2 H2"), Pair("MgH2", "Cu")]


def test_libh4_mgh2_ratio_candidates_include_the_mgb2_stoichiometry():
    ps = phase_set("H2", "Li", "Mg", "B", "LiH", "MgH2", "LiBH4", "MgB2")
    assert 0.5 in candidate_ratios("LiBH4", "MgH2", ps, None)
