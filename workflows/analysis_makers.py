"""Makers from computed phases to a stored run: assemble the phase set (and fit corrections), find the
release path of each host + additive pair (or convert each hydride with Li), rank, and store the run.
Each job is one call into `screening`."""

from __future__ import annotations

from dataclasses import dataclass, field

from jobflow import JobConfig, Maker, job

from screening.energy.phase_results import PhaseFailure, PhaseResult
from screening.reactions.anodes import AnodeCriteria, ConversionAnode
from screening.screen.anode import anode_run, screen_anode
from screening.screen.documents import PairFailure, PairResult, RunProvenance, ScreenRun
from screening.screen.hydrogen import screen_run, screen_system
from screening.screen.ranking import RankingCriteria
from screening.thermo.model import ComputedPhases, assemble_phases
from workflows.stores import results_store_of

# the ranking jobs write the finished run into the results collections of the store they run against
STORING = JobConfig(expose_store=True)


@dataclass
class PhaseSetMaker(Maker):
    """All computed phases of a run as one phase set, with the energy corrections fitted when asked."""

    name: str = "phase set"
    with_vibrations: bool = True
    with_corrections: bool = True

    @job
    def make(self, outcomes: list[PhaseResult | PhaseFailure]) -> ComputedPhases:
        """The phase-set job."""
        return assemble_phases(outcomes, self.with_vibrations, self.with_corrections)


@dataclass
class ReleasePathMaker(Maker):
    """The thermodynamic H2-release path of one host + additive pair, at the searched (or given) ratios."""

    name: str = "release path"
    criteria: RankingCriteria = field(default_factory=RankingCriteria)
    ratios: list[float] = field(default_factory=list)

    @job
    def make(
        self, computed: ComputedPhases, host: str, additive: str, intended_reaction: str = ""
    ) -> PairResult | PairFailure:
        """The release-path job of one pair."""
        return screen_system(host, additive, computed, self.criteria, self.ratios or None, intended_reaction)


@dataclass
class AnodeMaker(Maker):
    """The conversion of one hydride with lithium: capacity, voltage vs Li/Li+, volume change."""

    name: str = "anode"

    @job
    def make(self, computed: ComputedPhases, hydride: str) -> ConversionAnode | PairFailure:
        """The anode job of one hydride."""
        return screen_anode(hydride, computed)


@dataclass
class RankingMaker(Maker):
    """Rank the pairs of a hydrogen-storage screen and store the run in the job store's results."""

    name: str = "rank"
    criteria: RankingCriteria = field(default_factory=RankingCriteria)

    @job(config=STORING)
    def make(
        self, outcomes: list[PairResult | PairFailure], computed: ComputedPhases, provenance: RunProvenance
    ) -> ScreenRun:
        """The ranking job: the finished run, saved before it is returned."""
        run = screen_run(outcomes, computed.failed, self.criteria, provenance)
        results_store_of().save(run)
        return run


@dataclass
class AnodeRankingMaker(Maker):
    """Rank the anodes of an anode screen and store the run in the job store's results."""

    name: str = "rank anodes"
    criteria: AnodeCriteria = field(default_factory=AnodeCriteria)

    @job(config=STORING)
    def make(
        self, outcomes: list[ConversionAnode | PairFailure], computed: ComputedPhases, provenance: RunProvenance
    ) -> ScreenRun:
        """The anode ranking job: the finished run, saved before it is returned."""
        run = anode_run(outcomes, computed.failed, self.criteria, provenance)
        results_store_of().save(run)
        return run
