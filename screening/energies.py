"""Energies of phases: relax a library phase with an energy source (cached), optionally add its
vibrational free energy, and keep the result as a `PhaseResult` with units in every field name."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from monty.json import MSONable
from pymatgen.core import Composition, Structure

from screening.calculators import EnergySource
from screening.relax import RelaxationResult, RelaxSettings, relax_phase
from screening.result_cache import ResultCache, cache_key
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
    relax_settings: RelaxSettings = field(default_factory=RelaxSettings)
    zero_point_energy_ev_per_formula_unit: float | None = None
    vibrational_free_energy_ev_per_formula_unit: dict[float, float] | None = None  # T (K) -> F_vib incl. ZPE
    has_imaginary_modes: bool = False
    is_molecule: bool = False
    source: str = ""
    flags: list[str] = field(default_factory=list)

    @property
    def composition(self) -> Composition:
        """Reduced composition (one formula unit)."""
        return Composition(self.formula)

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


def formula_units(structure: Structure) -> float:
    """How many reduced formula units a cell holds."""
    return structure.composition.get_reduced_composition_and_factor()[1]


def phase_result_from_relaxation(phase: Phase, relaxation: RelaxationResult) -> PhaseResult:
    """A PhaseResult from a relaxation that passed its checks."""
    relaxation.raise_if_rejected()
    units = formula_units(relaxation.structure)
    return PhaseResult(
        name=phase.name,
        formula=relaxation.structure.composition.reduced_formula,
        structure=relaxation.structure,
        energy_per_formula_unit_ev=relaxation.energy_ev / units,
        volume_per_formula_unit_a3=relaxation.structure.volume / units,
        energy_source_id=relaxation.energy_source_id,
        relax_settings=relaxation.settings,
        is_molecule=phase.is_molecule,
        source=phase.source,
    )


def relax_cached(
    phase: Phase, source: EnergySource, settings: RelaxSettings, cache: ResultCache | None = None
) -> RelaxationResult:
    """The relaxation of a phase, from the cache when the same structure, model and settings were done."""
    structure = phase.build()
    key = cache_key("relax", structure, source.id, settings.as_dict())
    if cache is not None and (stored := cache.get(key)) is not None:
        return stored
    result = relax_phase(phase, source, settings)
    if cache is not None and not result.rejected_reason:
        cache.put(key, result)
    return result


# (structure, source, is_molecule) -> (zero-point energy per cell in eV, {T: F_vib per cell in eV}, imaginary?)
VibrationFunction = Callable[[Structure, EnergySource, bool], tuple[float, dict[float, float], bool]]


def compute_phase(
    phase: Phase,
    source: EnergySource,
    relax_settings: RelaxSettings | None = None,
    cache: ResultCache | None = None,
    vibrations: VibrationFunction | None = None,
) -> PhaseResult:
    """Relax a phase (cached) and, when `vibrations` is given, add its vibrational terms per formula unit."""
    relax_settings = relax_settings or RelaxSettings()
    result = phase_result_from_relaxation(phase, relax_cached(phase, source, relax_settings, cache))
    if vibrations is not None:
        units = formula_units(result.structure)
        zero_point_ev, free_energy_ev, imaginary = vibrations(result.structure, source, phase.is_molecule)
        result.zero_point_energy_ev_per_formula_unit = zero_point_ev / units
        result.vibrational_free_energy_ev_per_formula_unit = {t: f / units for t, f in free_energy_ev.items()}
        result.has_imaginary_modes = imaginary
        if imaginary:
            result.flags.append("imaginary_modes")
    return result
