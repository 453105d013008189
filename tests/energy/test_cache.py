"""The calculation cache on disk: a damaged entry is reported, set aside and computed again; a cache that cannot
be written costs the reuse, not the result."""

import logging

import pytest
from tests_support import CountingEMT

from screening.energy.cache import ResultCache
from screening.energy.phase_results import relax_cached
from screening.energy.relax import RelaxationResult, RelaxSettings
from screening.energy.sources import EnergySource
from structures.library import get_phase

COUNTING = EnergySource("tests_support:CountingEMT")


@pytest.fixture
def cached_cu(tmp_path) -> tuple[ResultCache, RelaxationResult]:
    cache = ResultCache(tmp_path / "results")
    return cache, relax_cached(get_phase("Cu"), COUNTING, RelaxSettings(), cache)


@pytest.mark.parametrize("damage", ["", "{}", '{"@module": "screening.nowhere", "@class": "X"}', '{"energy_ev": 1'],
                         ids=["empty", "empty-object", "unknown-class", "cut-short"])  # fmt: skip
def test_a_damaged_entry_is_set_aside_and_computed_again(cached_cu, damage, caplog):
    cache, first = cached_cu
    (entry,) = cache.directory.glob("relax-Cu-*.json")
    entry.write_text(damage)
    CountingEMT.calls = 0
    with caplog.at_level(logging.WARNING):
        again = relax_cached(get_phase("Cu"), COUNTING, RelaxSettings(), cache)
    assert CountingEMT.calls > 0 and again.energy_ev == pytest.approx(first.energy_ev)
    assert entry.with_name(entry.name + ".damaged").read_text() == damage
    assert f"cache file {entry}" in caplog.text and "computed again" in caplog.text
    assert isinstance(cache.get(entry.stem, RelaxationResult), RelaxationResult)  # the new entry reads back


def test_an_unwritable_cache_keeps_the_result_and_says_why(tmp_path, caplog):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    with caplog.at_level(logging.WARNING):
        result = relax_cached(get_phase("Cu"), COUNTING, RelaxSettings(), ResultCache(blocked))
    assert not result.rejected_reason
    assert "could not write" in caplog.text and "the result is used but not kept" in caplog.text
