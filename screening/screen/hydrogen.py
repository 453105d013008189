"""A hydrogen-storage screen: every host against every additive, the molar ratio searched (or fixed), release
paths over complete phase sets, and one ranked list. `HydrogenStorageScreen` is the plan that both the library call
(`screening.screen.run.run_screen`) and the jobflow graph (`workflows.screening_maker`) execute."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from monty.json import MSONable
from pymatgen.core import Composition, Element

from screening.errors import ConfigError, HydrideScreenError
from screening.reactions.release_path import Mixture, analyse_mixture, phase_diagram
from screening.screen.criteria import RankingCriteria
from screening.screen.documents import Pair, PairFailure, PairResult, RunProvenance, ScreenRun, utc_now
from screening.screen.ranking import rank_candidates
from screening.thermo.model import ComputedPhases
from screening.thermo.phase_set import PhaseSet
from screening.thermo.thermochemistry import Thermochemistry
from structures.candidates import elements_of, phases_for_system
from structures.library import PhaseLibrary
from structures.materials_project import MaterialsProjectStructures
from structures.phase import Phase

logger = logging.getLogger(__name__)

FALLBACK_RATIO = 1.0  # used when host and additive form no compound together (the additive is inert)


# Hydrogen chemical potentials (eV per H atom relative to the H2 molecule) at which the host-additive
# line is searched for vertices: 0 to -0.5 eV, i.e. release enthalpies of 0 to ~96 kJ/mol H2.
SEARCH_MU_H_EV = tuple(np.linspace(0.0, -0.5, 11))


def _ratio(critical: Composition, host: Composition, additive: Composition) -> float | None:
    """Moles of additive per mole of host that make `critical` (least squares over the elements)."""
    elements = sorted(set(host.elements) | set(additive.elements) | set(critical.elements))
    basis = np.array([[host[e] for e in elements], [additive[e] for e in elements]]).T
    amounts, *_ = np.linalg.lstsq(basis, np.array([critical[e] for e in elements]), rcond=None)
    return round(float(amounts[1] / amounts[0]), 6) if amounts[0] > 1e-9 and amounts[1] > 1e-9 else None


def candidate_ratios(
    host: str, additive: str, phase_set: PhaseSet, thermochemistry: Thermochemistry | None
) -> list[float]:
    """Moles of additive per mole of host at the vertices of the host-additive line, with hydrogen
    closed and with hydrogen open at chemical potentials spanning the useful release enthalpies:
    the ratios at which a product assemblage is reached exactly (the hull vertices)."""
    pd = phase_diagram(phase_set, thermochemistry)
    host_c, additive_c = Composition(host), Composition(additive)
    ratios = {_ratio(c, host_c, additive_c) for c in pd.get_critical_compositions(host_c, additive_c)}
    hydrogen = Element("H")
    host_open, additive_open = (
        Composition({e: n for e, n in c.items() if e != hydrogen}) for c in (host_c, additive_c)
    )
    if len(host_open) and len(additive_open):
        from pymatgen.analysis.phase_diagram import GrandPotentialPhaseDiagram

        for mu in SEARCH_MU_H_EV:
            grand = GrandPotentialPhaseDiagram(pd.all_entries, {hydrogen: float(mu)})
            for critical in grand.get_critical_compositions(host_open, additive_open):
                ratios.add(_ratio(critical, host_open, additive_open))
    return sorted(r for r in ratios if r is not None) or [FALLBACK_RATIO]


def analyse_pair(
    pair: Pair,
    phase_set: PhaseSet,
    thermochemistry: Thermochemistry | None,
    criteria: RankingCriteria,
    ratios: Sequence[float] | None = None,
) -> PairResult:
    """Release paths at each ratio (given, or from the phase diagram); keep the best-ranked first step."""
    tried = list(ratios) if ratios else candidate_ratios(pair.host, pair.additive, phase_set, thermochemistry)
    paths = {
        r: analyse_mixture(Mixture(pair.host, pair.additive, r), phase_set, thermochemistry, pair.intended_reaction)
        for r in tried
    }
    firsts = [p.first_release for p in paths.values() if p.first_release is not None]
    best = rank_candidates(firsts, criteria).candidates[0].additive_per_host_mol if firsts else tried[0]
    return PairResult(pair.host, pair.additive, tried, best, paths[best])


@dataclass
class HydrogenStorageScreen(MSONable):
    """Every host against every additive: which phases to compute, which pairs to analyse, how to analyse one
    pair, and how to turn the outcomes into a ranked run. `intended` maps 'host + additive' to the reaction the
    literature proposes; `ratios` fixes the molar ratios (moles of additive per mole of host) instead of
    searching the hull vertices."""

    hosts: list[str]
    additives: list[str]
    ratios: list[float] = field(default_factory=list)
    intended: dict[str, str] = field(default_factory=dict)
    criteria: RankingCriteria = field(default_factory=RankingCriteria)

    kind: ClassVar[str] = "hydrogen-storage"
    analysis_name: ClassVar[str] = "release path"

    def __post_init__(self) -> None:
        if not self.hosts or not self.additives:
            raise ConfigError("a hydrogen-storage screen needs at least one host and one additive")

    def pairs(self) -> list[Pair]:
        """Every host + additive pair, each once, except an additive that is the host itself."""
        pairs: dict[tuple[str, str], Pair] = {}
        for host in self.hosts:
            for additive in self.additives:
                if Composition(host).reduced_formula != Composition(additive).reduced_formula:
                    intended = self.intended.get(f"{host} + {additive}", "")
                    pairs.setdefault((host, additive), Pair(host, additive, intended))
        return list(pairs.values())

    def targets(self) -> list[Pair]:
        """What one analysis job takes: a pair."""
        return self.pairs()

    def label(self, pair: Pair) -> str:
        """A target in words, for job names and messages."""
        return pair.label

    def phases(self, library: PhaseLibrary, materials_project: MaterialsProjectStructures | None = None) -> list[Phase]:
        """Every phase of every host + additive system, each once."""
        phases = {
            p.name: p
            for pair in self.pairs()
            for p in phases_for_system(pair.host, pair.additive, library, materials_project)
        }
        return list(phases.values())

    def analyse(self, pair: Pair, computed: ComputedPhases) -> PairResult | PairFailure:
        """The release path of one pair on the phases of its chemical system; a user-facing error becomes a
        failure document, so one pair does not stop the screen."""
        system = computed.phase_set.in_chemical_system(elements_of(pair.host, pair.additive))
        try:
            return analyse_pair(pair, system, computed.thermochemistry, self.criteria, self.ratios or None)
        except HydrideScreenError as error:
            logger.warning("%s not screened: %s", pair.label, error)
            return PairFailure(pair.host, pair.additive, str(error))

    def finish(
        self,
        outcomes: Sequence[PairResult | PairFailure],
        phase_failures: dict[str, str],
        provenance: RunProvenance,
    ) -> ScreenRun:
        """The finished run: every release step of every pair's kept ratio, ranked, and what failed."""
        pairs = [o for o in outcomes if isinstance(o, PairResult)]
        failed = {f"{o.host} + {o.additive}": o.reason for o in outcomes if isinstance(o, PairFailure)}
        steps = [step for pair in pairs for step in pair.path.steps]
        ranked = rank_candidates(steps, self.criteria)
        return ScreenRun(provenance, utc_now(), ranked, steps, failed=phase_failures | failed)
