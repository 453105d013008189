"""The run's job store answers jobflow's output lookups from memory and every other query from disk: the answers
must be those of the plain montydb collection, and what it writes must be on disk at once (for `prune`)."""

import pytest
from jobflow import Flow, job, run_locally

from screening.store import StoreLocation, jobs_collection
from workflows.stores import UuidIndexedStore, job_store

DOCUMENTS = [
    {"uuid": uuid, "index": index, "name": f"{uuid}-{index}", "output": {"energy_ev": -float(index), "n": [index]}}
    for uuid in ("a1", "b2", "c3")
    for index in (1, 2, 3)
]


@pytest.fixture
def stores(tmp_path):
    """The indexed store and, on the same collection, a plain montydb store opened separately."""
    location = StoreLocation(str(tmp_path / "store"))
    indexed = UuidIndexedStore(location.collection("jobs_test"), key="uuid")
    indexed.connect()
    indexed.update(DOCUMENTS, key=["uuid", "index"])
    plain = location.collection("jobs_test")
    plain.connect()
    yield indexed, plain, location
    indexed.close()
    plain.close()


def without_id(documents):
    return [{k: v for k, v in d.items() if k != "_id"} for d in documents]


@pytest.mark.parametrize(
    "query",
    [
        {"criteria": {"uuid": "b2"}},
        {"criteria": {"uuid": "b2"}, "sort": {"index": -1}, "limit": 1},
        {"criteria": {"uuid": "b2"}, "sort": {"index": 1}},
        {"criteria": {"uuid": "c3", "index": 2}, "properties": ["output"]},
        {"criteria": {"uuid": "nowhere"}},
        {"criteria": {"uuid": {"$in": ["a1", "c3"]}}, "sort": {"index": 1}},  # not a plain lookup: from disk
        {"criteria": {"output.energy_ev": {"$lt": -1.5}}, "properties": ["uuid", "output.n"]},
        {"criteria": {"index": 2}, "sort": {"uuid": -1}, "skip": 1, "limit": 1},
    ],
)
def test_lookups_answer_as_the_plain_collection_does(stores, query):
    indexed, plain, _ = stores
    assert without_id(indexed.query(**query)) == without_id(plain.query(**query))


def test_documents_are_on_disk_as_soon_as_they_are_written(stores):
    indexed, plain, _ = stores
    indexed.update({"uuid": "d4", "index": 1, "output": None}, key=["uuid", "index"])
    assert plain.count({"uuid": "d4"}) == 1  # a run killed now leaves them for prune
    assert indexed.count() == plain.count() == len(DOCUMENTS) + 1
    assert sorted(indexed.distinct("uuid")) == ["a1", "b2", "c3", "d4"]


def test_a_document_written_again_replaces_the_one_in_memory(stores):
    indexed, plain, _ = stores
    indexed.update({"uuid": "a1", "index": 3, "name": "rerun", "output": 7}, key=["uuid", "index"])
    assert [d["name"] for d in indexed.query({"uuid": "a1"}, sort={"index": -1}, limit=1)] == ["rerun"]
    assert plain.count({"uuid": "a1"}) == 3


def test_a_resumed_run_finds_what_the_killed_one_stored(stores):
    _, _, location = stores
    reopened = UuidIndexedStore(location.collection("jobs_test"), key="uuid")
    reopened.connect()
    assert [d["output"]["energy_ev"] for d in reopened.query({"uuid": "c3"}, properties=["output"])] == [-1, -2, -3]
    reopened.remove_docs({"uuid": "c3"})
    assert list(reopened.query({"uuid": "c3"})) == []
    reopened.close()


def test_a_returned_document_is_a_fresh_copy(stores):
    indexed, _, _ = stores
    first = next(indexed.query({"uuid": "a1", "index": 1}))
    first["output"]["n"].append(99)
    assert next(indexed.query({"uuid": "a1", "index": 1}))["output"]["n"] == [1]


@job
def add(a: float, b: float) -> float:
    return a + b


def test_jobflow_resolves_references_through_it(tmp_path):
    location = StoreLocation(str(tmp_path / "store"))
    first = add(1, 2)
    second = add(first.output, 10)
    third = add(second.output, first.output)
    store = job_store(location, "run1")
    assert isinstance(store.docs_store, UuidIndexedStore)
    responses = run_locally(Flow([first, second, third]), store=store, log=False, ensure_success=True)
    assert responses[third.uuid][1].output == 16
    on_disk = location.collection(jobs_collection(location, "run1"))
    on_disk.connect()
    assert {d["uuid"]: d["output"] for d in on_disk.query(properties=["uuid", "output"])} == {
        first.uuid: 3,
        second.uuid: 13,
        third.uuid: 16,
    }
