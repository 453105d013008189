"""The thermodynamically preferred hydrogen-release path of a host + additive mixture.

With hydrogen open, lowering its chemical potential releases H2 in steps; each step turns the
equilibrium phase assemblage at one hydrogen content into the next (pymatgen's phase diagram gives
the critical compositions along the line from the mixture to its hydrogen-free end). The phase
diagram is built from corrected formation enthalpies of every computed phase of the system, so the
solver can only choose among phases that were computed: complete phase sets matter. A reaction of
the mixture that releases no hydrogen but lowers its enthalpy comes first and is flagged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING

from monty.json import MSONable
from pymatgen.core import Composition, Element
from scipy.constants import Avogadro

from screening.energy.phase_results import PhaseResult
from screening.errors import ConfigError, FormulaError, UnknownPhaseError
from screening.reactions.enthalpy import ReactionEnthalpy, enthalpy_of_terms, parse_reaction
from screening.reactions.result import ReactionFlag, ReactionResult, mixture_label
from screening.thermo.h2_gas import H2_H298_MINUS_H0_KJ_PER_MOL
from screening.thermo.phase_set import STANDARD_TEMPERATURE_K, PhaseSet, vibrational_enthalpy_ev
from screening.thermo.release import ReleaseThermodynamics, solid_vibrational_change
from screening.thermo.thermochemistry import Thermochemistry, formation_enthalpy_ev
from screening.units import CUBIC_ANGSTROM_TO_M3, EV_TO_KJ_PER_MOL, GRAM_TO_KG

if TYPE_CHECKING:
    from pymatgen.analysis.phase_diagram import PhaseDiagram

logger = logging.getLogger(__name__)

HYDROGEN = Element("H")
AMOUNT_TOLERANCE = 1e-6  # moles of formula unit below which a phase is absent
# A hydrogen-conserving reaction of the mixture counts as happening when it lowers the enthalpy by more
# than this per mol of host (the energy model's own scatter is larger than a few tenths of a kJ/mol).
EXOTHERMIC_TOLERANCE_KJ_PER_MOL = 1.0


@dataclass(frozen=True)
class Mixture(MSONable):
    """A host and an additive at a molar ratio (moles of additive formula units per mole of host)."""

    host: str
    additive: str = ""
    additive_per_host_mol: float = 0.0

    def __post_init__(self) -> None:
        if self.additive_per_host_mol < 0:
            raise ConfigError(f"additive ratio must not be negative, got {self.additive_per_host_mol}")
        if self.additive_per_host_mol > 0 and not self.additive:
            raise ConfigError("a ratio without an additive")

    @classmethod
    def from_text(cls, text: str) -> Mixture:
        """A mixture from reactants only, e.g. '2 LiBH4 + MgH2' (host first, ratio per mol of host)."""
        terms = []
        for part in text.split("+"):
            words = part.split()
            if not words or len(words) > 2:
                raise ConfigError(f"cannot read {part.strip()!r} in {text!r} as 'amount formula'")
            try:
                amount = float(words[0]) if len(words) == 2 else 1.0
                formula = Composition(words[-1]).reduced_formula
            except ValueError as exc:
                raise FormulaError(f"cannot read {part.strip()!r} in {text!r}") from exc
            terms.append((amount, words[-1], formula))
        if len(terms) > 2 or any(amount <= 0 for amount, *_ in terms):
            raise ConfigError(f"{text!r}: give a host and at most one additive with positive amounts")
        if len(terms) == 1:
            return cls(terms[0][1])
        (host_amount, host, _), (additive_amount, additive, _) = terms
        return cls(host, additive, additive_amount / host_amount)

    def amounts(self) -> dict[str, float]:
        """Formula -> moles in one mole of host."""
        amounts = {Composition(self.host).reduced_formula: 1.0}
        if self.additive and self.additive_per_host_mol > 0:
            formula = Composition(self.additive).reduced_formula
            amounts[formula] = amounts.get(formula, 0.0) + self.additive_per_host_mol
        return amounts

    @property
    def composition(self) -> Composition:
        """Total composition of one mole of host plus its additive."""
        return sum(
            (Composition(f) * n for f, n in self.amounts().items()),
            start=Composition(),
        )

    @property
    def label(self) -> str:
        """'MgH2 + 0.5 Si' style text."""
        return mixture_label(self.host, self.additive, self.additive_per_host_mol)


@dataclass
class ReleasePath(MSONable):
    """All steps of a mixture's release path, H-conserving pre-reaction first when there is one."""

    mixture: Mixture
    steps: list[ReactionResult]
    phases_considered: list[str]
    pre_reaction: str = ""
    pre_reaction_kj_per_mol_host: float = 0.0
    flags: list[str] = field(default_factory=list)

    @property
    def first_release(self) -> ReactionResult | None:
        """The first (lowest-temperature) H2-release step, or None when nothing releases H2."""
        return next((s for s in self.steps if s.h2_released_mol > 0), None)


