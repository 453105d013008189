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
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

from monty.json import MontyDecoder, MSONable
from montydb import MontyClient, set_storage
from pymongo import MongoClient
from pymongo.errors import PyMongoError

from screening.errors import ConfigError, UnknownPhaseError
from screening.screen.documents import RunRecord, ScreenRun

if TYPE_CHECKING:
    from maggma.core import Store

logger = logging.getLogger(__name__)

RUNS = "runs"
RESULTS = "results"
JOBS = "jobs"
# The embedded store: montydb on sqlite files, documents encoded with pymongo's BSON (maggma's MontyStore defaults)
MONTY_STORAGE = "sqlite"
MONTY_STORAGE_KWARGS = {"use_bson": True, "mongo_version": "4.0"}
MONGO_TIMEOUT_MS = 5000  # an unreachable MongoDB is an error after 5 s, not pymongo's default 30 s
# What a store that cannot be used raises: a montydb sqlite file that is not a database, a file system that
# refuses, a MongoDB that cannot be reached or refuses the database name.
STORE_FAULTS = (sqlite3.DatabaseError, OSError, PyMongoError)


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
        """Make sure a run can write here: the embedded store's directory exists (made if need be) and is
        writable; a clear error naming it if not."""
        if not self.is_embedded:
            self._check_reachable()
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigError(f"cannot use {self.directory} as the store directory: {error.strerror}") from None
        if not os.access(self.directory, os.W_OK | os.X_OK):
            raise ConfigError(f"the store directory {self.directory} is not writable")

    def _check_reachable(self) -> None:
        """ConfigError naming the (redacted) URI unless the MongoDB answers and accepts the database name."""
        client: MongoClient = MongoClient(self.uri, serverSelectionTimeoutMS=MONGO_TIMEOUT_MS)
        try:
            client[self.database].command("ping")
        except PyMongoError as error:
            reason = redacted(str(error).split(",")[0])
            raise ConfigError(f"cannot use the MongoDB at {self.describe()}: {reason}") from None
        finally:
            client.close()

    def describe(self) -> str:
        """Where the store is, for messages; a password in a MongoDB URI is never shown."""
        return str(self.directory) if self.is_embedded else f"{redacted(self.uri)} (database {self.database})"

    def collection(self, name: str) -> Store:
        """A maggma store for one collection of this location (not yet connected)."""
        from maggma.stores import MongoStore, MontyStore  # with its cloud back-ends, 0.3 s: not for queries

        if self.is_embedded:
            return MontyStore(
                name,
                database_path=str(self.directory),
                database_name=self.database,
                storage=MONTY_STORAGE,
                storage_kwargs=MONTY_STORAGE_KWARGS,
            )
        return MongoStore.from_uri(
            self.uri,
            collection_name=name,
            database=self.database,
            mongoclient_kwargs={"serverSelectionTimeoutMS": MONGO_TIMEOUT_MS},
        )


