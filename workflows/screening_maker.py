"""The whole screen as one jobflow graph: relax each phase -> phonons -> phase set -> one release path per
host + additive pair (or one conversion per hydride) -> ranking, stored. Every step is a sub-maker that
users replace as in atomate2: `dataclasses.replace(maker, relax_maker=MyRelaxMaker())`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from importlib.metadata import version

from jobflow import Flow, Job, Maker, OutputReference

from screening.screen.documents import RunProvenance, utc_now
from screening.screen.hydrogen import screen_phases, screened_pairs
from screening.thermo.model import phases_needed
from structures.candidates import anode_phases
from structures.library import PhaseLibrary, default_library
from structures.materials_project import MaterialsProjectStructures
from structures.phase import Phase
from workflows.analysis_makers import (
    AnodeMaker,
    AnodeRankingMaker,
    PhaseSetMaker,
    RankingMaker,
    ReleasePathMaker,
)
from workflows.config import ScreenConfig, ScreenKind
from workflows.phase_makers import PhononMaker, RelaxMaker


@dataclass
class ScreeningMaker(Maker):
    """Build the graph of a screen. `phonon_maker=None` gives static energies (no zero-point energies)."""

    name: str = "screen"
    relax_maker: RelaxMaker = field(default_factory=RelaxMaker)
    phonon_maker: PhononMaker | None = field(default_factory=PhononMaker)
    phase_set_maker: PhaseSetMaker = field(default_factory=PhaseSetMaker)
    release_path_maker: ReleasePathMaker = field(default_factory=ReleasePathMaker)
    ranking_maker: RankingMaker = field(default_factory=RankingMaker)
    anode_maker: AnodeMaker = field(default_factory=AnodeMaker)
    anode_ranking_maker: AnodeRankingMaker = field(default_factory=AnodeRankingMaker)

    @classmethod
    def from_config(cls, config: ScreenConfig) -> ScreeningMaker:
        """The makers with the settings of a screen config."""
        model = config.model
        return cls(
            name=config.name,
            relax_maker=RelaxMaker(source=model.source, settings=model.relax_settings),
            phonon_maker=PhononMaker(source=model.source, settings=model.phonon_settings)
            if model.with_vibrations
            else None,
            phase_set_maker=PhaseSetMaker(
                with_vibrations=model.with_vibrations, with_corrections=model.with_corrections
            ),
            release_path_maker=ReleasePathMaker(criteria=config.criteria, ratios=list(config.screen.ratios)),
            ranking_maker=RankingMaker(criteria=config.criteria),
            anode_ranking_maker=AnodeRankingMaker(criteria=config.anode_criteria),
        )

    def phases(
        self,
        hosts: list[str],
        additives: list[str],
        kind: ScreenKind = ScreenKind.hydrogen_storage,
        library: PhaseLibrary | None = None,
        materials_project: MaterialsProjectStructures | None = None,
    ) -> list[Phase]:
        """Every phase the screen computes: the pairs' systems plus references and training compounds."""
        library = library or default_library()
        if kind is ScreenKind.anode:
            wanted = {p.name: p for hydride in hosts for p in anode_phases(library.get(hydride).name, library)}
            phases = list(wanted.values())
        else:
            phases = screen_phases(hosts, additives, library, materials_project)
        return phases_needed(phases, library, self.phase_set_maker.with_corrections)

    def phase_jobs(self, phases: list[Phase]) -> tuple[list[Job], list[OutputReference]]:
        """Per phase, a relaxation and (unless static) a phonon job on its result; and the output of each
        phase's last job."""
        jobs, outputs = [], []
        for phase in phases:
            last = self.relax_maker.make(phase)
            last.name = f"{self.relax_maker.name} {phase.name}"
            jobs.append(last)
            if self.phonon_maker is not None:
                last = self.phonon_maker.make(last.output)
                last.name = f"{self.phonon_maker.name} {phase.name}"
                jobs.append(last)
            outputs.append(last.output)
        return jobs, outputs

    def make(
        self,
        hosts: list[str],
        additives: list[str] | None = None,
        kind: ScreenKind = ScreenKind.hydrogen_storage,
        intended: dict[tuple[str, str], str] | None = None,
        provenance: RunProvenance | None = None,
        library: PhaseLibrary | None = None,
        materials_project: MaterialsProjectStructures | None = None,
    ) -> Flow:
        """The flow of one screening run; its last job's output is the stored `ScreenRun`."""
        additives = list(additives or [])
        phases = self.phases(hosts, additives, kind, library, materials_project)
        provenance = provenance or RunProvenance(
            run_id=uuid.uuid4().hex[:12],
            screen_name=self.name,
            kind=str(kind),
            config_hash="",
            config={},
            energy_source_id=self.relax_maker.source.id,
            code_version=version("hydride-screen"),
            started_utc=utc_now(),
            hosts=list(hosts),
            additives=additives,
        )
        provenance.phases_total = len(phases)
        phase_jobs, phase_outputs = self.phase_jobs(phases)
        phase_set = self.phase_set_maker.make(phase_outputs)
        if kind is ScreenKind.anode:
            analyses = [self.anode_maker.make(phase_set.output, hydride) for hydride in hosts]
            for analysis, hydride in zip(analyses, hosts, strict=True):
                analysis.name = f"{self.anode_maker.name} {hydride}"
            ranking = self.anode_ranking_maker.make([a.output for a in analyses], phase_set.output, provenance)
        else:
            analyses = []
            for host, additive in screened_pairs(hosts, additives):
                intended_reaction = (intended or {}).get((host, additive), "")
                analysis = self.release_path_maker.make(phase_set.output, host, additive, intended_reaction)
                analysis.name = f"{self.release_path_maker.name} {host} + {additive}"
                analyses.append(analysis)
            ranking = self.ranking_maker.make([a.output for a in analyses], phase_set.output, provenance)
        return Flow([*phase_jobs, phase_set, *analyses, ranking], output=ranking.output, name=self.name)