def phase_diagram(phase_set: PhaseSet, thermochemistry: Thermochemistry | None) -> PhaseDiagram:
    """Phase diagram of corrected formation enthalpies; each entry carries its phase result as `attribute`. Solid
    H2 exists below 14 K only, so the gas is hydrogen's reference and product, and a solid H2 phase is left out."""
    from pymatgen.analysis.phase_diagram import PDEntry, PhaseDiagram  # 1 s of import: not for reading results

    entries = [
        PDEntry(result.composition, formation_enthalpy_ev(result, phase_set, thermochemistry), result.name,
                attribute=result)
        for result in phase_set.results
        if not (result.formula == "H2" and not result.is_molecule)
    ]  # fmt: skip
    try:
        return PhaseDiagram(entries)
    except ValueError as error:  # no entries, or an element without a computed phase of its own
        computed = ", ".join(sorted(r.name for r in phase_set.results)) or "none"
        raise UnknownPhaseError(f"no phase diagram: {error} (computed phases: {computed})") from None


def assemblage(pd: PhaseDiagram, composition: Composition) -> dict[str, tuple[float, PhaseResult]]:
    """Equilibrium phases at a composition: name -> (moles of formula units, result)."""
    assemblage: dict[str, tuple[float, PhaseResult]] = {}
    for entry, fraction in pd.get_decomposition(composition).items():
        moles = fraction * composition.num_atoms / entry.composition.num_atoms
        if moles > AMOUNT_TOLERANCE:
            factor = entry.composition.get_reduced_composition_and_factor()[1]
            assemblage[entry.attribute.name] = (moles * factor, entry.attribute)
    return assemblage


def open_element_levels(pd: PhaseDiagram, composition: Composition, element: Element) -> list[float]:
    """Moles of the open element per `composition`'s other elements at every critical composition on the
    line from the composition's element-free part to the pure element (pure element excluded), ascending."""
    rest = Composition({el: n for el, n in composition.items() if el != element})
    levels = set()
    for critical in pd.get_critical_compositions(Composition(element.symbol), rest):
        reference = next((el for el in rest if critical[el] > 0), None)
        if reference is not None:
            levels.add(round(critical[element] * rest[reference] / critical[reference], 9))
    return sorted(levels)


def _hydrogen_levels(pd: PhaseDiagram, mixture: Composition) -> list[float]:
    """The mixture's own H content, then the critical H contents below it, descending."""
    own = mixture[HYDROGEN]
    below = [h for h in open_element_levels(pd, mixture, HYDROGEN) if h < own - AMOUNT_TOLERANCE]
    return [own, *reversed(below)]


def _solid_hydrogen(assemblage: dict[str, tuple[float, PhaseResult]]) -> float:
    return sum(n * r.composition[HYDROGEN] for n, r in assemblage.values() if not r.is_molecule)


def net_change(before: dict, after: dict) -> list[tuple[float, PhaseResult]]:
    """Moles gained (positive) or consumed (negative) per solid phase between two assemblages."""
    names = set(before) | set(after)
    changes = []
    for name in sorted(names):
        result = (after.get(name) or before.get(name))[1]
        if result.is_molecule:
            continue
        delta = after.get(name, (0.0, result))[0] - before.get(name, (0.0, result))[0]
        if abs(delta) > AMOUNT_TOLERANCE:
            changes.append((delta, result))
    return changes


def reaction_text(changes: list[tuple[float, PhaseResult]], n_h2: float) -> str:
    """'1 MgH2 + 0.5 Si -> 0.5 Mg2Si + 1 H2' from net changes (formula units)."""
    left = " + ".join(f"{-n:.4g} {r.formula}" for n, r in changes if n < 0)
    right = [f"{n:.4g} {r.formula}" for n, r in changes if n > 0]
    if n_h2 > AMOUNT_TOLERANCE:
        right.append(f"{n_h2:.4g} H2")
    return f"{left} -> {' + '.join(right)}"


