"""The results store on a real montydb directory: runs saved and read back whole, listed newest first,
found by id prefix, and queried by candidate; MongoDB locations build Mongo stores."""

import pytest
from maggma.stores import MongoStore, MontyStore
from tests_support import release_step

from screening.errors import ConfigError, UnknownPhaseError
from screening.report.tables import REACTION_COLUMNS, RUN_COLUMNS, reaction_row, rows_as_csv
from screening.screen.documents import RunProvenance, ScreenRun
from screening.screen.ranking import rank_candidates
from screening.store import ResultsStore, StoreLocation


def finished_run(run_id: str, finished_utc: str, host: str = "LiBH4") -> ScreenRun:
    steps = [release_step(host, "MgH2", 0.5, step=1), release_step(host, "MgH2", 0.5, step=2, t_1bar_k=600.0)]
    steps.append(release_step(host, "CaH2", 1 / 6, t_1bar_k=420.0))
    provenance = RunProvenance(
        run_id, "test-screen", "hydrogen-storage", "abc", {"screen": {"hosts": [host]}}, "emt@3.29", "0.1.0",
        finished_utc, [host], ["MgH2", "CaH2"], phases_total=12,
    )  # fmt: skip
    return ScreenRun(provenance, finished_utc, rank_candidates(steps), steps, failed={"NiH": "rejected"})


@pytest.fixture
def store(tmp_path):
    with ResultsStore.at(StoreLocation(str(tmp_path / "store")), create=True) as results:
        yield results


def test_a_saved_run_reads_back_equal(store):
    run = finished_run("aaa111", "2026-11-23T10:00:00.000+00:00")
    store.save(run)
    loaded = store.load("aaa111")
    assert loaded.ranked == run.ranked and loaded.reactions == run.reactions and loaded.failed == run.failed
    assert loaded.provenance == run.provenance


def test_runs_are_listed_newest_first_with_counts(store):
    store.save(finished_run("old000", "2026-11-23T10:00:00.000+00:00"))
    store.save(finished_run("new000", "2026-11-23T11:00:00.000+00:00"))
    records = store.records()
    assert [r.run_id for r in records] == ["new000", "old000"]
    assert records[0].n_candidates == 2 and records[0].n_failed == 1 and not hasattr(records[0], "config")


def test_latest_run_of_a_host_skips_runs_of_other_hosts(store):
    store.save(finished_run("libh4a", "2026-11-23T10:00:00.000+00:00", host="LiBH4"))
    store.save(finished_run("mgh2aa", "2026-11-23T11:00:00.000+00:00", host="MgH2"))
    assert store.load(host="LiBH4").run_id == "libh4a"
    assert store.load().run_id == "mgh2aa"


def test_an_ambiguous_run_id_prefix_is_an_error_naming_the_matches(store):
    store.save(finished_run("abc123", "2026-11-23T10:00:00.000+00:00"))
    store.save(finished_run("abc456", "2026-11-23T11:00:00.000+00:00"))
    with pytest.raises(ConfigError, match="ambiguous: abc456, abc123"):
        store.load("abc")


def test_an_unknown_run_is_named(store):
    with pytest.raises(UnknownPhaseError, match="no run 'zzz' in the store at"):
        store.load("zzz")


def test_a_candidate_is_found_by_host_and_additive_or_by_its_label(store):
    run = finished_run("aaa111", "2026-11-23T10:00:00.000+00:00")
    assert run.candidate("LiBH4 + MgH2").additive == "MgH2"
    assert run.candidate("LiBH4+0.5 MgH2").additive_per_host_mol == 0.5
    assert [s.step for s in run.steps_of(run.candidate("LiBH4 + MgH2"))] == [1, 2]
    with pytest.raises(UnknownPhaseError, match="no candidate 'LiBH4 \\+ Si'"):
        run.candidate("LiBH4 + Si")


def test_exported_rows_carry_every_reaction_with_the_runs_provenance():
    run = finished_run("aaa111", "2026-11-23T10:00:00.000+00:00")
    rows = [reaction_row(r, run) for r in run.reactions]
    assert len(rows) == 3 and {r["run_id"] for r in rows} == {"aaa111"} and rows[0]["config_hash"] == "abc"
    header, *lines = rows_as_csv(rows, [*REACTION_COLUMNS, *RUN_COLUMNS]).splitlines()
    assert header.split(",")[:4] == ["host", "additive", "additive_per_host_mol", "step"] and len(lines) == 3


def test_documents_are_kept_in_the_layout_of_jobflow_additional_stores(store):
    store.save(finished_run("aaa111", "2026-11-23T10:00:00.000+00:00"))
    (record,) = store.runs.query()
    (results,) = store.results.query()
    assert {"blob_uuid", "data", "@class"} <= set(record) and record["@class"] == "RunRecord"
    assert results["@class"] == "ScreenRun" and results["data"]["provenance"]["run_id"] == "aaa111"


def test_store_locations_build_montydb_or_mongodb_stores(tmp_path, monkeypatch):
    monkeypatch.setenv("HYDRIDE_SCREEN_STORE", str(tmp_path / "env-store"))
    embedded = StoreLocation().collection("runs")
    assert isinstance(embedded, MontyStore) and embedded.database_path == str(tmp_path / "env-store")
    mongo = StoreLocation(uri="mongodb://db.example:27017", database="screens").collection("runs")
    assert isinstance(mongo, MongoStore) and (mongo.database, mongo.collection_name) == ("screens", "runs")


def test_a_store_path_that_is_a_file_is_a_clear_error(tmp_path):
    occupied = tmp_path / "results.txt"
    occupied.write_text("not a store")
    with pytest.raises(ConfigError, match=r"cannot use .*results\.txt as the store directory"):
        StoreLocation(str(occupied)).prepare()
    with (
        pytest.raises(ConfigError, match=r"cannot open the store at .*results\.txt"),
        ResultsStore.at(StoreLocation(str(occupied))),
    ):
        pass
    assert occupied.read_text() == "not a store"
