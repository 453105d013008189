"""A screen: every host against every additive, the molar ratio searched (or fixed), release paths over
complete phase sets, and one ranked list. Pure library code; the jobflow layer calls these pieces."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
from pymatgen.analysis.phase_diagram import GrandPotentialPhaseDiagram
from pymatgen.core import Composition, Element

from screening.energy.cache import ResultCache
from screening.errors import HydrideScreenError
from screening.reactions.release_path import Mixture, analyse_mixture, phase_diagram
from screening.reactions.result import ReactionResult
from screening.screen.documents import PairFailure, PairResult, RunProvenance, ScreenRun, utc_now
from screening.screen.ranking import RankedList, RankingCriteria, rank_candidates
from screening.thermo.corrections import CorrectionScheme
from screening.thermo.model import ComputedPhases, EnergyModel
from screening.thermo.phase_set import PhaseSet
from structures.candidates import elements_of, phases_for_system
from structures.library import PhaseLibrary, default_library
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
    host: str, additive: str, phase_set: PhaseSet, corrections: CorrectionScheme | None
) -> list[float]:
    """Moles of additive per mole of host at the vertices of the host-additive line, with hydrogen
    closed and with hydrogen open at chemical potentials spanning the useful release enthalpies:
    the ratios at which a product assemblage is reached exactly (the hull vertices)."""
    pd, _ = phase_diagram(phase_set, corrections)
    host_c, additive_c = Composition(host), Composition(additive)
    ratios = {_ratio(c, host_c, additive_c) for c in pd.get_critical_compositions(host_c, additive_c)}
    hydrogen = Element("H")
    host_open, additive_open = (
        Composition({e: n for e, n in c.items() if e != hydrogen}) for c in (host_c, additive_c)
    )
    if len(host_open) and len(additive_open):
        for mu in SEARCH_MU_H_EV:
            grand = GrandPotentialPhaseDiagram(pd.all_entries, {hydrogen: float(mu)})
            for critical in grand.get_critical_compositions(host_open, additive_open):
                ratios.add(_ratio(critical, host_open, additive_open))
    return sorted(r for r in ratios if r is not None) or [FALLBACK_RATIO]


def screen_pair(
    host: str,
    additive: str,
    phase_set: PhaseSet,
    corrections: CorrectionScheme | None,
    criteria: RankingCriteria,
    ratios: Sequence[float] | None = None,
    intended_reaction: str = "",
) -> PairResult:
    """Release paths at each ratio (given, or from the phase diagram); keep the best-ranked first step."""
    tried = list(ratios) if ratios else candidate_ratios(host, additive, phase_set, corrections)
    paths = {r: analyse_mixture(Mixture(host, additive, r), phase_set, corrections, intended_reaction) for r in tried}
    firsts = [p.first_release for p in paths.values() if p.first_release is not None]
    best = rank_candidates(firsts, criteria).candidates[0].additive_per_host_mol if firsts else tried[0]
    path = paths[best]
    return PairResult(host, additive, tried, best, path, path.phases_considered)


def screen_system(
    host: str,
    additive: str,
    computed: ComputedPhases,
    criteria: RankingCriteria,
    ratios: Sequence[float] | None = None,
    intended_reaction: str = "",
) -> PairResult | PairFailure:
    """`screen_pair` on the phases of the pair's chemical system; a user-facing error becomes a failure."""
    system = computed.phase_set.in_chemical_system(elements_of(host, additive))
    try:
        return screen_pair(host, additive, system, computed.corrections, criteria, ratios, intended_reaction)
    except HydrideScreenError as error:
        logger.warning("%s + %s not screened: %s", host, additive, error)
        return PairFailure(host, additive, str(error))


def screened_pairs(hosts: Sequence[str], additives: Sequence[str]) -> list[tuple[str, str]]:
    """Every host + additive pair of a screen, except an additive that is the host itself."""
    return [
        (h, a) for h in hosts for a in additives if Composition(h).reduced_formula != Composition(a).reduced_formula
    ]


def rank_pairs(
    outcomes: Sequence[PairResult | PairFailure], criteria: RankingCriteria
) -> tuple[RankedList, list[PairResult], dict[str, str]]:
    """The ranked list of the screened pairs, the pairs, and the failed pairs with their reasons."""
    pairs = [o for o in outcomes if isinstance(o, PairResult)]
    failed = {f"{o.host} + {o.additive}": o.reason for o in outcomes if isinstance(o, PairFailure)}
    return rank_candidates(results_of(pairs), criteria), pairs, failed


def results_of(pairs: Sequence[PairResult]) -> list[ReactionResult]:
    """Every release step of every pair's kept ratio."""
    return [step for pair in pairs for step in pair.path.steps]


def run_screen(
    hosts: Sequence[str],
    additives: Sequence[str],
    model: EnergyModel,
    criteria: RankingCriteria | None = None,
    ratios: Sequence[float] | None = None,
    intended: dict[tuple[str, str], str] | None = None,
    cache: ResultCache | None = None,
    library: PhaseLibrary | None = None,
    progress: Callable[[str], None] | None = None,
    materials_project: MaterialsProjectStructures | None = None,
) -> tuple[RankedList, list[PairResult], dict[str, str]]:
    """Compute every phase of every host + additive system once, analyse each pair, rank them all.
    With a Materials Project client (e.g. when MP_API_KEY is set) MP phases join every system.
    Returns the ranked list, the pairs, and the phases and pairs that failed with the reason."""
    criteria = criteria or RankingCriteria()
    library = library or default_library()
    computed = model.compute(screen_phases(hosts, additives, library, materials_project), cache, library, progress)
    outcomes = [
        screen_system(h, a, computed, criteria, ratios, (intended or {}).get((h, a), ""))
        for h, a in screened_pairs(hosts, additives)
    ]
    ranked, pairs, failed_pairs = rank_pairs(outcomes, criteria)
    return ranked, pairs, computed.failed | failed_pairs


def screen_phases(
    hosts: Sequence[str],
    additives: Sequence[str],
    library: PhaseLibrary,
    materials_project: MaterialsProjectStructures | None = None,
) -> list[Phase]:
    """Every phase of every host + additive system of a screen, each once."""
    phases = {p.name: p for h in hosts for a in additives for p in phases_for_system(h, a, library, materials_project)}
    return list(phases.values())


def screen_run(
    outcomes: Sequence[PairResult | PairFailure],
    phase_failures: dict[str, str],
    criteria: RankingCriteria,
    provenance: RunProvenance,
) -> ScreenRun:
    """The finished run of a hydrogen-storage screen: ranked candidates, every release step, failures."""
    ranked, pairs, failed_pairs = rank_pairs(outcomes, criteria)
    return ScreenRun(provenance, utc_now(), ranked, results_of(pairs), failed=phase_failures | failed_pairs)
