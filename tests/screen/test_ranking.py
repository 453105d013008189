"""Ranking of host + additive candidates: window, capacity, volume and flag terms, filters, tie-breaks, missing data,
the Pareto front, explanations and round trips, on hand-made results with known numbers."""

import json
import math
import random
import re

import pytest
from scipy.constants import zero_Celsius
from tests_support import release_step as result

from screening.errors import ConfigError
from screening.reactions.result import ReactionFlag
from screening.screen.criteria import CapacityTerm, FlagTerm, RankingCriteria, VolumeTerm, WindowTerm
from screening.screen.ranking import RankedList, rank_candidates

CRITERIA = RankingCriteria()  # window 233.15 K to 358.15 K
INSIDE_K = 300.0
ABOVE_K = CRITERIA.t_max_k + 20.0  # 20 K outside the window


def labels(ranked: RankedList) -> list[str]:
    return [c.label for c in ranked.candidates]


def test_default_window_is_minus_40_to_85_celsius_in_kelvin():
    assert CRITERIA.t_min_k == pytest.approx(zero_Celsius - 40.0)
    assert CRITERIA.t_max_k == pytest.approx(zero_Celsius + 85.0)


def test_inside_window_beats_outside():
    ranked = rank_candidates([result("NaAlH4", t_1bar_k=ABOVE_K), result("LiBH4", t_1bar_k=INSIDE_K)], CRITERIA)
    assert [c.host for c in ranked.candidates] == ["LiBH4", "NaAlH4"]
    assert ranked.candidates[0].window_distance_k == 0.0
    assert ranked.candidates[1].window_distance_k == pytest.approx(20.0)


def test_window_distance_below_window_counts_kelvin_to_lower_edge():
    ranked = rank_candidates([result(t_1bar_k=CRITERIA.t_min_k - 15.0)], CRITERIA)
    assert ranked.candidates[0].window_distance_k == pytest.approx(15.0)


def test_order_does_not_depend_on_input_order():
    results = [
        result("LiBH4", "MgH2", 0.5, t_1bar_k=INSIDE_K, wt_pct=5.0),
        result("LiBH4", "MgH2", 0.25, t_1bar_k=ABOVE_K, wt_pct=7.0),
        result("NaAlH4", "TiCl3", 0.02, t_1bar_k=INSIDE_K, wt_pct=5.0),  # ties with the first
        result("MgH2", "Li", 2.0, t_1bar_k=None, wt_pct=6.0),
        result("Mg2NiH4", "none", 0.0, t_1bar_k=CRITERIA.t_min_k - 50.0, wt_pct=3.6, volume_change_pct=30.0),
        result("LiBH4", "MgH2", 0.5, step=2, t_1bar_k=600.0, wt_pct=2.0),
    ]
    expected = labels(rank_candidates(results, CRITERIA))
    rng = random.Random(0)
    for _ in range(20):
        shuffled = results[:]
        rng.shuffle(shuffled)
        assert labels(rank_candidates(shuffled, CRITERIA)) == expected


def test_equal_scores_break_ties_by_higher_probability_in_window():
    edge = result("A", t_1bar_k=CRITERIA.t_max_k - 1.0, sigma_t_1bar_k=10.0)
    centre = result("Z", t_1bar_k=INSIDE_K, sigma_t_1bar_k=10.0)
    ranked = rank_candidates([edge, centre], CRITERIA)
    assert ranked.candidates[0].score == ranked.candidates[1].score
    assert [c.host for c in ranked.candidates] == ["Z", "A"]


def test_equal_scores_and_probabilities_break_ties_by_higher_wt_pct():
    criteria = RankingCriteria().with_terms(CapacityTerm(weight=0.0))  # wt% then no longer changes the score
    ranked = rank_candidates([result("A", wt_pct=4.0), result("Z", wt_pct=6.0)], criteria)
    assert ranked.candidates[0].score == ranked.candidates[1].score
    assert [c.host for c in ranked.candidates] == ["Z", "A"]


def test_full_ties_break_alphabetically_by_host_then_additive():
    ranked = rank_candidates([result("MgH2", "Li"), result("LiBH4", "TiF3"), result("LiBH4", "CaH2")], CRITERIA)
    assert [(c.host, c.additive) for c in ranked.candidates] == [("LiBH4", "CaH2"), ("LiBH4", "TiF3"), ("MgH2", "Li")]
    assert [c.rank for c in ranked.candidates] == [1, 2, 3]


def test_candidate_without_t_1bar_ranks_last_with_a_reason():
    no_t = result("LiBH4", t_1bar_k=None, wt_pct=13.0, volume_change_pct=0.0)  # best on every other count
    ranked = rank_candidates([no_t, result("NaAlH4", t_1bar_k=ABOVE_K + 200.0, wt_pct=1.0)], CRITERIA)
    last = ranked.candidates[-1]
    assert last.host == "LiBH4"
    assert last.window_distance_k == math.inf
    assert last.probability_in_window == 0.0
    assert not last.passes_filters
    assert any("no T(1 bar)" in reason for reason in last.reasons_filtered)


