"""Relaxation of a structure with an energy source (ASE optimizer on a FrechetCellFilter), with the
failure modes of machine-learned potentials detected and named instead of silently used."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace

import numpy as np
from ase.constraints import FixSymmetry
from ase.filters import FrechetCellFilter
from ase.optimize import BFGS, FIRE, LBFGS
from monty.json import MSONable
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from screening.energy.sources import EnergySource
from screening.errors import ConfigError, RelaxationFailed
from screening.units import EV_PER_A3_TO_GPA
from structures.crystallography import strained_lattice_parameters
from structures.phase import Phase

logger = logging.getLogger(__name__)

OPTIMIZERS = {"BFGS": BFGS, "LBFGS": LBFGS, "FIRE": FIRE}
# Bounds beyond which a result is physically absurd for any solid or molecule of this project.
ENERGY_PER_ATOM_BOUNDS_EV = (-20.0, 5.0)
MIN_INTERATOMIC_DISTANCE_A = 0.5


@dataclass(frozen=True)
class RelaxSettings(MSONable):
    """How to relax: convergence thresholds, step limit, symmetry, and the bounds that reject a result."""

    fmax_ev_per_a: float = 0.02
    max_stress_gpa: float = 0.05  # 0.05 GPa ~ 0.2 % in volume; float32 MLIP stresses are noisy below it
    max_steps: int = 500
    relax_cell: bool = True
    keep_symmetry: bool = True
    symprec: float = 0.01
    optimizer: str = "BFGS"
    max_volume_change_pct: float = 40.0

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"unknown optimizer {self.optimizer!r}; use one of {', '.join(OPTIMIZERS)}")
        if self.fmax_ev_per_a <= 0 or self.max_stress_gpa <= 0 or self.max_steps < 0:
            raise ConfigError("relaxation thresholds must be positive and max_steps non-negative")


@dataclass
class RelaxationResult(MSONable):
    """The outcome of one relaxation. `rejected_reason` is empty for a usable result."""

    structure: Structure
    initial_structure: Structure
    energy_ev: float
    converged: bool
    steps: int
    max_force_ev_per_a: float
    max_stress_gpa: float
    space_group_before: int
    space_group_after: int
    energy_source_id: str
    settings: RelaxSettings = field(default_factory=RelaxSettings)
    rejected_reason: str = ""

    @property
    def energy_per_atom_ev(self) -> float:
        """Total energy divided by the number of atoms."""
        return self.energy_ev / len(self.structure)

    @property
    def volume_change_pct(self) -> float:
        """Relaxed minus initial cell volume, in percent of the initial volume."""
        return 100.0 * (self.structure.volume / self.initial_structure.volume - 1.0)

    @property
    def min_distance_a(self) -> float:
        """Shortest interatomic distance of the relaxed structure (periodic images included)."""
        return _min_distance_a(self.structure)

    def raise_if_rejected(self) -> RelaxationResult:
        """This result, or RelaxationFailed with the reason it must not be used."""
        if self.rejected_reason:
            raise RelaxationFailed(f"{self.structure.composition.reduced_formula}: {self.rejected_reason}")
        return self


def _min_distance_a(structure: Structure) -> float:
    if len(structure) == 1:
        return min(structure.lattice.abc)
    dmat = structure.distance_matrix + np.eye(len(structure)) * 1e9
    return float(min(dmat.min(), min(structure.lattice.abc)))


def _space_group_number(structure: Structure, symprec: float) -> int:
    return SpacegroupAnalyzer(structure, symprec=symprec).get_space_group_number()


def relax_structure(
    structure: Structure, source: EnergySource, settings: RelaxSettings | None = None
) -> RelaxationResult:
    """Relax positions (and the cell unless settings.relax_cell is False) until both the largest force
    and the largest stress component are below their thresholds, then check the result is physical."""
    settings = settings or RelaxSettings()
    source.check_elements((el.symbol for el in structure.composition), structure.composition.reduced_formula)
    atoms = AseAtomsAdaptor.get_atoms(structure)
    atoms.calc = source.calculator()
    if settings.keep_symmetry:
        atoms.set_constraint(FixSymmetry(atoms, symprec=settings.symprec))
    target = FrechetCellFilter(atoms) if settings.relax_cell else atoms
    # The filter turns stress into cell "forces" of stress * volume / n_atoms, so a plain fmax can stop
    # with stress left (seen: 0 steps and 0.2-0.3 GPa on MgH2). Ask the optimizer for a force
    # threshold that implies the stress threshold too, and check both explicitly afterwards.
    fmax = settings.fmax_ev_per_a
    if settings.relax_cell:
        stress_as_force = settings.max_stress_gpa / EV_PER_A3_TO_GPA * atoms.get_volume() / len(atoms)
        fmax = min(fmax, stress_as_force)
    optimizer = OPTIMIZERS[settings.optimizer](target, logfile=None)
    for _ in range(3):  # the filter's criterion can be met with the stress target still missed: tighten
        try:
            optimizer.run(fmax=fmax, steps=settings.max_steps - optimizer.nsteps)
        except (ValueError, RuntimeError, np.linalg.LinAlgError) as exc:
            raise RelaxationFailed(f"{structure.composition.reduced_formula}: optimizer failed ({exc})") from exc
        stress_left = float(np.abs(atoms.get_stress()).max()) * EV_PER_A3_TO_GPA if settings.relax_cell else 0.0
        if stress_left <= settings.max_stress_gpa or optimizer.nsteps >= settings.max_steps:
            break
        fmax /= 4
    energy_ev = float(atoms.get_potential_energy())
    atoms.set_constraint()  # the symmetry constraint has done its job; pymatgen cannot carry it
    final = AseAtomsAdaptor.get_structure(atoms)
    max_force = float(np.abs(atoms.get_forces()).max(initial=0.0)) if len(atoms) else 0.0
    max_stress = float(np.abs(atoms.get_stress()).max()) * EV_PER_A3_TO_GPA if settings.relax_cell else 0.0
    converged = max_force <= settings.fmax_ev_per_a * 1.0001 and (
        not settings.relax_cell or max_stress <= settings.max_stress_gpa * 1.0001
    )
    result = RelaxationResult(
        structure=final,
        initial_structure=structure,
        energy_ev=energy_ev,
        converged=converged,
        steps=optimizer.nsteps,
        max_force_ev_per_a=max_force,
        max_stress_gpa=max_stress,
        space_group_before=_space_group_number(structure, settings.symprec),
        space_group_after=_space_group_number(final, settings.symprec),
        energy_source_id=source.id,
        settings=settings,
    )
    result.rejected_reason = _rejection(result)
    if result.rejected_reason:
        logger.warning("%s rejected: %s", structure.composition.reduced_formula, result.rejected_reason)
    return result


def _rejection(result: RelaxationResult) -> str:
    """Why a relaxation result must not be used, or '' when it may."""
    low, high = ENERGY_PER_ATOM_BOUNDS_EV
    if not math.isfinite(result.energy_ev):
        return "energy is not a finite number"
    if not low <= result.energy_per_atom_ev <= high:
        return f"energy {result.energy_per_atom_ev:.2f} eV/atom lies outside the physical range {low} to {high}"
    if result.min_distance_a < MIN_INTERATOMIC_DISTANCE_A:
        return f"atoms collapsed: shortest distance {result.min_distance_a:.2f} A"
    if abs(result.volume_change_pct) > result.settings.max_volume_change_pct:
        return (
            f"volume changed by {result.volume_change_pct:+.1f} %, beyond the "
            f"{result.settings.max_volume_change_pct:.0f} % bound"
        )
    if not result.converged:
        return (
            f"did not converge in {result.steps} steps (max force {result.max_force_ev_per_a:.3f} eV/A, "
            f"max stress {result.max_stress_gpa:.3f} GPa)"
        )
    return ""


def relax_phase(phase: Phase, source: EnergySource, settings: RelaxSettings | None = None) -> RelaxationResult:
    """Relax a library phase; molecules keep their box (positions only)."""
    settings = settings or RelaxSettings()
    if phase.is_molecule and settings.relax_cell:
        settings = replace(settings, relax_cell=False)
    return relax_structure(phase.build(), source, settings)


@dataclass(frozen=True)
class LatticeComparison(MSONable):
    """Relaxed against experimental lattice of one phase, in percent (molecules: the bond length)."""

    phase: str
    a_error_pct: float
    b_error_pct: float
    c_error_pct: float
    volume_error_pct: float

    @property
    def max_abs_error_pct(self) -> float:
        """The largest of the three length errors, in absolute value."""
        return max(abs(self.a_error_pct), abs(self.b_error_pct), abs(self.c_error_pct))


def compare_lattice(phase: Phase, result: RelaxationResult) -> LatticeComparison:
    """Errors of the relaxed lattice against the phase's experimental one (or bond length for molecules)."""
    if phase.is_molecule:
        bond_error = 100.0 * (result.structure.get_distance(0, 1) / phase.recipe.bond_length_a - 1.0)
        return LatticeComparison(phase.name, bond_error, bond_error, bond_error, 0.0)
    experimental = phase.experimental_lattice
    if experimental is None:
        raise ConfigError(f"{phase.name} has no experimental lattice to compare with")
    relaxed = strained_lattice_parameters(experimental, result.initial_structure.lattice, result.structure.lattice)
    exp_lattice, relaxed_lattice = experimental.to_lattice(), relaxed.to_lattice()
    return LatticeComparison(
        phase.name,
        *(100.0 * (r / e - 1.0) for r, e in zip(relaxed_lattice.abc, exp_lattice.abc, strict=True)),
        100.0 * (relaxed_lattice.volume / exp_lattice.volume - 1.0),
    )
