"""Makers for one phase: relax it with an energy source, then (optionally) add its phonons. Each job is one call
into `screening.energy.phase_results`; results are cached on disk by structure, model and settings, so a job whose
calculation was done before (in any run) returns at once.

`source` is None by default: the screening flow sets its one energy source on every phase maker, and refuses a
phase maker that names another one (`ScreeningMaker.with_source`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from jobflow import Maker, job

from screening.energy.cache import ResultCache, default_cache_dir
from screening.energy.phase_results import PhaseFailure, PhaseResult, compute_phase_or_failure, phonons_or_failure
from screening.energy.phonons import PhononSettings
from screening.energy.relax import RelaxSettings
from screening.energy.sources import EnergySource
from screening.thermo.model import phonon_function
from structures.phase import Phase


def calculation_cache(directory: str | None) -> ResultCache:
    """The calculation cache of a job: the given directory, else the machine's default (resolved where
    the job runs, so a cluster node uses its own `HYDRIDE_SCREEN_CACHE`)."""
    return ResultCache(Path(directory) if directory else default_cache_dir())


@dataclass
class RelaxMaker(Maker):
    """Relax a library phase (cell and positions, symmetry kept) and return its `PhaseResult`, or a
    `PhaseFailure` naming why it cannot be used."""

    name: str = "relax"
    source: EnergySource | None = None
    settings: RelaxSettings = field(default_factory=RelaxSettings)
    cache_dir: str | None = None

    @job
    def make(self, phase: Phase) -> PhaseResult | PhaseFailure:
        """The relaxation job of one phase."""
        return self.outcome(phase)

    def outcome(self, phase: Phase) -> PhaseResult | PhaseFailure:
        """The relaxation of one phase, computed in this process (what the job returns)."""
        source = self.source or EnergySource()
        return compute_phase_or_failure(phase, source, self.settings, calculation_cache(self.cache_dir))


@dataclass
class PhononMaker(Maker):
    """Add harmonic phonons (zero-point energy, vibrational free energy) to a relaxed phase."""

    name: str = "phonons"
    source: EnergySource | None = None
    settings: PhononSettings = field(default_factory=lambda: PhononSettings.for_purpose("zero_point"))
    cache_dir: str | None = None

    @job
    def make(self, relaxed: PhaseResult | PhaseFailure) -> PhaseResult | PhaseFailure:
        """The phonon job of one relaxed phase."""
        return self.outcome(relaxed)

    def outcome(self, relaxed: PhaseResult | PhaseFailure) -> PhaseResult | PhaseFailure:
        """The phonons of one relaxed phase, computed in this process (what the job returns)."""
        phonons = phonon_function(self.settings, calculation_cache(self.cache_dir))
        return phonons_or_failure(relaxed, self.source or EnergySource(), phonons)


# On a cluster every job is a process of its own, which imports the code and loads the energy model before it
# computes anything; a group job relaxes (or adds phonons to) several phases in one process, so the model loads
# once per group. Locally the whole flow runs in one process and the per-phase makers above are used.


@dataclass
class RelaxGroupMaker(Maker):
    """Relax several phases in one job, one after the other, with the settings of `relax_maker`."""

    name: str = "relax group"
    relax_maker: RelaxMaker = field(default_factory=RelaxMaker)

    @job
    def make(self, phases: list[Phase]) -> list[PhaseResult | PhaseFailure]:
        """The relaxation job of a group of phases: one outcome per phase, in order."""
        return [self.relax_maker.outcome(phase) for phase in phases]


@dataclass
class PhononGroupMaker(Maker):
    """Add phonons to several relaxed phases in one job, with the settings of `phonon_maker`."""

    name: str = "phonons group"
    phonon_maker: PhononMaker = field(default_factory=PhononMaker)

    @job
    def make(self, relaxed: list[PhaseResult | PhaseFailure]) -> list[PhaseResult | PhaseFailure]:
        """The phonon job of a group of relaxed phases: one outcome per phase, in order."""
        return [self.phonon_maker.outcome(outcome) for outcome in relaxed]