def test_candidate_with_nan_wt_pct_ranks_below_complete_ones_with_a_reason():
    ranked = rank_candidates([result("LiBH4", wt_pct=math.nan), result("NaAlH4", t_1bar_k=ABOVE_K)], CRITERIA)
    last = ranked.candidates[-1]
    assert last.host == "LiBH4"
    assert last.scores["capacity"] == 0.0
    assert any("wt% H2" in reason for reason in last.missing_data)


def test_pareto_front_matches_hand_worked_set():
    # (window distance K, wt%, |dV| %): A (0, 5, 10), B (0, 4, 20) dominated by A, C (0, 8, 30),
    # D (20, 9, 5), E (20, 8, 40) dominated by C and D. Front by hand: A, C, D.
    results = [
        result("A", wt_pct=5.0, volume_change_pct=-10.0),
        result("B", wt_pct=4.0, volume_change_pct=20.0),
        result("C", wt_pct=8.0, volume_change_pct=30.0),
        result("D", t_1bar_k=ABOVE_K, wt_pct=9.0, volume_change_pct=5.0),
        result("E", t_1bar_k=ABOVE_K, wt_pct=8.0, volume_change_pct=40.0),
    ]
    ranked = rank_candidates(results, CRITERIA)
    assert sorted(c.host for c in ranked.pareto_front) == ["A", "C", "D"]


def test_candidates_with_equal_objectives_both_stay_on_pareto_front():
    ranked = rank_candidates([result("A"), result("B")], CRITERIA)
    assert all(c.pareto_optimal for c in ranked.candidates)


def test_probability_in_window_is_half_at_window_edge_with_sigma():
    ranked = rank_candidates([result(t_1bar_k=CRITERIA.t_max_k, sigma_t_1bar_k=10.0)], CRITERIA)
    assert ranked.candidates[0].probability_in_window == pytest.approx(0.5, abs=1e-6)


def test_probability_in_window_without_sigma_is_zero_or_one():
    inside, outside = result("A", sigma_t_1bar_k=0.0), result("B", t_1bar_k=ABOVE_K, sigma_t_1bar_k=None)
    ranked = rank_candidates([inside, outside], CRITERIA)
    assert [c.probability_in_window for c in ranked.candidates] == [1.0, 0.0]


def test_min_wt_pct_filter_removes_candidate_with_reason():
    ranked = rank_candidates([result("A", wt_pct=3.0), result("B", wt_pct=6.0)], RankingCriteria(min_h2_wt_pct=4.5))
    low = next(c for c in ranked.candidates if c.host == "A")
    assert not low.passes_filters
    assert "below the minimum 4.5 wt%" in low.reasons_filtered[0]
    assert [c.host for c in ranked.top(10)] == ["B"]


def test_max_volume_change_filter_uses_absolute_change_with_reason():
    criteria = RankingCriteria(max_volume_change_pct=50.0)
    ranked = rank_candidates([result("A", volume_change_pct=-85.0), result("B", volume_change_pct=40.0)], criteria)
    big = next(c for c in ranked.candidates if c.host == "A")
    assert not big.passes_filters
    assert "exceeds the maximum 50 %" in big.reasons_filtered[0]
    assert [c.host for c in ranked.top(10)] == ["B"]


def test_require_intended_on_path_filters_flag_from_intended_reaction():
    off_path = [
        result("A", step=0, flags=[ReactionFlag.INTENDED_REACTION_NOT_ON_PATH.value]),
        result("A", step=1),
    ]
    ranked = rank_candidates([*off_path, result("B")], RankingCriteria(require_intended_on_path=True))
    flagged = next(c for c in ranked.candidates if c.host == "A")
    assert not flagged.passes_filters
    assert "intended_reaction_not_on_path" in flagged.reasons_filtered[0]
    assert [c.host for c in ranked.top(10)] == ["B"]


def test_filtered_candidate_is_kept_when_filter_is_off():
    flagged = result("A", flags=[ReactionFlag.INTENDED_REACTION_NOT_ON_PATH.value])
    ranked = rank_candidates([flagged], RankingCriteria(require_intended_on_path=False))
    assert ranked.candidates[0].passes_filters
    assert ranked.candidates[0].scores["flags"] == pytest.approx(-0.25)


def test_representative_reaction_is_first_release_step():
    ranked = rank_candidates([result(step=2, t_1bar_k=600.0), result(step=1), result(step=0, t_1bar_k=900.0)])
    cand = ranked.candidates[0]
    assert (cand.step, cand.t_1bar_k, cand.n_release_steps) == (1, INSIDE_K, 2)


