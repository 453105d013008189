"""The jobflow store of a run: job outputs plus the two results collections (run records and run
results) as additional stores, all in one store location (montydb directory or MongoDB)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import bson
from jobflow import JobStore
from maggma.core import Store

from screening.errors import ConfigError
from screening.store import RESULTS, RUNS, ResultsStore, StoreLocation, jobs_collection

_BY_UUID = frozenset({"uuid", "index"})


class UuidIndexedStore(Store):
    """A run's job documents, written through to `store` and also kept in memory by uuid and index (BSON-encoded,
    so every query decodes fresh documents, as a database does).

    jobflow looks a job's output up by uuid once per reference it resolves. montydb has no indexes and decodes
    every document of the collection for each query (73,596 decodes for the 489 lookups of the default screen),
    so those lookups are answered here; every other query, and every write, goes to `store`, where a killed
    run's documents stay for `prune`.
    """

    def __init__(self, store: Store, **kwargs: Any) -> None:
        self.store = store
        self._documents: dict[str, dict[int, bytes]] = {}
        super().__init__(**kwargs)

    @property
    def name(self) -> str:
        """The name of the store written through to."""
        return self.store.name

    @property
    def _collection(self) -> Any:
        return self.store._collection

    def connect(self, force_reset: bool = False) -> None:
        """Connect the store and read the documents it already holds (a resumed run's) into memory."""
        self.store.connect(force_reset=force_reset)
        self._documents = {}
        for document in self.store.query():
            self._remember(document)

    def close(self) -> None:
        """Close the store and forget the documents held in memory."""
        self.store.close()
        self._documents = {}

    def _remember(self, document: dict[str, Any]) -> None:
        kept = {k: v for k, v in document.items() if k != "_id"}
        self._documents.setdefault(kept["uuid"], {})[kept["index"]] = bson.encode(kept)

    def update(self, docs: list[dict] | dict, key: list | str | None = None) -> None:
        """Write the documents to the store, then keep them in memory."""
        self.store.update(docs, key=key)
        for document in docs if isinstance(docs, list) else [docs]:
            self._remember(document)

    def query(
        self,
        criteria: dict | None = None,
        properties: dict | list | None = None,
        sort: dict | None = None,
        skip: int = 0,
        limit: int = 0,
    ) -> Iterator[dict]:
        """Documents of one uuid (and index) from memory, sorted by index if asked; anything else from the store."""
        if not self._answers(criteria, properties, sort, skip):
            yield from self.store.query(criteria=criteria, properties=properties, sort=sort, skip=skip, limit=limit)
            return
        by_index = self._documents.get(criteria["uuid"], {})
        indices = sorted(by_index, reverse=(sort or {}).get("index", 1) == -1)
        if "index" in criteria:
            indices = [i for i in indices if i == criteria["index"]]
        for i in indices[:limit] if limit else indices:
            document = bson.decode(by_index[i])
            yield {k: document[k] for k in properties if k in document} if properties else document

    @staticmethod
    def _answers(criteria: dict | None, properties: dict | list | None, sort: dict | None, skip: int) -> bool:
        """True for the lookups held in memory: by uuid (and index) with plain values, top-level properties,
        sorted by index or not at all."""
        return (
            bool(criteria)
            and "uuid" in criteria
            and set(criteria) <= _BY_UUID
            and all(isinstance(v, str | int) for v in criteria.values())
            and (properties is None or (isinstance(properties, list) and not any("." in p for p in properties)))
            and set(sort or {}) <= {"index"}
            and not skip
        )

    def count(self, criteria: dict | None = None) -> int:
        """Counted by the store."""
        return self.store.count(criteria)

    def distinct(self, field: str, criteria: dict | None = None, all_exist: bool = False) -> list:
        """Answered by the store."""
        return self.store.distinct(field, criteria, all_exist)

    def groupby(self, keys: list[str] | str, **kwargs: Any) -> Iterator:
        """Answered by the store."""
        return self.store.groupby(keys, **kwargs)

    def ensure_index(self, key: str, unique: bool = False) -> bool:
        """Indexed by the store."""
        return self.store.ensure_index(key, unique)

    def remove_docs(self, criteria: dict) -> None:
        """Removed from the store, then the memory reread from it."""
        self.store.remove_docs(criteria)
        self._documents = {}
        for document in self.store.query():
            self._remember(document)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UuidIndexedStore) and self.store == other.store

    __hash__ = None  # mutable, compared by the store it writes to


def job_store(location: StoreLocation, run_id: str | None = None) -> JobStore:
    """A JobStore whose additional stores are the results collections (connect it once, in the parent). On the
    embedded store the job documents are also kept in memory for jobflow's lookups (`UuidIndexedStore`); MongoDB
    indexes them itself."""
    jobs = location.collection(jobs_collection(location, run_id))
    return JobStore(
        UuidIndexedStore(jobs) if location.is_embedded else jobs,
        additional_stores={RUNS: location.collection(RUNS), RESULTS: location.collection(RESULTS)},
    )


def results_store_of(store: JobStore) -> ResultsStore:
    """The results collections of a job store (its additional stores `runs` and `results`)."""
    if not {RUNS, RESULTS} <= set(store.additional_stores):
        raise ConfigError(
            f"the job store needs additional stores {RUNS!r} and {RESULTS!r} for screening results; "
            "build it with workflows.stores.job_store or add them to the jobflow(-remote) store config"
        )
    return ResultsStore(store.additional_stores[RUNS], store.additional_stores[RESULTS], "the job store")
