"""Energies of phases: relax a library phase with an energy source (cached), optionally add its
vibrational free energy, and keep the result as a `PhaseResult` with units in every field name."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from monty.json import MSONable
from pymatgen.core import Composition, Structure

from screening.energy.cache import ResultCache, cache_key, settings_fields
from screening.energy.phonons import PhononResult
from screening.energy.relax import RelaxationResult, RelaxSettings, relax_phase
from screening.energy.sources import EnergySource
from screening.errors import HydrideScreenError
from structures.phase import Phase

logger = logging.getLogger(__name__)


@dataclass
class PhaseResult(MSONable):
    """One phase computed with one energy source: relaxed structure, static energy per formula unit,
    volume per formula unit and, when phonons were computed, zero-point and thermal vibrational terms."""

    name: str
    formula: str
    structure: Structure
    energy_per_formula_unit_ev: float
    volume_per_formula_unit_a3: float
    energy_source_id: str
    relax_settings: RelaxSettings | None = field(default_factory=RelaxSettings)  # None: not relaxed here (database)
    phonons: PhononResult | None = None
    experimental_volume_per_formula_unit_a3: float | None = None
    is_molecule: bool = False
    source: str = ""
    flags: list[str] = field(default_factory=list)
    generated: bool = False  # built from a prototype by substitution: the compound may not exist
    computed_structure: bool = False  # found by the structure search or built as a model: not a measured structure

    @property
    def composition(self) -> Composition:
        """Reduced composition (one formula unit)."""
        return Composition(self.formula)

    @property
    def solid_volume_per_formula_unit_a3(self) -> float:
        """The volume used for capacities and volume changes: the measured one where the library has it
        (machine-learned potentials miss volumes by a few percent, which compounds in a difference),
        else the relaxed one."""
        if self.experimental_volume_per_formula_unit_a3 is not None:
            return self.experimental_volume_per_formula_unit_a3
        return self.volume_per_formula_unit_a3

    @property
    def zero_point_energy_ev_per_formula_unit(self) -> float | None:
        """Zero-point energy per formula unit, or None without phonons."""
        return None if self.phonons is None else self.phonons.zero_point_energy_ev_per_formula_unit

    @property
    def vibrational_free_energy_ev_per_formula_unit(self) -> dict[float, float] | None:
        """F_vib(T) per formula unit, zero point included, by temperature (K); None without phonons."""
        if self.phonons is None:
            return None
        return dict(zip(self.phonons.temperatures_k, self.phonons.free_energy_ev_per_formula_unit, strict=True))

    @property
    def has_imaginary_modes(self) -> bool:
        """True when the phonons found unstable modes (the structure is not a minimum)."""
        return self.phonons is not None and self.phonons.has_imaginary_modes

    @property
    def atoms_per_formula_unit(self) -> float:
        """Number of atoms in one formula unit."""
        return self.composition.num_atoms

    def energy_ev(self, with_zero_point: bool) -> float:
        """Energy per formula unit, with the zero-point energy added when asked (and computed)."""
        if not with_zero_point:
            return self.energy_per_formula_unit_ev
        if self.zero_point_energy_ev_per_formula_unit is None:
            raise ValueError(f"{self.name}: no zero-point energy was computed")
        return self.energy_per_formula_unit_ev + self.zero_point_energy_ev_per_formula_unit


@dataclass
class PhaseFailure(MSONable):
    """A phase that could not be computed, and why (unsupported element, rejected relaxation, ...)."""

    name: str
    formula: str
    reason: str


def formula_units(structure: Structure) -> float:
    """How many reduced formula units a cell holds."""
    return structure.composition.get_reduced_composition_and_factor()[1]


def phase_result_from_relaxation(phase: Phase, relaxation: RelaxationResult) -> PhaseResult:
    """A PhaseResult from a relaxation that passed its checks."""
    relaxation.raise_if_rejected()
    units = formula_units(relaxation.structure)
    experimental_volume = None
    if phase.experimental_lattice is not None:
        conventional = phase.recipe.build_conventional()
        experimental_volume = conventional.volume / formula_units(conventional)
    return PhaseResult(
        name=phase.name,
        formula=relaxation.structure.composition.reduced_formula,
        structure=relaxation.structure,
        energy_per_formula_unit_ev=relaxation.energy_ev / units,
        volume_per_formula_unit_a3=relaxation.structure.volume / units,
        energy_source_id=relaxation.energy_source_id,
        relax_settings=relaxation.settings,
        experimental_volume_per_formula_unit_a3=experimental_volume,
        is_molecule=phase.is_molecule,
        source=phase.source,
        generated="generated" in phase.tags,
        computed_structure=bool({"searched", "model"} & set(phase.tags)),
    )


# A generated phase starts from a volume estimate (Zen's law from the parent prototype), which misses
# interstitial hydrides by a factor of two (rocksalt NiH from LiH: +101 % on relaxation), and an ordered
# model built here starts from a guessed packing (Mg(NH2)2: +47 %), so their relaxations may change the
# volume this much before they count as exploded.
GENERATED_MAX_VOLUME_CHANGE_PCT = 150.0


def _settings_for(phase: Phase, settings: RelaxSettings) -> RelaxSettings:
    """The settings a phase is relaxed with: a guessed cell may change its volume more."""
    guessed_cell = "generated" in phase.tags or "model" in phase.tags
    if guessed_cell and settings.max_volume_change_pct < GENERATED_MAX_VOLUME_CHANGE_PCT:
        return replace(settings, max_volume_change_pct=GENERATED_MAX_VOLUME_CHANGE_PCT)
    return settings


def relax_cache_key(phase: Phase, source: EnergySource, settings: RelaxSettings) -> str:
    """The cache key of a phase's relaxation: its structure, the model and the settings it is relaxed with."""
    return cache_key("relax", phase.build(), source.id, settings_fields(_settings_for(phase, settings)))