def test_representative_reaction_is_intended_one_without_release_steps():
    ranked = rank_candidates([result(step=0, t_1bar_k=310.0)])
    assert (ranked.candidates[0].step, ranked.candidates[0].t_1bar_k) == (0, 310.0)


def test_two_results_with_same_step_raise_config_error():
    with pytest.raises(ConfigError, match="step 1"):
        rank_candidates([result(step=1), result(step=1, wt_pct=3.0)])


def test_explanation_terms_add_up_to_score():
    flags = [ReactionFlag.STATIC_ENERGIES_ONLY.value, ReactionFlag.IMAGINARY_MODES.value]
    ranked = rank_candidates([result(t_1bar_k=ABOVE_K, wt_pct=5.5, volume_change_pct=-30.0, flags=flags)])
    cand = ranked.candidates[0]
    text = ranked.explain(cand)
    terms = [float(m) for m in re.findall(r"= (-?\d+\.\d+)$", text, flags=re.MULTILINE)]
    assert len(terms) == 4  # window, capacity, volume, flags
    assert sum(terms) == pytest.approx(cand.score, abs=3e-3)
    assert f"score {cand.score:.3f}" in text
    # stored numbers: exp(-20/50) x 1, 5.5/5.5 x 1, -30/100 x 0.5, -(0.1 + 0.25) x 1
    assert cand.score == pytest.approx(math.exp(-20.0 / 50.0) + 1.0 - 0.15 - 0.35)


def test_explanation_of_candidate_without_t_1bar_shows_infinite_distance():
    ranked = rank_candidates([result(t_1bar_k=None)])
    text = ranked.explain(ranked.candidates[0])
    assert "no T(1 bar), distance inf -> 0.000" in text
    assert "not eligible" in text


def test_top_limits_count_and_selects_host():
    ranked = rank_candidates([result("A", wt_pct=6.0), result("A", "X", wt_pct=5.0), result("B", wt_pct=7.0)])
    assert [c.label for c in ranked.top(2)] == ["B + 0.5 MgH2", "A + 0.5 MgH2"]
    assert [c.additive for c in ranked.top(5, host="A")] == ["MgH2", "X"]


def test_t_min_above_t_max_raises_config_error_naming_field():
    with pytest.raises(ConfigError, match="t_min_k"):
        RankingCriteria(t_min_k=400.0, t_max_k=300.0)


@pytest.mark.parametrize("term", [WindowTerm, CapacityTerm, VolumeTerm, FlagTerm])
def test_negative_weight_raises_config_error_naming_the_term(term):
    with pytest.raises(ConfigError, match=rf"\[ranking.terms.{term.name}\] weight"):
        term(weight=-1.0)


def test_unknown_flag_penalty_raises_config_error_naming_flag():
    with pytest.raises(ConfigError, match="imaginary_mode'"):
        FlagTerm(penalties={"imaginary_mode": 1.0})


def test_flag_penalties_override_defaults_for_given_flags_only():
    criteria = RankingCriteria().with_terms(FlagTerm(penalties={"imaginary_modes": 2.0}))
    assert criteria.term("flags").penalties["imaginary_modes"] == 2.0
    assert criteria.term("flags").penalties["static_energies_only"] == 0.1
    assert [t.name for t in criteria.terms] == ["window", "capacity", "volume", "flags"]


def test_criteria_from_celsius_converts_to_kelvin():
    criteria = RankingCriteria.from_celsius(0.0, 100.0, min_h2_wt_pct=4.0)
    assert (criteria.t_min_k, criteria.t_max_k, criteria.min_h2_wt_pct) == (zero_Celsius, zero_Celsius + 100.0, 4.0)


def test_ranked_list_survives_msonable_round_trip():
    results = [
        result("A", sigma_t_1bar_k=12.0, flags=[ReactionFlag.STATIC_ENERGIES_ONLY.value]),
        result("B", t_1bar_k=None),
    ]
    ranked = rank_candidates(results, RankingCriteria(min_h2_wt_pct=1.0, max_volume_change_pct=90.0))
    assert RankedList.from_dict(ranked.as_dict()) == ranked
    assert RankedList.from_dict(json.loads(json.dumps(ranked.as_dict()))) == ranked


def test_step_released_below_the_searched_range_is_scored_at_the_range_end_and_explained():
    unstable = result("MgH2", "AlH3", t_1bar_k=None)
    unstable.t_1bar_bound_k = 100.0  # dG < 0 already at 100 K: T(1 bar) lies below it
    ranked = rank_candidates([unstable, result("MgH2", "Si", t_1bar_k=ABOVE_K)], CRITERIA)
    candidate = next(c for c in ranked.candidates if c.additive == "AlH3")
    assert candidate.window_distance_k == pytest.approx(CRITERIA.t_min_k - 100.0)
    assert candidate.passes_filters and not candidate.missing_data
    assert "no crossing, end of searched range" in ranked.explain(candidate)
    assert f"{candidate.scores['window']:.3f}" in ranked.explain(candidate)
