"""The results store: where finished screening runs are kept and queried; the only module that talks to maggma.

A run is two documents: the full results (`ScreenRun`: ranked list, every reaction, anodes, failures) in the
`results` collection, and a small `RunRecord` in `runs`, written last, so a run that died before its end leaves
nothing a query would show. Both are in the layout of jobflow's additional stores, `{"blob_uuid", "data", ...}`,
because they reach the store as routed job outputs (`workflows.analysis_makers`); `save` writes the same layout
for runs made without jobflow. Stores are montydb (sqlite files, no server) in the user's data directory by
default, or MongoDB."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

from maggma.core import Store
from maggma.stores import MongoStore, MontyStore
from monty.json import MontyDecoder, MSONable

from screening.errors import ConfigError, UnknownPhaseError
from screening.screen.documents import RunRecord, ScreenRun

logger = logging.getLogger(__name__)

RUNS = "runs"
RESULTS = "results"


def default_store_dir() -> Path:
    """`$HYDRIDE_SCREEN_STORE`, else the user data directory (`$XDG_DATA_HOME` or `~/.local/share`)
    `/hydride-screen/store`."""
    location = os.environ.get("HYDRIDE_SCREEN_STORE")
    if location:
        return Path(location).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share") / "hydride-screen" / "store"


@dataclass(frozen=True)
class StoreLocation(MSONable):
    """Where results live: a montydb directory (`path`, default `default_store_dir()`) or a MongoDB
    (`uri` such as mongodb://host:27017, with `database`)."""

    path: str | None = None
    uri: str | None = None
    database: str = "hydride_screen"

    def __post_init__(self) -> None:
        if self.path and self.uri:
            raise ConfigError("[store]: give either path (embedded store) or uri (MongoDB), not both")

    @property
    def is_embedded(self) -> bool:
        """True for the montydb store on disk."""
        return self.uri is None

    @property
    def directory(self) -> Path:
        """The embedded store's directory."""
        return Path(self.path).expanduser() if self.path else default_store_dir()

    def prepare(self) -> None:
        """Make sure the embedded store's directory exists and is one; a clear error if it cannot be."""
        if not self.is_embedded:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigError(f"cannot use {self.directory} as the store directory: {error.strerror}") from None

    def describe(self) -> str:
        """Where the store is, for messages."""
        return str(self.directory) if self.is_embedded else f"{self.uri} (database {self.database})"

    def collection(self, name: str) -> Store:
        """A maggma store for one collection of this location (not yet connected)."""
        if self.is_embedded:
            return MontyStore(name, database_path=str(self.directory), database_name=self.database, storage="sqlite")
        return MongoStore.from_uri(self.uri, collection_name=name, database=self.database)


class ResultsStore:
    """Finished runs: list, load the newest (of a host), save one made without jobflow. Built on two maggma
    stores, `runs` (one small record per run) and `results` (one document per run with everything it found)."""

    def __init__(self, runs: Store, results: Store, where: str = "") -> None:
        self.runs = runs
        self.results = results
        self.where = where

    @classmethod
    def at(cls, location: StoreLocation) -> ResultsStore:
        """The results store of a store location (connect with `with`)."""
        return cls(location.collection(RUNS), location.collection(RESULTS), location.describe())

    def __enter__(self) -> ResultsStore:
        try:
            self.runs.connect()
            self.results.connect()
        except OSError as error:
            raise ConfigError(f"cannot open the store at {self.where}: {error}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.runs.close()
        self.results.close()

    def save(self, run: ScreenRun) -> None:
        """Write a run made without jobflow: the results, then the run record that makes them visible."""
        self.results.update([blob_document(run)], key="blob_uuid")
        self.runs.update([blob_document(run.record())], key="blob_uuid")
        logger.info("stored run %s in %s", run.run_id, self.where)

    def records(self, host: str | None = None) -> list[RunRecord]:
        """Run records, newest first, optionally only runs that screened `host`."""
        criteria = {"data.hosts": host} if host else {}
        records = [_decoded(doc) for doc in self.runs.query(criteria=criteria, properties=["data"])]
        return sorted(records, key=lambda r: r.finished_utc, reverse=True)

    def load(self, run_id: str | None = None, host: str | None = None) -> ScreenRun:
        """A run by id (a unique prefix is enough), or the newest run (of `host` when given)."""
        records = self.records(host)
        if run_id:
            records = [r for r in records if r.run_id.startswith(run_id)]
            if len(records) > 1:
                raise ConfigError(f"run id {run_id!r} is ambiguous: {', '.join(r.run_id for r in records)}")
        if not records:
            what = f"run {run_id!r}" if run_id else "finished run" + (f" with host {host}" if host else "")
            raise UnknownPhaseError(f"no {what} in the store at {self.where}")
        document = self.results.query_one({"data.provenance.run_id": records[0].run_id}, properties=["data"])
        if document is None:
            raise UnknownPhaseError(f"run {records[0].run_id} is listed but its results are not in {self.where}")
        return _decoded(document)


def blob_document(document: MSONable) -> dict[str, Any]:
    """A document in the layout jobflow gives the outputs it routes to an additional store."""
    data = document.as_dict()
    return {"blob_uuid": uuid4().hex, "@module": data["@module"], "@class": data["@class"], "data": data}


def _decoded(document: dict[str, Any]) -> Any:
    return MontyDecoder().process_decoded(document["data"])