def relax_cached(
    phase: Phase, source: EnergySource, settings: RelaxSettings, cache: ResultCache | None = None
) -> RelaxationResult:
    """The relaxation of a phase, from the cache when the same structure, model and settings were done."""
    settings = _settings_for(phase, settings)
    key = relax_cache_key(phase, source, settings)
    if cache is not None and (stored := cache.get(key, RelaxationResult)) is not None:
        return stored
    result = relax_phase(phase, source, settings)
    if cache is not None:  # a rejection is as reproducible as a success: both are kept
        cache.put(key, result)
    return result


# (relaxed structure, source, is_molecule) -> phonons per formula unit (e.g. screening.phonons.compute_phonons)
PhononFunction = Callable[[Structure, EnergySource, bool], PhononResult]


def compute_phase(
    phase: Phase,
    source: EnergySource,
    relax_settings: RelaxSettings | None = None,
    cache: ResultCache | None = None,
    phonons: PhononFunction | None = None,
) -> PhaseResult:
    """Relax a phase (cached) and, when `phonons` is given, add its phonons. A database source gives the phase its
    stored energy and structure instead (nothing is relaxed)."""
    if source.is_database:
        from screening.energy.materials_project import phase_result_of  # here: that module builds on this one

        return phase_result_of(phase)
    relax_settings = relax_settings or RelaxSettings()
    result = phase_result_from_relaxation(phase, relax_cached(phase, source, relax_settings, cache))
    return result if phonons is None else add_phonons(result, source, phonons)


def add_phonons(result: PhaseResult, source: EnergySource, phonons: PhononFunction) -> PhaseResult:
    """A copy of a relaxed phase's result with its phonons added (flagged when modes are imaginary)."""
    result_phonons = phonons(result.structure, source, result.is_molecule)
    flags = [*result.flags, "imaginary_modes"] if result_phonons.has_imaginary_modes else list(result.flags)
    return replace(result, phonons=result_phonons, flags=flags)


def compute_phase_or_failure(
    phase: Phase,
    source: EnergySource,
    relax_settings: RelaxSettings | None = None,
    cache: ResultCache | None = None,
    phonons: PhononFunction | None = None,
) -> PhaseResult | PhaseFailure:
    """`compute_phase`, with a failure (a user-facing error) returned as a `PhaseFailure` instead of raised,
    so that one bad phase does not stop a screen."""
    try:
        return compute_phase(phase, source, relax_settings, cache, phonons)
    except HydrideScreenError as error:
        logger.info("%s not used: %s", phase.name, error)
        return PhaseFailure(phase.name, phase.formula, str(error))


def phonons_or_failure(
    outcome: PhaseResult | PhaseFailure, source: EnergySource, phonons: PhononFunction
) -> PhaseResult | PhaseFailure:
    """`add_phonons` for a relaxed phase; a failure passes through, a phonon failure becomes one."""
    if isinstance(outcome, PhaseFailure):
        return outcome
    try:
        return add_phonons(outcome, source, phonons)
    except HydrideScreenError as error:
        logger.warning("%s: no phonons: %s", outcome.name, error)
        return PhaseFailure(outcome.name, outcome.formula, f"phonons: {error}")
