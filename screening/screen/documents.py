"""The documents a screen produces and the store keeps: a run's provenance, the outcome of each host + additive
pair, and the finished run. Units are in the field names; every document is MSONable."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

from monty.json import MSONable

from screening.errors import UnknownPhaseError
from screening.reactions.anodes import ConversionAnode
from screening.reactions.enthalpy import parse_reaction
from screening.reactions.release_path import ReleasePath
from screening.reactions.result import ReactionResult
from screening.screen.ranking import RankedCandidate, RankedList

if TYPE_CHECKING:
    from screening.screen.anode import AnodeScreen
    from screening.screen.hydrogen import HydrogenStorageScreen


@dataclass(frozen=True)
class Pair(MSONable):
    """A host and an additive to screen together, with the reaction the literature proposes for them (if any)."""

    host: str
    additive: str
    intended_reaction: str = ""

    @property
    def label(self) -> str:
        """'MgH2 + Si'."""
        return f"{self.host} + {self.additive}"


@dataclass
class PairResult(MSONable):
    """One host + additive pair: the ratios tried, the one kept, and its release path."""

    host: str
    additive: str
    ratios_tried: list[float]
    best_ratio: float
    path: ReleasePath


@dataclass
class PairFailure(MSONable):
    """A host + additive pair that could not be screened, and why."""

    host: str
    additive: str
    reason: str


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
    inputs_hash: str = ""  # config, code, data and energy source together: equal hashes, equal results

    @classmethod
    def new(
        cls,
        screen: HydrogenStorageScreen | AnodeScreen,
        energy_source_id: str,
        screen_name: str = "screen",
        config: dict[str, Any] | None = None,
        config_hash: str = "",
        inputs_hash: str = "",
    ) -> RunProvenance:
        """The provenance of a new run of `screen` (a hydrogen-storage or anode screen), stamped now."""
        return cls(
            run_id=uuid.uuid4().hex[:12],
            screen_name=screen_name,
            kind=screen.kind,
            config_hash=config_hash,
            config=config or {},
            energy_source_id=energy_source_id,
            code_version=version("hydride-screen"),
            started_utc=utc_now(),
            hosts=list(screen.hosts),
            additives=list(screen.additives),
            inputs_hash=inputs_hash,
        )


@dataclass
class RunRecord(MSONable):
    """What `runs` lists of one finished run: its provenance without the config, and counts. Stored last, so a
    run that died before its end is never listed."""

    run_id: str
    screen_name: str
    kind: str
    config_hash: str
    energy_source_id: str
    code_version: str
    started_utc: str
    finished_utc: str
    hosts: list[str]
    additives: list[str]
    phases_total: int
    n_candidates: int
    n_failed: int
    inputs_hash: str = ""


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

    def record(self) -> RunRecord:
        """The small run record listed by `runs` (provenance without the config, counts, no results)."""
        p = self.provenance
        return RunRecord(
            run_id=p.run_id,
            screen_name=p.screen_name,
            kind=p.kind,
            config_hash=p.config_hash,
            energy_source_id=p.energy_source_id,
            code_version=p.code_version,
            started_utc=p.started_utc,
            finished_utc=self.finished_utc,
            hosts=list(p.hosts),
            additives=list(p.additives),
            phases_total=p.phases_total,
            n_candidates=len(self.ranked.candidates) if self.ranked else len(self.anodes),
            n_failed=len(self.failed),
            inputs_hash=p.inputs_hash,
        )

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
