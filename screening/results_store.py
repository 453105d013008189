"""The results store: where finished screening runs are kept and queried. A run is two documents, the
full results (ranked list, every reaction, anodes, failures) and a small run record written last, so a
run that died before its end leaves nothing that a query would show. Stores are maggma stores:
montydb (sqlite files, no server) in the user's data directory by default, or MongoDB."""

from __future__ import annotations

import csv
import io
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from maggma.core import Store
from maggma.stores import MongoStore, MontyStore
from monty.json import MontyDecoder, MSONable

from screening.anodes import ConversionAnode
from screening.errors import ConfigError, UnknownPhaseError
from screening.ranking import RankedCandidate, RankedList
from screening.reaction_enthalpy import parse_reaction
from screening.reaction_result import ReactionResult

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


@dataclass
class RunProvenance(MSONable):
    """Where a run's numbers come from: the config (and its hash), the energy source with its version,
    the code version, and when it started."""

    run_id: str
    screen_name: str
    kind: str
    config_hash: str
    config: dict[str, Any]
    energy_source_id: str
    code_version: str
    started_utc: str
    hosts: list[str]
    additives: list[str]
    phases_total: int = 0


def utc_now() -> str:
    """The current time in UTC, ISO 8601 to the millisecond (runs are ordered by it)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class ScreenRun(MSONable):
    """One finished screening run: its provenance and what came out (a ranked list and every release
    reaction, or ranked conversion anodes), with the phases and pairs that failed and why."""

    provenance: RunProvenance
    finished_utc: str
    ranked: RankedList | None = None
    reactions: list[ReactionResult] = field(default_factory=list)
    anodes: list[ConversionAnode] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        """The run's id."""
        return self.provenance.run_id

    def record(self) -> dict[str, Any]:
        """The small run record listed by `runs` (provenance without the config, counts, no results)."""
        record = {k: v for k, v in self.provenance.as_dict().items() if not k.startswith("@") and k != "config"}
        n_candidates = len(self.ranked.candidates) if self.ranked else len(self.anodes)
        return record | {"finished_utc": self.finished_utc, "n_candidates": n_candidates, "n_failed": len(self.failed)}

    def candidate(self, text: str) -> RankedCandidate:
        """The best-ranked candidate whose label or host + additive matches `text` ('MgH2 + Si')."""
        wanted = _normalise(text)
        for candidate in self.ranked.candidates if self.ranked else []:
            if wanted in {_normalise(candidate.label), _normalise(f"{candidate.host}+{candidate.additive}")}:
                return candidate
        raise UnknownPhaseError(f"no candidate {text!r} in run {self.run_id}")

    def reactions_matching(self, text: str) -> list[ReactionResult]:
        """Every release step of the run that is the reaction `text` (any multiple of it, any order)."""
        wanted = parse_reaction(text).normalized_repr
        found = [r for r in self.reactions if parse_reaction(r.reaction).normalized_repr == wanted]
        if not found:
            raise UnknownPhaseError(f"no step {text!r} in run {self.run_id}")
        return found

    def anode(self, hydride: str) -> ConversionAnode:
        """The conversion anode of `hydride` in an anode run."""
        for anode in self.anodes:
            if _normalise(anode.hydride) == _normalise(hydride):
                return anode
        raise UnknownPhaseError(f"no anode {hydride!r} in run {self.run_id}")

    def steps_of(self, candidate: RankedCandidate) -> list[ReactionResult]:
        """Every release step of a candidate's mixture, in order."""
        same = [
            r
            for r in self.reactions
            if (r.host, r.additive, r.additive_per_host_mol)
            == (candidate.host, candidate.additive, candidate.additive_per_host_mol)
        ]
        return sorted(same, key=lambda r: r.step)


def _normalise(text: str) -> str:
    return "".join(text.split())


class ResultsStore:
    """Finished runs: save, list, load the newest for a host. Built on two maggma stores, `runs` (one
    small record per run) and `results` (one document per run with everything it found)."""

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
        """Write the results, then the run record that makes them visible."""
        self.results.update([{"run_id": run.run_id, "run": run.as_dict()}], key="run_id")
        self.runs.update([run.record()], key="run_id")
        logger.info("stored run %s in %s", run.run_id, self.where)

    def records(self, host: str | None = None) -> list[dict[str, Any]]:
        """Run records, newest first, optionally only runs that screened `host`."""
        criteria = {"hosts": host} if host else {}
        records = [{k: v for k, v in r.items() if k != "_id"} for r in self.runs.query(criteria=criteria)]
        return sorted(records, key=lambda r: r["finished_utc"], reverse=True)

    def load(self, run_id: str | None = None, host: str | None = None) -> ScreenRun:
        """A run by id (a unique prefix is enough), or the newest run (of `host` when given)."""
        records = self.records(host)
        if run_id:
            records = [r for r in records if r["run_id"].startswith(run_id)]
            if len(records) > 1:
                raise ConfigError(f"run id {run_id!r} is ambiguous: {', '.join(r['run_id'] for r in records)}")
        if not records:
            what = f"run {run_id!r}" if run_id else "finished run" + (f" with host {host}" if host else "")
            raise UnknownPhaseError(f"no {what} in the store at {self.where}")
        document = self.results.query_one({"run_id": records[0]["run_id"]})
        return MontyDecoder().process_decoded(document["run"])


REACTION_COLUMNS = (
    "host",
    "additive",
    "additive_per_host_mol",
    "step",
    "reaction",
    "h2_released_mol",
    "dh_kj_per_mol_h2",
    "sigma_kj_per_mol_h2",
    "ds_j_per_mol_h2_k",
    "t_1bar_k",
    "sigma_t_1bar_k",
    "t_1bar_bound_k",
    "h2_wt_pct",
    "h2_kg_per_m3",
    "volume_change_pct",
    "energy_source_id",
    "with_vibrations",
    "flags",
)


def reaction_rows(run: ScreenRun) -> list[dict[str, Any]]:
    """Every reaction of a run as a flat row with the run's provenance."""
    provenance = {k: getattr(run.provenance, k) for k in ("run_id", "config_hash", "code_version")}
    provenance["finished_utc"] = run.finished_utc
    rows = []
    for reaction in run.reactions:
        row = {column: getattr(reaction, column) for column in REACTION_COLUMNS}
        row["flags"] = ";".join(reaction.flags)
        rows.append(row | provenance)
    return rows


def rows_as_csv(rows: list[dict[str, Any]]) -> str:
    """Rows (dicts with the same keys) as CSV text with a header."""
    if not rows:
        return ""
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return stream.getvalue()
