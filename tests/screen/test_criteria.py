"""Score terms one at a time: what each reads, how it scores, how it explains itself, and how a term not in the
default ranking joins it."""

import math

import pytest
from tests_support import release_step

from screening.errors import ConfigError
from screening.screen.criteria import DOE_SYSTEM_KG_H2_PER_M3, RankingCriteria, VolumetricCapacityTerm
from screening.screen.ranking import rank_candidates


def test_volumetric_capacity_scores_kg_h2_per_m3_against_the_doe_system_target():
    step = release_step(wt_pct=5.0)  # 80 kg H2/m3, twice the 40 kg/m3 target
    criteria = RankingCriteria().with_terms(VolumetricCapacityTerm(weight=0.5))
    (candidate,) = rank_candidates([step], criteria).candidates
    assert candidate.scores["volumetric_capacity"] == pytest.approx(0.5 * 80.0 / DOE_SYSTEM_KG_H2_PER_M3)
    assert candidate.score == pytest.approx(sum(candidate.scores.values()))
    assert [t.name for t in criteria.terms] == ["window", "capacity", "volume", "flags", "volumetric_capacity"]


def test_volumetric_capacity_explains_its_score_from_the_stored_number():
    criteria = RankingCriteria().with_terms(VolumetricCapacityTerm())
    ranked = rank_candidates([release_step()], criteria)
    text = ranked.explain(ranked.candidates[0])
    assert "volumetric_capacity: 80.0 kg H2/m3 -> 2.000 (/ 40) x 1 = 2.000" in text


def test_a_missing_volumetric_capacity_marks_the_candidate_as_missing_data():
    step = release_step()
    step.h2_kg_per_m3 = math.nan
    ranked = rank_candidates([step], RankingCriteria().with_terms(VolumetricCapacityTerm()))
    assert ranked.candidates[0].missing_data == ["kg H2/m3 of step 1 is not a number: volumetric capacity scored as 0"]
    assert ranked.candidates[0].scores["volumetric_capacity"] == 0.0


def test_volumetric_capacity_is_not_in_the_default_ranking():
    assert "volumetric_capacity" not in {t.name for t in RankingCriteria().terms}


def test_a_non_positive_reference_is_a_config_error_naming_the_key():
    with pytest.raises(ConfigError, match=r"\[ranking.terms.volumetric_capacity\] reference_kg_per_m3"):
        VolumetricCapacityTerm(reference_kg_per_m3=0.0)
