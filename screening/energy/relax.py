"""Relaxation of a structure with an energy source (ASE optimizer on a FrechetCellFilter), with the
failure modes of machine-learned potentials detected and named instead of silently used."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
from monty.json import MSONable
from pymatgen.core import Structure

from screening.energy.sources import EnergySource
from screening.errors import ConfigError, RelaxationFailed
from screening.units import EV_PER_A3_TO_GPA
from structures.crystallography import strained_lattice_parameters
from structures.phase import Phase

if TYPE_CHECKING:  # ASE's optimizers and constraints load (0.5 s) only where something is relaxed
    from ase import Atoms
    from ase.filters import FrechetCellFilter

logger = logging.getLogger(__name__)

OPTIMIZERS = ("BFGS", "LBFGS", "FIRE")  # classes of ase.optimize
# Bounds beyond which a result is physically absurd for any solid or molecule of this project.
ENERGY_PER_ATOM_BOUNDS_EV = (-20.0, 5.0)
MIN_INTERATOMIC_DISTANCE_A = 0.5
# spglib's tolerance: positions closer than this are one site. Below 1e-5 A float noise breaks symmetry; above
# 0.5 A distinct atoms merge (H-H in H2 is 0.74 A). Outside these spglib aborts or crashes the process.
SYMPREC_BOUNDS_A = (1e-5, 0.5)
MAX_STEPS = 100_000  # far beyond any real relaxation; keeps the step count a plain integer everywhere


# The most one optimizer step may strain a cell (log strain, dimensionless): a start softer than the solid must not
# overshoot (a strained EMT Cu cell lost 52 % of its volume in one step without this bound).
MAX_STRAIN_PER_STEP = 0.05


class _Stopped(Exception):
    """Raised by the watch on a relaxation to stop it as soon as it has become unphysical."""


def _watch(
    atoms: Atoms, initial_volume_a3: float, settings: RelaxSettings, steps: Callable[[], int]
) -> Callable[[], None]:
    """A check run after every optimizer step: stop a collapsing or exploding cell, or atoms running into each
    other, at once instead of after the optimizer returns (a collapsing cell makes every step slower)."""

    def check() -> None:
        volume_change_pct = 100.0 * (atoms.get_volume() / initial_volume_a3 - 1.0)
        if abs(volume_change_pct) > settings.max_volume_change_pct:
            raise _Stopped(
                f"stopped at step {steps()}: volume changed by {volume_change_pct:+.1f} %, beyond the "
                f"{settings.max_volume_change_pct:.0f} % bound"
            )
        shortest = _min_distance_of_atoms(atoms)
        if shortest < MIN_INTERATOMIC_DISTANCE_A:
            raise _Stopped(f"stopped at step {steps()}: atoms collapsed, shortest distance {shortest:.2f} A")

    return check


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
    # BFGS's starting Hessian (ASE's own is 70 eV/A^2 on every coordinate): on the atoms, and on the cell the
    # curvature of the filter's log-strain coordinates for a guessed stiffness (48 GPa = 0.3 eV/A^3). Chosen by
    # trial with SevenNet-0 on CaH2, AlH3, NaBH4, LiBH4 and MgH2 (154 steps from ASE's start): 70 and 0.1 eV/A^3
    # -> 107 steps, 30 and 0.3 -> 78, 20 and 0.3 -> 73, 10 and 0.3 -> 58, energies within 0.01 meV/atom. Half the
    # steps of ASE's start on the 26 benchmark phases (benchmarks/relax_vs_atomate2.py, docs/performance.md).
    bfgs_hessian_atoms_ev_per_a2: float = 10.0
    bfgs_hessian_cell_stiffness_gpa: float = 48.0

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"unknown optimizer {self.optimizer!r}; use one of {', '.join(OPTIMIZERS)}")
        for name in (
            "fmax_ev_per_a",
            "max_stress_gpa",
            "max_volume_change_pct",
            "bfgs_hessian_atoms_ev_per_a2",
            "bfgs_hessian_cell_stiffness_gpa",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ConfigError(f"[relax] {name} must be a finite number > 0, got {value!r}")
        low, high = SYMPREC_BOUNDS_A
        if isinstance(self.symprec, bool) or not (
            isinstance(self.symprec, int | float) and low <= self.symprec <= high
        ):
            raise ConfigError(f"[relax] symprec must be between {low:g} and {high:g} A, got {self.symprec!r}")
        if isinstance(self.max_steps, bool) or not (
            isinstance(self.max_steps, int) and 1 <= self.max_steps <= MAX_STEPS
        ):
            raise ConfigError(f"[relax] max_steps must be a whole number from 1 to {MAX_STEPS}, got {self.max_steps!r}")


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


def _min_distance_of_atoms(atoms: Atoms) -> float:
    """`_min_distance_a` of ASE atoms as they are during a relaxation (constraints and all)."""
    lengths = atoms.cell.lengths()
    if len(atoms) == 1:
        return float(min(lengths))
    distances = atoms.get_all_distances(mic=True) + np.eye(len(atoms)) * 1e9
    return float(min(distances.min(), min(lengths)))


def _space_group_number(structure: Structure, symprec: float) -> int:
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer  # scipy.cluster & co.: only when relaxing

    return SpacegroupAnalyzer(structure, symprec=symprec).get_space_group_number()


def relax_structure(
    structure: Structure, source: EnergySource, settings: RelaxSettings | None = None
) -> RelaxationResult:
    """Relax positions (and the cell unless settings.relax_cell is False) until both the largest force
    and the largest stress component are below their thresholds, then check the result is physical."""
    settings = settings or RelaxSettings()
    formula = structure.composition.reduced_formula
    source.check_elements((el.symbol for el in structure.composition), formula)
    if (shortest := _min_distance_a(structure)) < MIN_INTERATOMIC_DISTANCE_A:
        raise RelaxationFailed(f"{formula}: atoms overlap in the input structure (shortest distance {shortest:.2f} A)")
    from pymatgen.io.ase import AseAtomsAdaptor

    atoms, steps, stopped = _optimize(structure, source, settings, cautious=False)
    if stopped:  # the fast start overshot into an unphysical region: once more from the start, as ASE starts
        logger.info("%s: %s with the fitted start; relaxing again from ASE's start", formula, stopped)
        atoms, cautious_steps, stopped = _optimize(structure, source, settings, cautious=True)
        steps += cautious_steps
    energy_ev = float(atoms.get_potential_energy())
    atoms.set_constraint()  # the symmetry constraint has done its job; pymatgen cannot carry it
    final = AseAtomsAdaptor.get_structure(atoms)
    final.calc = None  # the adaptor attaches the calculator: a copied result would copy the whole model with it
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
        steps=steps,
        max_force_ev_per_a=max_force,
        max_stress_gpa=max_stress,
        space_group_before=_space_group_number(structure, settings.symprec),
        space_group_after=0 if stopped else _space_group_number(final, settings.symprec),  # 0: not analysed
        energy_source_id=source.id,
        settings=settings,
    )
    result.rejected_reason = stopped or _rejection(result)
    if result.rejected_reason:
        logger.warning("%s rejected: %s", formula, result.rejected_reason)
    return result


def _optimize(
    structure: Structure, source: EnergySource, settings: RelaxSettings, cautious: bool
) -> tuple[Atoms, int, str]:
    """Run the optimizer on a fresh copy of `structure`: the relaxed atoms, the steps taken, and why the watch
    stopped it ('' if it did not).

    The filter's cell coordinates are f * log(strain) and its cell "forces" stress * volume / f. By default f is
    such that fmax on them is the stress threshold, so one optimizer criterion converges both and the atoms are
    not pushed below fmax to reach it; f is kept large enough that one step (at most `maxstep` in these
    coordinates) strains the cell by MAX_STRAIN_PER_STEP at most, and BFGS starts from `_bfgs_initial_hessian`.
    `cautious` is ASE's own start instead (f = N, 70 eV/A^2 everywhere), with fmax lowered until it implies the
    stress threshold: slower, but it creeps into the nearest minimum where the fitted start can overshoot one."""
    import ase.optimize
    from ase.constraints import FixSymmetry
    from ase.filters import FrechetCellFilter
    from pymatgen.io.ase import AseAtomsAdaptor

    atoms = AseAtomsAdaptor.get_atoms(structure)
    atoms.calc = source.calculator()
    if settings.keep_symmetry:
        atoms.set_constraint(FixSymmetry(atoms, symprec=settings.symprec))
    fmax = settings.fmax_ev_per_a
    target = atoms
    optimizer_class = getattr(ase.optimize, settings.optimizer)
    if settings.relax_cell:
        stress_ev_per_a3 = settings.max_stress_gpa / EV_PER_A3_TO_GPA
        if cautious:
            cell_factor = float(len(atoms))
        else:
            stress_factor = stress_ev_per_a3 * atoms.get_volume() / fmax
            cell_factor = max(stress_factor, optimizer_class.defaults["maxstep"] / MAX_STRAIN_PER_STEP)
        fmax = min(fmax, stress_ev_per_a3 * atoms.get_volume() / cell_factor)
        target = FrechetCellFilter(atoms, exp_cell_factor=cell_factor)
    optimizer = optimizer_class(target, logfile=None)
    if settings.optimizer == "BFGS" and not cautious:
        optimizer.H0 = _bfgs_initial_hessian(target, settings)
    optimizer.attach(_watch(atoms, atoms.get_volume(), settings, lambda: optimizer.nsteps), interval=1)
    for _ in range(3):  # a safety net: should the stress still be above its threshold, tighten and go on
        try:
            optimizer.run(fmax=fmax, steps=settings.max_steps - optimizer.nsteps)
        except _Stopped as reason:
            return atoms, optimizer.nsteps, str(reason)
        except (ValueError, RuntimeError, np.linalg.LinAlgError) as exc:
            formula = structure.composition.reduced_formula
            raise RelaxationFailed(f"{formula}: optimizer failed ({exc})") from exc
        stress_left = float(np.abs(atoms.get_stress()).max()) * EV_PER_A3_TO_GPA if settings.relax_cell else 0.0
        if stress_left <= settings.max_stress_gpa or optimizer.nsteps >= settings.max_steps:
            break
        fmax /= 4
    return atoms, optimizer.nsteps, ""


def _bfgs_initial_hessian(target: Atoms | FrechetCellFilter, settings: RelaxSettings) -> np.ndarray:
    """A diagonal starting Hessian: `bfgs_hessian_atoms_ev_per_a2` on the atoms and, on a cell filter's nine cell
    coordinates (f * log(strain), f its exp_cell_factor), V * C / f^2, the curvature of a cell of stiffness C.
    ASE's own start (70 eV/A^2 everywhere) makes the first cell steps far too short or too long."""
    from ase.filters import FrechetCellFilter

    diagonal = np.full(target.get_positions().size, settings.bfgs_hessian_atoms_ev_per_a2, dtype=float)
    if isinstance(target, FrechetCellFilter):
        stiffness_ev_per_a3 = settings.bfgs_hessian_cell_stiffness_gpa / EV_PER_A3_TO_GPA
        diagonal[-9:] = target.atoms.get_volume() * stiffness_ev_per_a3 / target.exp_cell_factor**2
    return np.diag(diagonal)


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
