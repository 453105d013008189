"""Makers from computed phases to a stored run: assemble the phase set (and fit corrections), analyse one target
of the screen (a host + additive pair, or a hydride against Li), finish the run, and record it. Each job is one
call into the screen's plan (`screening.screen`), the same calls the library's `run_screen` makes.

Results reach the results collections as job outputs only: the finished `ScreenRun` is routed by jobflow to the
additional store `results`, its `RunRecord` (a later job, so it is written last) to `runs`. No job writes to a
store itself, which is what lets the same flow run under jobflow-remote, where a job's store is a per-job file."""

from __future__ import annotations

from dataclasses import dataclass

from jobflow import Maker, job

from screening.energy.phase_results import PhaseFailure, PhaseResult
from screening.screen.documents import RunProvenance, RunRecord, ScreenRun
from screening.screen.run import Screen
from screening.store import RESULTS, RUNS
from screening.thermo.corrections import CorrectionForm
from screening.thermo.model import ComputedPhases, assemble_phases
from screening.thermo.thermochemistry import ThermochemistryMode


@dataclass
class PhaseSetMaker(Maker):
    """All computed phases of a run as one phase set, with its thermochemistry: measured formation enthalpies
    first (unless model-only) and the energy corrections fitted when asked."""

    name: str = "phase set"
    with_corrections: bool = True
    thermochemistry: ThermochemistryMode = ThermochemistryMode.EXPERIMENTAL_FIRST
    correction_form: CorrectionForm = CorrectionForm.AUTO

    @job
    def make(self, outcomes: list[PhaseResult | PhaseFailure], with_phonons: bool) -> ComputedPhases:
        """The phase-set job; `with_phonons` comes from the flow (whether it has a phonon maker)."""
        return assemble_phases(
            outcomes, with_phonons, self.with_corrections, self.thermochemistry, self.correction_form
        )


@dataclass
class AnalysisMaker(Maker):
    """One target of a screen: the release path of a host + additive pair, or a hydride's conversion with Li."""

    name: str = "analysis"

    @job
    def make(self, screen: Screen, computed: ComputedPhases, target: object) -> object:
        """The analysis job of one target (a `PairResult`/`ConversionAnode`, or a failure document)."""
        return screen.analyse(target, computed)


@dataclass
class FinishMaker(Maker):
    """Rank the outcomes of a screen into the finished run; jobflow stores it in the `results` collection."""

    name: str = "rank"

    @job(**{RESULTS: ScreenRun})
    def make(self, screen: Screen, outcomes: list, computed: ComputedPhases, provenance: RunProvenance) -> ScreenRun:
        """The finishing job: the finished run."""
        return screen.finish(outcomes, computed.failed, provenance)


@dataclass
class RecordMaker(Maker):
    """The run record that makes a finished run visible; jobflow stores it in the `runs` collection."""

    name: str = "record"

    @job(**{RUNS: RunRecord})
    def make(self, run: ScreenRun) -> RunRecord:
        """The last job of a run."""
        return run.record()