def release_thermodynamics(
    enthalpy: ReactionEnthalpy, changes: list[tuple[float, PhaseResult]], phase_set: PhaseSet
) -> ReleaseThermodynamics:
    """dG(T) of a step. Enthalpies here are at 298.15 K (fitted to 298 K data), so the gas's
    H(298) - H(0) and, with phonons, the solids' thermal enthalpy are taken off to give dH0."""
    dh0 = enthalpy.dh_kj_per_mol_h2 - H2_H298_MINUS_H0_KJ_PER_MOL
    if not phase_set.with_vibrations:
        return ReleaseThermodynamics(dh0, includes_zero_point=False, sigma_kj_per_mol_h2=enthalpy.sigma_kj_per_mol_h2)
    grids = [r.vibrational_free_energy_ev_per_formula_unit or {} for _, r in changes]
    temperatures = sorted(set.intersection(*(set(g) for g in grids)))
    vibrations = solid_vibrational_change(
        temperatures,
        [
            (-n, [g[t] * EV_TO_KJ_PER_MOL for t in temperatures])
            for (n, _), g in zip(changes, grids, strict=True)
            if n < 0
        ],
        [
            (n, [g[t] * EV_TO_KJ_PER_MOL for t in temperatures])
            for (n, _), g in zip(changes, grids, strict=True)
            if n > 0
        ],
        enthalpy.h2_released_mol,
    )
    solid_thermal_enthalpy_298 = (
        EV_TO_KJ_PER_MOL
        * sum(
            n * (vibrational_enthalpy_ev(r, STANDARD_TEMPERATURE_K) - r.zero_point_energy_ev_per_formula_unit)
            for n, r in changes
        )
        / enthalpy.h2_released_mol
    )
    return ReleaseThermodynamics(
        dh0 - solid_thermal_enthalpy_298,
        includes_zero_point=True,
        sigma_kj_per_mol_h2=enthalpy.sigma_kj_per_mol_h2,
        solid_vibrational_free_energy_change_kj_per_mol_h2=vibrations.thermal_free_energy_kj_per_mol_h2,
    )


def _initial_assemblage(mixture: Mixture, phase_set: PhaseSet) -> dict[str, tuple[float, PhaseResult]]:
    """The mixture as made: the ground-state phase of host and additive formulas."""
    assemblage: dict[str, tuple[float, PhaseResult]] = {}
    for formula, moles in mixture.amounts().items():
        result = phase_set.get(formula)
        previous = assemblage.get(result.name, (0.0, result))[0]
        assemblage[result.name] = (previous + moles, result)
    return assemblage


def _mixture_mass_g_and_volume_a3(initial: dict[str, tuple[float, PhaseResult]]) -> tuple[float, float]:
    mass = sum(n * r.composition.weight for n, r in initial.values())
    volume = sum(n * r.solid_volume_per_formula_unit_a3 for n, r in initial.values())
    return float(mass), float(volume)


def volume_change_pct(changes: list[tuple[float, PhaseResult]]) -> float:
    """Solid volume of the products relative to the consumed reactants, in percent."""
    consumed = sum(-n * r.solid_volume_per_formula_unit_a3 for n, r in changes if n < 0)
    formed = sum(n * r.solid_volume_per_formula_unit_a3 for n, r in changes if n > 0)
    return 100.0 * (formed / consumed - 1.0) if consumed > 0 else float("nan")


def release_path(
    mixture: Mixture,
    phase_set: PhaseSet,
    thermochemistry: Thermochemistry | None = None,
    t_min_k: float = 100.0,
    t_max_k: float = 1500.0,
) -> ReleasePath:
    """The H2-release steps of a mixture over all phases of the phase set, with dH, sigma, dS, T(1 bar),
    capacities and volume change per step."""
    pd = phase_diagram(phase_set, thermochemistry)
    initial = _initial_assemblage(mixture, phase_set)
    mass_g, volume_a3 = _mixture_mass_g_and_volume_a3(initial)
    composition = mixture.composition
    host_part = Composition({el: n for el, n in composition.items() if el != HYDROGEN})
    states = [initial] + [assemblage(pd, host_part + Composition({"H": h})) for h in _hydrogen_levels(pd, composition)]
    path = ReleasePath(mixture, [], sorted(r.name for r in phase_set.results))
    step = 0
    for before, after in pairwise(states):
        changes = net_change(before, after)
        if not changes:
            continue
        n_h2 = (_solid_hydrogen(before) - _solid_hydrogen(after)) / 2
        if n_h2 <= AMOUNT_TOLERANCE:
            enthalpy_kj = EV_TO_KJ_PER_MOL * sum(
                n * formation_enthalpy_ev(r, phase_set, thermochemistry) for n, r in changes
            )
            if enthalpy_kj < -EXOTHERMIC_TOLERANCE_KJ_PER_MOL:
                path.pre_reaction = reaction_text(changes, 0.0)
                path.pre_reaction_kj_per_mol_host = enthalpy_kj
                path.flags.append(ReactionFlag.EXOTHERMIC_WITHOUT_H2.value)
            continue
        step += 1
        path.steps.append(
            _step_result(mixture, step, changes, n_h2, phase_set, thermochemistry, mass_g, volume_a3, t_min_k, t_max_k)
        )
    return path


