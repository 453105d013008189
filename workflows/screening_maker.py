"""The whole screen as one jobflow graph: relax each phase -> phonons -> phase set -> one analysis per target
(host + additive pair, or hydride against Li) -> finished run -> run record. Every step is a sub-maker that users
replace as in atomate2: `dataclasses.replace(maker, relax_maker=RelaxMaker(settings=...))`.

The energy source is set once, on this maker, and given to every phase maker; a phase maker that names another
source is refused, so one run never mixes two models. The ranking criteria belong to the screen plan, so every
job that ranks uses the same ones."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TypeVar

from jobflow import Flow, Job, Maker, OutputReference

from screening.energy.sources import EnergySource
from screening.errors import ConfigError
from screening.screen.documents import RunProvenance
from screening.screen.run import Screen
from screening.thermo.model import phases_needed
from structures.library import PhaseLibrary, default_library
from structures.materials_project import MaterialsProjectStructures
from structures.phase import Phase
from workflows.analysis_makers import AnalysisMaker, FinishMaker, PhaseSetMaker, RecordMaker
from workflows.config import ScreenConfig
from workflows.phase_makers import PhononGroupMaker, PhononMaker, RelaxGroupMaker, RelaxMaker

PhaseMaker = TypeVar("PhaseMaker", RelaxMaker, PhononMaker)


@dataclass
class ScreeningMaker(Maker):
    """Build the graph of a screen with one energy source. `phonon_maker=None` gives static energies (no
    zero-point energies). `phases_per_job` > 1 relaxes (and adds phonons to) that many phases per job, so that
    on a cluster, where every job is a process, the energy model loads once per group instead of once per phase."""

    name: str = "screen"
    source: EnergySource = field(default_factory=EnergySource)
    relax_maker: RelaxMaker = field(default_factory=RelaxMaker)
    phonon_maker: PhononMaker | None = field(default_factory=PhononMaker)
    phase_set_maker: PhaseSetMaker = field(default_factory=PhaseSetMaker)
    analysis_maker: AnalysisMaker = field(default_factory=AnalysisMaker)
    finish_maker: FinishMaker = field(default_factory=FinishMaker)
    record_maker: RecordMaker = field(default_factory=RecordMaker)
    phases_per_job: int = 1

    @classmethod
    def from_config(cls, config: ScreenConfig) -> ScreeningMaker:
        """The makers with the settings of a screen config."""
        model = config.model
        return cls(
            name=config.name,
            source=model.source,
            relax_maker=RelaxMaker(settings=model.relax_settings),
            phonon_maker=PhononMaker(settings=model.phonon_settings) if model.with_vibrations else None,
            phase_set_maker=PhaseSetMaker(
                with_corrections=model.with_corrections,
                thermochemistry=model.thermochemistry,
                correction_form=model.correction_form,
            ),
        )

    def with_source(self, maker: PhaseMaker) -> PhaseMaker:
        """A phase maker with this flow's energy source; ConfigError when it names another one."""
        if maker.source is not None and maker.source.id != self.source.id:
            raise ConfigError(
                f"{maker.name!r} uses energy source {maker.source.id} but the screen uses {self.source.id}; one run "
                "uses one source: set it on ScreeningMaker.source"
            )
        return replace(maker, source=self.source)

    def phases(
        self,
        screen: Screen,
        library: PhaseLibrary | None = None,
        materials_project: MaterialsProjectStructures | None = None,
    ) -> list[Phase]:
        """Every phase the screen computes: its systems' phases plus references and training compounds."""
        library = library or default_library()
        return phases_needed(
            screen.phases(library, materials_project),
            library,
            self.phase_set_maker.with_corrections,
            self.source.is_database,
            self.source.supported_elements(),
        )

    def phase_jobs(self, phases: list[Phase]) -> tuple[list[Job], list[OutputReference]]:
        """Per phase, a relaxation and (unless static) a phonon job on its result; and the output of each
        phase's last job."""
        relax_maker = self.with_source(self.relax_maker)
        phonon_maker = None if self.phonon_maker is None else self.with_source(self.phonon_maker)
        if self.phases_per_job > 1:
            return self.group_jobs(phases, relax_maker, phonon_maker)
        jobs, outputs = [], []
        for phase in phases:
            last = relax_maker.make(phase)
            last.name = f"{relax_maker.name} {phase.name}"
            jobs.append(last)
            if phonon_maker is not None:
                last = phonon_maker.make(last.output)
                last.name = f"{phonon_maker.name} {phase.name}"
                jobs.append(last)
            outputs.append(last.output)
        return jobs, outputs

    def group_jobs(
        self, phases: list[Phase], relax_maker: RelaxMaker, phonon_maker: PhononMaker | None
    ) -> tuple[list[Job], list[OutputReference]]:
        """`phase_jobs` with `phases_per_job` phases per job: per group a relaxation job and (unless static) a
        phonon job on its results, named by their group and listing its phases in their metadata; and each
        phase's outcome as a reference to its item in the output of its group's last job."""
        n_groups = -(-len(phases) // self.phases_per_job)
        size, extra = divmod(len(phases), n_groups) if phases else (0, 0)
        jobs, outputs, start = [], [], 0
        for index in range(n_groups):
            group = phases[start : start + size + (index < extra)]
            start += len(group)
            names = [phase.name for phase in group]
            last = RelaxGroupMaker(relax_maker=relax_maker).make(group)
            last.name = f"{relax_maker.name} group {index + 1} of {n_groups}"
            last.metadata["phases"] = names
            jobs.append(last)
            if phonon_maker is not None:
                last = PhononGroupMaker(phonon_maker=phonon_maker).make(last.output)
                last.name = f"{phonon_maker.name} group {index + 1} of {n_groups}"
                last.metadata["phases"] = names
                jobs.append(last)
            outputs += [last.output[position] for position in range(len(group))]
        return jobs, outputs

    def make(
        self,
        screen: Screen,
        provenance: RunProvenance | None = None,
        library: PhaseLibrary | None = None,
        materials_project: MaterialsProjectStructures | None = None,
    ) -> Flow:
        """The flow of one screening run; its output is the `RunRecord` of the stored run."""
        phases = self.phases(screen, library, materials_project)
        provenance = provenance or RunProvenance.new(screen, self.source.id, self.name)
        provenance.phases_total = len(phases)
        phase_jobs, phase_outputs = self.phase_jobs(phases)
        phase_set = self.phase_set_maker.make(phase_outputs, self.phonon_maker is not None)
        analyses = []
        for target in screen.targets():
            analysis = self.analysis_maker.make(screen, phase_set.output, target)
            analysis.name = f"{screen.analysis_name} {screen.label(target)}"
            analyses.append(analysis)
        finish = self.finish_maker.make(screen, [a.output for a in analyses], phase_set.output, provenance)
        record = self.record_maker.make(finish.output)
        return Flow([*phase_jobs, phase_set, *analyses, finish, record], output=record.output, name=self.name)