def redacted(uri: str) -> str:
    """A MongoDB URI with its password replaced by ***, for anything stored or shown."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def jobs_collection(location: StoreLocation, run_id: str | None = None) -> str:
    """The collection of a run's job documents. montydb reads and decodes every document of a collection
    for each query (no indexes), and jobflow queries once per reference, so on the embedded store each
    run keeps its jobs in its own collection (`jobs_<run id>`) and a run's cost does not grow with the
    history. MongoDB has one `jobs` collection, where job documents carry the run id in their metadata."""
    return f"{JOBS}_{run_id}" if run_id and location.is_embedded else JOBS


@dataclass(frozen=True)
class UnfinishedRun(MSONable):
    """A run whose job documents are in the store but which has no run record: killed, failed, or running."""

    run_id: str
    job_documents: int
    last_activity_utc: str


class CollectionReader:
    """One collection of a store location read with its driver (montydb or pymongo), which maggma's stores wrap:
    the part of a maggma Store that queries use (connect, query, query_one, close), so that a query does not
    import maggma and its cloud back-ends (0.3 s of a command that should answer in under a second)."""

    def __init__(self, location: StoreLocation, name: str) -> None:
        self.location, self.name = location, name
        self._client: Any = None

    def connect(self) -> None:
        """Open the client, on the embedded store with the storage settings its writer uses (as maggma does)."""
        location = self.location
        if location.is_embedded:
            set_storage(str(location.directory), storage=MONTY_STORAGE, **MONTY_STORAGE_KWARGS)
            self._client = MontyClient(str(location.directory))
        else:
            self._client = MongoClient(location.uri, serverSelectionTimeoutMS=MONGO_TIMEOUT_MS)

    def _collection(self) -> Any:
        return self._client[self.location.database][self.name]

    def query(self, criteria: dict | None = None, properties: list[str] | None = None) -> Iterator[dict[str, Any]]:
        """Documents matching `criteria`, with only `properties` (all when None)."""
        projection = dict.fromkeys(properties, 1) if properties else None
        yield from self._collection().find(criteria or {}, projection)

    def query_one(self, criteria: dict | None = None, properties: list[str] | None = None) -> dict[str, Any] | None:
        """The first document matching `criteria`, or None."""
        return next(self.query(criteria, properties), None)

    def close(self) -> None:
        """Close the client."""
        if self._client is not None:
            self._client.close()
            self._client = None


class ResultsStore:
    """Finished runs: list, load the newest (of a host), save one made without jobflow. Built on two maggma
    stores, `runs` (one small record per run) and `results` (one document per run with everything it found);
    `reader` opens the same two collections for queries only, without maggma."""

    def __init__(self, runs: Store | CollectionReader, results: Store | CollectionReader, where: str = "") -> None:
        self.runs = runs
        self.results = results
        self.where = where

    @classmethod
    def at(cls, location: StoreLocation, create: bool = False) -> ResultsStore:
        """The results store of a store location (connect with `with`). Queries leave `create` off: they never
        create a store, so a mistyped path is an error, not an empty history; `create` makes it for `save`."""
        if create:
            location.prepare()
        _require_existing(location)
        return cls(location.collection(RUNS), location.collection(RESULTS), location.describe())

    @classmethod
    def reader(cls, location: StoreLocation) -> ResultsStore:
        """The results store of a location for queries (list and load; no writes): the collections are read with
        their drivers directly. Like `at`, a missing embedded store is an error."""
        _require_existing(location)
        return cls(CollectionReader(location, RUNS), CollectionReader(location, RESULTS), location.describe())

    def __enter__(self) -> ResultsStore:
        with self._faults("open"):
            self.runs.connect()
            self.results.connect()
        return self

    @contextmanager
    def _faults(self, what: str) -> Iterator[None]:
        """Store faults as one clear error naming the store."""
        try:
            yield
        except STORE_FAULTS as error:
            reason = redacted(str(getattr(error, "strerror", None) or error).splitlines()[0])
            raise ConfigError(f"cannot {what} the store at {self.where}: {reason}") from None

    def __exit__(self, *exc: object) -> None:
        self.runs.close()
        self.results.close()

    def save(self, run: ScreenRun) -> None:
        """Write a run made without jobflow: the results, then the run record that makes them visible."""
        with self._faults("write to"):
            self.results.update([blob_document(run)], key="blob_uuid")
            self.runs.update([blob_document(run.record())], key="blob_uuid")
        logger.info("stored run %s in %s", run.run_id, self.where)

    def records(self, host: str | None = None) -> list[RunRecord]:
        """Run records, newest first, optionally only runs that screened `host`."""
        criteria = {"data.hosts": host} if host else {}
        with self._faults("read"):
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
        with self._faults("read"):
            document = self.results.query_one({"data.provenance.run_id": records[0].run_id}, properties=["data"])
        if document is None:
            raise UnknownPhaseError(f"run {records[0].run_id} is listed but its results are not in {self.where}")
        return _decoded(document)

    def run_with_inputs(self, inputs_hash: str) -> ScreenRun | None:
        """The newest stored run whose inputs (config, code, data, energy source) hash to `inputs_hash`, or None."""
        same = [r for r in self.records() if inputs_hash and r.inputs_hash == inputs_hash]
        return self.load(same[0].run_id) if same else None

    def unfinished_runs(self, location: StoreLocation) -> list[UnfinishedRun]:
        """Runs with job documents (or results) but no run record, oldest activity first."""
        finished = {r.run_id for r in self.records()}
        found: dict[str, list[dict[str, Any]]] = {}
        with self._faults("read"):
            if location.is_embedded:
                database = MontyClient(str(location.directory))[location.database]
                for name in database.list_collection_names():
                    if name.startswith(f"{JOBS}_") and (run_id := name.removeprefix(f"{JOBS}_")) not in finished:
                        found[run_id] = list(database[name].find({}, {"completed_at": 1, "updated_on": 1}))
            else:
                jobs = location.collection(JOBS)
                jobs.connect()
                for doc in jobs.query(criteria={"metadata.run_id": {"$nin": sorted(finished)}},
                                      properties=["metadata", "completed_at", "updated_on"]):  # fmt: skip
                    found.setdefault(doc["metadata"]["run_id"], []).append(doc)
                jobs.close()
            for doc in self.results.query(properties=["data.provenance.run_id"]):
                run_id = doc["data"]["provenance"]["run_id"]
                if run_id not in finished:
                    found.setdefault(run_id, [])
        runs = [
            UnfinishedRun(run_id, len(docs), max((str(d.get("completed_at") or d.get("updated_on") or "")
                                                  for d in docs), default=""))
            for run_id, docs in found.items()
        ]  # fmt: skip
        return sorted(runs, key=lambda r: r.last_activity_utc)

    def remove_unfinished(self, location: StoreLocation, run: UnfinishedRun) -> None:
        """Remove the job documents (and any results without a record) of an unfinished run; a finished run's
        documents are never touched."""
        if any(r.run_id == run.run_id for r in self.records()):
            raise ConfigError(f"run {run.run_id} is finished; its documents are kept")
        with self._faults("write to"):
            if location.is_embedded:
                MontyClient(str(location.directory))[location.database].drop_collection(f"{JOBS}_{run.run_id}")
            else:
                jobs = location.collection(JOBS)
                jobs.connect()
                jobs.remove_docs({"metadata.run_id": run.run_id})
                jobs.close()
            self.results.remove_docs({"data.provenance.run_id": run.run_id})


def _require_existing(location: StoreLocation) -> None:
    """Queries never create a store: a mistyped path is an error, not an empty history."""
    if location.is_embedded and not location.directory.exists():
        raise ConfigError(f"no store at {location.directory} (a run creates it; check --store or [store] path)")


def blob_document(document: MSONable) -> dict[str, Any]:
    """A document in the layout jobflow gives the outputs it routes to an additional store."""
    data = document.as_dict()
    return {"blob_uuid": uuid4().hex, "@module": data["@module"], "@class": data["@class"], "data": data}


def _decoded(document: dict[str, Any]) -> Any:
    return MontyDecoder().process_decoded(document["data"])