def _step_result(
    mixture: Mixture,
    step: int,
    changes: list[tuple[float, PhaseResult]],
    n_h2: float,
    phase_set: PhaseSet,
    thermochemistry: Thermochemistry | None,
    mass_g: float,
    volume_a3: float,
    t_min_k: float,
    t_max_k: float,
) -> ReactionResult:
    text = reaction_text(changes, n_h2)
    enthalpy = enthalpy_of_terms(text, changes, n_h2, phase_set, thermochemistry)
    thermo = release_thermodynamics(enthalpy, changes, phase_set)
    low_k, high_k = thermo.supported_range_k  # the phonon grid (to 1000 K) may end below t_max_k
    one_bar = thermo.t_1bar(max(t_min_k, low_k), min(t_max_k, high_k))
    flags = [] if phase_set.with_vibrations else [ReactionFlag.STATIC_ENERGIES_ONLY.value]
    if not one_bar.found:
        flags.append(ReactionFlag.NO_1_BAR_TEMPERATURE_IN_RANGE.value)
    if any(r.has_imaginary_modes for _, r in changes):
        flags.append(ReactionFlag.IMAGINARY_MODES.value)
    if any(r.generated for n, r in changes if n > 0):
        flags.append(ReactionFlag.HYPOTHETICAL_PRODUCT.value)
    if enthalpy.uncalibrated_terms:
        flags.append(ReactionFlag.UNCALIBRATED_CHEMISTRY.value)
    if any(r.computed_structure for n, r in changes if n != 0):
        flags.append(ReactionFlag.COMPUTED_STRUCTURE.value)
    h2_mass_g = n_h2 * Composition("H2").weight
    t_eval = one_bar.t_1bar_k if one_bar.found else STANDARD_TEMPERATURE_K
    return ReactionResult(
        host=mixture.host,
        additive=mixture.additive,
        additive_per_host_mol=mixture.additive_per_host_mol,
        reaction=text,
        step=step,
        h2_released_mol=n_h2,
        dh_kj_per_mol_h2=enthalpy.dh_kj_per_mol_h2,
        sigma_kj_per_mol_h2=enthalpy.sigma_kj_per_mol_h2,
        ds_j_per_mol_h2_k=thermo.ds_j_per_mol_h2_k(t_eval),
        t_1bar_k=one_bar.t_1bar_k,
        sigma_t_1bar_k=one_bar.sigma_t_1bar_k,
        h2_wt_pct=100.0 * float(h2_mass_g) / mass_g,
        h2_kg_per_m3=float(h2_mass_g) * GRAM_TO_KG / (volume_a3 * CUBIC_ANGSTROM_TO_M3 * Avogadro),
        volume_change_pct=volume_change_pct(changes),
        reactants=[r.formula for n, r in changes if n < 0],
        products=[r.formula for n, r in changes if n > 0],
        energy_source_id=phase_set.energy_source_id,
        with_vibrations=phase_set.with_vibrations,
        flags=flags,
        t_1bar_bound_k=None if one_bar.found else one_bar.t_1bar_bound_k,
        uncalibrated_terms=list(enthalpy.uncalibrated_terms),
        experimental_phases=list(enthalpy.experimental_phases),
        energy_origins=list(enthalpy.energy_origins),
    )


def _solid_products(text: str) -> set[str]:
    reaction = parse_reaction(text)
    return {c.reduced_formula for c in reaction.products if not (len(c) == 1 and c.reduced_formula == "H2")} - {
        c.reduced_formula for c in reaction.reactants
    }


def analyse_mixture(
    mixture: Mixture,
    phase_set: PhaseSet,
    thermochemistry: Thermochemistry | None = None,
    intended_reaction: str = "",
    t_min_k: float = 100.0,
    t_max_k: float = 1500.0,
) -> ReleasePath:
    """The release path of a mixture with the flags a user must see: intended reaction not on the path
    (or naming phases that were not computed), additive inert, mixture reacting without H2."""
    path = release_path(mixture, phase_set, thermochemistry, t_min_k, t_max_k)
    first = path.first_release
    flags: list[str] = []
    if intended_reaction:
        known = {r.formula for r in phase_set.results}
        intended = _solid_products(intended_reaction)
        if intended - known:
            flags.append(ReactionFlag.UNKNOWN_PHASES_MISSING.value)
            logger.info("intended products not computed: %s", ", ".join(sorted(intended - known)))
        if first is None or intended != set(first.products):
            flags.append(ReactionFlag.INTENDED_REACTION_NOT_ON_PATH.value)
    if mixture.additive and first is not None:
        host_alone = release_path(Mixture(mixture.host), phase_set, thermochemistry, t_min_k, t_max_k).first_release
        additive = Composition(mixture.additive).reduced_formula
        if (
            host_alone is not None
            and additive not in first.reactants
            and (abs(host_alone.dh_kj_per_mol_h2 - first.dh_kj_per_mol_h2) < 0.1)
        ):
            flags.append(ReactionFlag.ADDITIVE_INERT.value)
    path.flags.extend(flags)
    if first is not None:
        first.flags.extend(f for f in path.flags if f not in first.flags)
    return path
