"""Harmonic phonons by finite displacements (phonopy) with the run's energy source: zero-point energy and
vibrational free energy, entropy and heat capacity per formula unit, with imaginary modes flagged instead
of hidden. Isolated molecules get their zero-point energy only (their thermal part comes from the
gas-phase tables). Convergence helpers choose the supercell per purpose and check the displacement."""

from __future__ import annotations

import logging
import math
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np
from monty.json import MSONable
from pymatgen.core import Structure
from scipy.constants import Planck, electron_volt, kilo, tera

from screening.energy.cache import ResultCache, cache_key, settings_fields
from screening.energy.sources import EnergySource
from screening.errors import ConfigError
from screening.units import EV_TO_KJ_PER_MOL
from structures.supercells import most_compact_supercell_matrix

if TYPE_CHECKING:  # phonopy and ase.vibrations load (1 s) only where phonons are computed, not to read results
    from ase import Atoms
    from phonopy import Phonopy
    from phonopy.structure.atoms import PhonopyAtoms

logger = logging.getLogger(__name__)

# New unit conversion (not in units.py): phonon energy h*nu of 1 THz in eV (4.1357e-3 eV).
THZ_TO_EV = Planck * tera / electron_volt
# A structure whose largest residual force exceeds this was not relaxed; its phonons are meaningless.
RESIDUAL_FORCE_WARNING_EV_PER_A = 0.05

Purpose = Literal["zero_point", "free_energy"]
# Minimum supercell edge per purpose, from benchmarks/phonon_convergence.py with SevenNet-0: the ZPE of MgH2
# and LiBH4 is within 0.2 meV/atom of the largest supercell tried at 2x2x2 / 1x2x1 (>= 6 A); F_vib at
# 300-600 K needs about 8 A (LiBH4 1x2x1 -> 2x2x2 moved it 0.5-1.0 meV/atom). Imaginary-mode verdicts
# converge slowest: a spurious -1.2 THz LiBH4 mode along b survived b = 8.4 A and vanished at 16.9 A.
RECOMMENDED_MIN_SUPERCELL_LENGTH_A: dict[str, float] = {"zero_point": 6.0, "free_energy": 8.0}
SupercellShape = Literal["diagonal", "fewest_displaced_atoms"]
SUPERCELL_SHAPES: tuple[str, ...] = get_args(SupercellShape)


@dataclass(frozen=True)
class PhononSettings(MSONable):
    """How to compute phonons. The supercell is `supercell_matrix` when given, otherwise one whose atoms lie at
    least `min_supercell_length_a` from their periodic images: with `supercell_shape` "diagonal" (the default),
    the diagonal multiples of the cell that make every supercell vector that long; with "fewest_displaced_atoms",
    that one or a more compact non-diagonal supercell, whichever needs the fewest atoms summed over its
    displacements (with SevenNet-0 on one thread, LiNH2 163 -> 36 s and NaAlH4 32 -> 9 s, but over eight phases the
    ZPE moved by -0.27 to +0.45 meV/atom, F_vib(600 K) by up to 10 meV/atom and MgH2 gained an imaginary mode,
    beyond the 0.2 meV/atom held for supercell choices, so it is not the default).
    A mode below `imaginary_threshold_thz` (phonopy writes imaginary frequencies as negative numbers)
    anywhere on the q-mesh, the three acoustic modes at Gamma excepted, counts as imaginary: the small
    negative tolerance absorbs interpolation noise near Gamma."""

    displacement_a: float = 0.01
    min_supercell_length_a: float = RECOMMENDED_MIN_SUPERCELL_LENGTH_A["zero_point"]
    supercell_matrix: tuple[tuple[int, int, int], ...] | None = None
    supercell_shape: SupercellShape = "diagonal"
    q_mesh_length_a: float = 100.0
    temperature_min_k: float = 0.0
    temperature_max_k: float = 1000.0
    temperature_step_k: float = 10.0
    imaginary_threshold_thz: float = -0.1
    symprec_a: float = 1e-3

    def __post_init__(self) -> None:
        if self.supercell_matrix is not None:
            matrix = tuple(tuple(int(x) for x in row) for row in self.supercell_matrix)
            if len(matrix) != 3 or any(len(row) != 3 for row in matrix) or round(np.linalg.det(matrix)) < 1:
                raise ConfigError(f"supercell_matrix must be a 3x3 integer matrix with positive determinant: {matrix}")
            object.__setattr__(self, "supercell_matrix", matrix)
        if self.supercell_shape not in SUPERCELL_SHAPES:
            shapes = ", ".join(SUPERCELL_SHAPES)
            raise ConfigError(f"unknown supercell_shape {self.supercell_shape!r}; use one of {shapes}")
        if self.displacement_a <= 0 or self.min_supercell_length_a <= 0 or self.q_mesh_length_a <= 0:
            raise ConfigError("displacement, supercell length and q-mesh length must be positive")
        if not 0 <= self.temperature_min_k <= self.temperature_max_k or self.temperature_step_k <= 0:
            raise ConfigError("temperature grid needs 0 <= min <= max and a positive step")
        if self.imaginary_threshold_thz > 0:
            raise ConfigError("imaginary_threshold_thz is a tolerance below zero (e.g. -0.1)")

    @classmethod
    def for_purpose(cls, purpose: Purpose, **overrides: Any) -> PhononSettings:
        """Settings with the recommended supercell length of `purpose` (zero_point or free_energy)."""
        if purpose not in RECOMMENDED_MIN_SUPERCELL_LENGTH_A:
            raise ConfigError(f"unknown phonon purpose {purpose!r}; use 'zero_point' or 'free_energy'")
        return cls(min_supercell_length_a=RECOMMENDED_MIN_SUPERCELL_LENGTH_A[purpose], **overrides)

    @property
    def temperatures_k(self) -> np.ndarray:
        """The temperature grid, both ends included."""
        step = self.temperature_step_k
        return np.arange(self.temperature_min_k, self.temperature_max_k + step / 2, step)


@dataclass
class PhononResult(MSONable):
    """Harmonic phonon properties per formula unit of `formula`.

    `free_energy_ev_per_formula_unit` is F_vib(T) = ZPE + k_B T sum ln(1 - exp(-h nu / k_B T)); it includes
    the zero-point energy, so its value at 0 K equals `zero_point_energy_ev_per_formula_unit`. Entropy and
    heat capacity are in J/(mol K) with mol meaning a mole of formula units. Imaginary modes do not enter
    any sum; `has_imaginary_modes` says they exist and the numbers then describe only the real part of an
    unstable structure. For molecules only the zero-point energy is computed: the thermal lists are empty
    and `vibrational_frequencies_thz` holds the 3N-5 (linear) or 3N-6 vibrational frequencies."""

    formula: str
    formula_units_per_cell: int
    atoms_per_formula_unit: int
    zero_point_energy_ev_per_formula_unit: float
    temperatures_k: list[float]
    free_energy_ev_per_formula_unit: list[float]
    entropy_j_per_mol_k_per_formula_unit: list[float]
    heat_capacity_j_per_mol_k_per_formula_unit: list[float]
    min_frequency_thz: float
    has_imaginary_modes: bool
    supercell_matrix: list[list[int]]
    displacement_a: float
    n_displacements: int
    max_residual_force_ev_per_a: float
    energy_source_id: str
    wall_time_s: float
    is_molecule: bool = False
    vibrational_frequencies_thz: list[float] = field(default_factory=list)
    settings: PhononSettings = field(default_factory=PhononSettings)

    @property
    def zero_point_energy_ev_per_atom(self) -> float:
        """The zero-point energy divided by the atoms of one formula unit."""
        return self.zero_point_energy_ev_per_formula_unit / self.atoms_per_formula_unit

    def enthalpy_at(self, temperature_k: float) -> float:
        """H_vib = F_vib + T S_vib (ZPE included) in eV per formula unit, both interpolated linearly on the grid;
        phonopy's entropy is exact for the same frequencies, so no numerical derivative of F is needed."""
        entropy_j_per_mol_k = float(
            np.interp(temperature_k, self.temperatures_k, self.entropy_j_per_mol_k_per_formula_unit)
        )
        return self.free_energy_at(temperature_k) + temperature_k * entropy_j_per_mol_k / kilo / EV_TO_KJ_PER_MOL

    def free_energy_at(self, temperature_k: float) -> float:
        """F_vib (ZPE included) in eV per formula unit at a temperature of the grid's range (linear
        interpolation); molecules have no thermal part here and raise ConfigError."""
        if not self.temperatures_k:
            raise ConfigError(f"{self.formula}: no vibrational free energy (molecules take it from gas tables)")
        if not self.temperatures_k[0] <= temperature_k <= self.temperatures_k[-1]:
            raise ConfigError(
                f"{temperature_k} K lies outside the computed grid {self.temperatures_k[0]}-{self.temperatures_k[-1]} K"
            )
        return float(np.interp(temperature_k, self.temperatures_k, self.free_energy_ev_per_formula_unit))


def supercell_matrix_for_length(structure: Structure, min_length_a: float) -> tuple[tuple[int, int, int], ...]:
    """Diagonal supercell whose every lattice vector is at least `min_length_a` long (ceil(L / |a_i|))."""
    multiples = [max(1, math.ceil(min_length_a / length - 1e-6)) for length in structure.lattice.abc]
    return tuple(tuple(multiples[i] if i == j else 0 for j in range(3)) for i in range(3))


def supercell_matrix_for_settings(structure: Structure, settings: PhononSettings) -> tuple[tuple[int, int, int], ...]:
    """The phonon supercell of `settings` for `structure`, as phonopy's matrix (columns are the new vectors)."""
    matrix = _displaced_phonopy(structure, settings).supercell_matrix
    return tuple(tuple(int(x) for x in row) for row in matrix)


def _displaced_phonopy(structure: Structure, settings: PhononSettings) -> Phonopy:
    """phonopy with its displacements in the supercell of `settings` (see `PhononSettings`)."""
    from phonopy import Phonopy
    from pymatgen.io.phonopy import get_phonopy_structure

    unitcell = get_phonopy_structure(structure)

    def displaced(matrix: Sequence[Sequence[int]]) -> Phonopy:
        # primitive_matrix "P": thermal properties per input cell, which _formula_units counts (phonopy 4
        # otherwise searches a smaller primitive cell and reports per that).
        phonon = Phonopy(unitcell, supercell_matrix=matrix, primitive_matrix="P", symprec=settings.symprec_a)
        phonon.generate_displacements(distance=settings.displacement_a)
        return phonon

    if settings.supercell_matrix is not None:
        return displaced(settings.supercell_matrix)
    diagonal = displaced(supercell_matrix_for_length(structure, settings.min_supercell_length_a))
    if settings.supercell_shape == "diagonal":
        return diagonal
    # No lattice of volume V has images farther apart than (sqrt(2) V)^(1/3), the fcc lattice's (Gauss, 1831), so
    # smaller supercells are not tried; the smallest compact one with images far enough apart is compared.
    first = max(1, math.ceil(settings.min_supercell_length_a**3 / (math.sqrt(2) * structure.volume) - 1e-9))
    for multiple in range(first, round(np.linalg.det(diagonal.supercell_matrix))):
        rows, distance_a = most_compact_supercell_matrix(structure.lattice, multiple)
        if distance_a >= settings.min_supercell_length_a:
            compact = displaced(rows.T.tolist())  # phonopy's matrix is the transpose of pymatgen's rows
            return compact if _displaced_atoms(compact) < _displaced_atoms(diagonal) else diagonal
    return diagonal


def _displaced_atoms(phonon: Phonopy) -> int:
    """The atoms that the force calls of a phonopy calculation evaluate: displacements times supercell atoms."""
    return len(phonon.displacements) * len(phonon.supercell)


def phonon_cache_key(structure: Structure, source: EnergySource, settings: PhononSettings, is_molecule: bool) -> str:
    """The cache key of a structure's phonons: the structure, the model and the settings."""
    key_settings = settings_fields(settings) | ({"is_molecule": True} if is_molecule else {})
    return cache_key("phonons", structure, source.id, key_settings)


def compute_phonons(
    structure: Structure,
    source: EnergySource,
    settings: PhononSettings | None = None,
    cache: ResultCache | None = None,
    is_molecule: bool = False,
) -> PhononResult:
    """Phonons of a relaxed structure with `source` (one model load, one calculator for every displacement).

    Crystals: phonopy finite displacements in the supercell of `settings`, force constants, then the
    q-mesh and the thermal properties. Molecules (`is_molecule`, e.g. H2 in a box): ase.vibrations
    central differences of all atoms; ZPE = half the sum of the vibrational frequencies. With a `cache`,
    a result computed before for the same structure, source id and settings is returned as stored."""
    settings = settings or PhononSettings()
    formula = structure.composition.reduced_formula
    source.check_elements((el.symbol for el in structure.composition), formula)
    key = phonon_cache_key(structure, source, settings, is_molecule)
    if cache is not None:
        stored = cache.get(key, PhononResult)
        if stored is not None:
            logger.info("phonons of %s from cache (%s)", formula, key)
            return stored
    start = time.perf_counter()
    if is_molecule:
        result = _molecule_phonons(structure, source, settings, start)
    else:
        result = _crystal_phonons(structure, source, settings, start)
    logger.info(
        "phonons of %s: ZPE %.4f eV/f.u., min frequency %.3f THz%s, %d displacements, %.1f s",
        formula,
        result.zero_point_energy_ev_per_formula_unit,
        result.min_frequency_thz,
        " (imaginary modes)" if result.has_imaginary_modes else "",
        result.n_displacements,
        result.wall_time_s,
    )
    if cache is not None:
        cache.put(key, result)
    return result


def _forces(cell: PhonopyAtoms, source: EnergySource) -> np.ndarray:
    from pymatgen.io.ase import AseAtomsAdaptor
    from pymatgen.io.phonopy import get_pmg_structure

    atoms = AseAtomsAdaptor.get_atoms(get_pmg_structure(cell))
    atoms.calc = source.calculator()
    return np.array(atoms.get_forces())


def _formula_units(structure: Structure) -> tuple[int, int]:
    """Formula units in the cell and atoms per formula unit."""
    reduced, factor = structure.composition.get_reduced_composition_and_factor()
    return round(factor), round(reduced.num_atoms)


def _crystal_phonons(
    structure: Structure, source: EnergySource, settings: PhononSettings, start: float
) -> PhononResult:
    phonon = _displaced_phonopy(structure, settings)
    matrix = tuple(tuple(int(x) for x in row) for row in phonon.supercell_matrix)
    displaced = phonon.supercells_with_displacements or []
    logger.info("phonons of %s: supercell %s, %d displacements", structure.composition.reduced_formula,
                [list(row) for row in matrix], len(displaced))  # fmt: skip
    # Forces left in the undisplaced supercell are subtracted from every displaced one (phonopy's
    # "FZ" practice); their size says whether the structure was relaxed at all.
    residual = _forces(phonon.supercell, source)
    max_residual = float(np.abs(residual).max(initial=0.0))
    if max_residual > RESIDUAL_FORCE_WARNING_EV_PER_A:
        logger.warning("%s: residual force %.3f eV/A in the undisplaced supercell; relax before phonons",
                       structure.composition.reduced_formula, max_residual)  # fmt: skip
    phonon.forces = np.array([_forces(cell, source) - residual for cell in displaced])
    phonon.produce_force_constants()
    phonon.symmetrize_force_constants()

    phonon.run_mesh(settings.q_mesh_length_a, is_gamma_center=True)
    min_frequency = _min_frequency_thz(phonon.mesh.qpoints, phonon.mesh.frequencies)
    thermal = phonon.run_thermal_properties(temperatures=settings.temperatures_k, exclude_gamma_acoustic=True)

    per_cell, atoms_per_fu = _formula_units(structure)
    kj_per_mol_to_ev_per_fu = 1.0 / (EV_TO_KJ_PER_MOL * per_cell)
    return PhononResult(
        formula=structure.composition.reduced_formula,
        formula_units_per_cell=per_cell,
        atoms_per_formula_unit=atoms_per_fu,
        zero_point_energy_ev_per_formula_unit=float(thermal.zero_point_energy) * kj_per_mol_to_ev_per_fu,
        temperatures_k=[float(t) for t in thermal.temperatures],
        free_energy_ev_per_formula_unit=[float(f) * kj_per_mol_to_ev_per_fu for f in thermal.free_energy],
        entropy_j_per_mol_k_per_formula_unit=[float(s) / per_cell for s in thermal.entropy],
        heat_capacity_j_per_mol_k_per_formula_unit=[float(c) / per_cell for c in thermal.heat_capacity],
        min_frequency_thz=min_frequency,
        has_imaginary_modes=min_frequency < settings.imaginary_threshold_thz,
        supercell_matrix=[list(row) for row in matrix],
        displacement_a=settings.displacement_a,
        n_displacements=len(displaced),
        max_residual_force_ev_per_a=max_residual,
        energy_source_id=source.id,
        wall_time_s=time.perf_counter() - start,
        settings=settings,
    )


def _min_frequency_thz(qpoints: np.ndarray, frequencies: np.ndarray) -> float:
    """Lowest frequency on the mesh except the three acoustic modes at Gamma (ideally zero, computed as
    tiny numbers of either sign)."""
    frequencies = np.array(frequencies, dtype=float)
    gamma = np.flatnonzero(np.all(np.abs(qpoints) < 1e-8, axis=1))
    if len(gamma):
        acoustic = np.argsort(np.abs(frequencies[gamma[0]]))[:3]
        frequencies[gamma[0], acoustic] = np.inf
    finite = frequencies[np.isfinite(frequencies)]
    return float(finite.min()) if finite.size else 0.0


def _is_linear(atoms: Atoms) -> bool:
    """True for a molecule whose atoms lie on one line (periodic images unwrapped around atom 0)."""
    if len(atoms) <= 2:
        return True
    vectors = atoms.get_distances(0, range(len(atoms)), mic=True, vector=True)
    singular = np.linalg.svd(vectors - vectors.mean(axis=0), compute_uv=False)
    return bool(singular[1] < 1e-3 * singular[0])


def _molecule_phonons(
    structure: Structure, source: EnergySource, settings: PhononSettings, start: float
) -> PhononResult:
    """ZPE of an isolated molecule from ase.vibrations (central differences, +-displacement_a on every
    atom and axis). The 5 (linear) or 6 modes of smallest magnitude are translations and rotations."""
    from ase.vibrations import Vibrations
    from pymatgen.io.ase import AseAtomsAdaptor

    atoms = AseAtomsAdaptor.get_atoms(structure)
    atoms.calc = source.calculator()
    max_residual = float(np.abs(atoms.get_forces()).max(initial=0.0))
    if max_residual > RESIDUAL_FORCE_WARNING_EV_PER_A:
        logger.warning("%s: residual force %.3f eV/A; relax the molecule before its vibrations",
                       structure.composition.reduced_formula, max_residual)  # fmt: skip
    with tempfile.TemporaryDirectory() as directory:
        vibrations = Vibrations(atoms, name=str(Path(directory) / "vib"), delta=settings.displacement_a, nfree=2)
        vibrations.run()
        energies = np.asarray(vibrations.get_energies())
    # ase returns imaginary modes as imaginary numbers; write them as negative frequencies like phonopy.
    signed_ev = np.where(np.abs(energies.imag) > np.abs(energies.real), -np.abs(energies.imag), energies.real)
    n_vibrations = max(0, 3 * len(atoms) - (5 if _is_linear(atoms) else 6)) if len(atoms) > 1 else 0
    vibrational_ev = np.sort(signed_ev[np.argsort(np.abs(signed_ev))[len(signed_ev) - n_vibrations :]])
    frequencies_thz = [float(e) / THZ_TO_EV for e in vibrational_ev]
    per_cell, atoms_per_fu = _formula_units(structure)
    min_frequency = min(frequencies_thz, default=0.0)
    return PhononResult(
        formula=structure.composition.reduced_formula,
        formula_units_per_cell=per_cell,
        atoms_per_formula_unit=atoms_per_fu,
        zero_point_energy_ev_per_formula_unit=0.5 * float(vibrational_ev[vibrational_ev > 0].sum()) / per_cell,
        temperatures_k=[],
        free_energy_ev_per_formula_unit=[],
        entropy_j_per_mol_k_per_formula_unit=[],
        heat_capacity_j_per_mol_k_per_formula_unit=[],
        min_frequency_thz=min_frequency,
        has_imaginary_modes=min_frequency < settings.imaginary_threshold_thz,
        supercell_matrix=[[1, 0, 0], [0, 1, 0], [0, 0, 1]],
        displacement_a=settings.displacement_a,
        n_displacements=6 * len(atoms),
        max_residual_force_ev_per_a=max_residual,
        energy_source_id=source.id,
        wall_time_s=time.perf_counter() - start,
        is_molecule=True,
        vibrational_frequencies_thz=frequencies_thz,
        settings=settings,
    )


@dataclass
class SupercellConvergence(MSONable):
    """Supercell lengths tried in increasing order (lengths that give an already computed supercell are
    skipped), the quantity of `purpose` at each, and the change from the previous length in meV/atom.
    `converged_length_a` is the smallest length whose quantity agrees with the next one within the
    tolerance (for `free_energy`, also with the same imaginary-mode verdict); None if none did."""

    formula: str
    purpose: str
    tolerance_mev_per_atom: float
    lengths_a: list[float]
    supercell_matrices: list[list[list[int]]]
    atoms_per_supercell: list[int]
    zero_point_energy_ev_per_formula_unit: list[float]
    free_energy_temperatures_k: list[float]
    free_energy_ev_per_formula_unit: list[list[float]]
    min_frequency_thz: list[float]
    has_imaginary_modes: list[bool]
    change_mev_per_atom: list[float | None]
    wall_time_s: list[float]
    converged_length_a: float | None

    @property
    def converged(self) -> bool:
        """Whether two consecutive supercells agreed within the tolerance."""
        return self.converged_length_a is not None


def _change_mev_per_atom(previous: PhononResult, current: PhononResult, purpose: Purpose,
                         temperatures_k: tuple[float, ...]) -> float:  # fmt: skip
    if purpose == "zero_point":
        delta = abs(current.zero_point_energy_ev_per_formula_unit - previous.zero_point_energy_ev_per_formula_unit)
    else:
        delta = max(abs(current.free_energy_at(t) - previous.free_energy_at(t)) for t in temperatures_k)
    return 1000.0 * delta / current.atoms_per_formula_unit


def converge_supercell(
    structure: Structure,
    source: EnergySource,
    purpose: Purpose = "zero_point",
    tolerance_mev_per_atom: float = 1.0,
    lengths_a: tuple[float, ...] = (6.0, 9.0, 12.0),
    settings: PhononSettings | None = None,
    cache: ResultCache | None = None,
    temperatures_k: tuple[float, ...] = (300.0, 600.0),
) -> SupercellConvergence:
    """Grow the supercell (min edge length `lengths_a`) until the quantity of `purpose` changes by less
    than `tolerance_mev_per_atom` between consecutive supercells, and stop there.

    zero_point: the ZPE, which converges fast (short-range force constants dominate). free_energy: F_vib at
    `temperatures_k` (long-wavelength modes matter more) and an unchanged imaginary-mode verdict."""
    if purpose not in RECOMMENDED_MIN_SUPERCELL_LENGTH_A:
        raise ConfigError(f"unknown convergence purpose {purpose!r}; use 'zero_point' or 'free_energy'")
    settings = replace(settings or PhononSettings(), supercell_matrix=None)
    report = SupercellConvergence(structure.composition.reduced_formula, purpose, tolerance_mev_per_atom,
                                  [], [], [], [], list(temperatures_k), [], [], [], [], [], None)  # fmt: skip
    previous: PhononResult | None = None
    for length in sorted(lengths_a):
        matrix = supercell_matrix_for_settings(structure, replace(settings, min_supercell_length_a=length))
        if [list(row) for row in matrix] in report.supercell_matrices:
            logger.info("supercell length %.1f A gives the same supercell as a shorter one; skipped", length)
            continue
        result = compute_phonons(structure, source, replace(settings, min_supercell_length_a=length), cache)
        change = None if previous is None else _change_mev_per_atom(previous, result, purpose, temperatures_k)
        report.lengths_a.append(length)
        report.supercell_matrices.append(result.supercell_matrix)
        report.atoms_per_supercell.append(round(len(structure) * np.linalg.det(result.supercell_matrix)))
        report.zero_point_energy_ev_per_formula_unit.append(result.zero_point_energy_ev_per_formula_unit)
        report.free_energy_ev_per_formula_unit.append([result.free_energy_at(t) for t in temperatures_k])
        report.min_frequency_thz.append(result.min_frequency_thz)
        report.has_imaginary_modes.append(result.has_imaginary_modes)
        report.change_mev_per_atom.append(change)
        report.wall_time_s.append(result.wall_time_s)
        same_verdict = previous is not None and previous.has_imaginary_modes == result.has_imaginary_modes
        if change is not None and change < tolerance_mev_per_atom and (purpose == "zero_point" or same_verdict):
            report.converged_length_a = report.lengths_a[-2]
            break
        previous = result
    if report.converged_length_a is None:
        logger.warning("%s: %s not converged to %.2f meV/atom up to %.1f A", report.formula, purpose,
                       tolerance_mev_per_atom, max(lengths_a))  # fmt: skip
    return report


@dataclass
class DisplacementCheck(MSONable):
    """Zero-point energy at several displacement amplitudes and the largest change from the first one.
    A large change means anharmonicity or a noisy potential at small displacements."""

    formula: str
    displacements_a: list[float]
    zero_point_energy_ev_per_formula_unit: list[float]
    min_frequency_thz: list[float]
    has_imaginary_modes: list[bool]
    wall_time_s: list[float]
    max_change_mev_per_atom: float


def displacement_check(
    structure: Structure,
    source: EnergySource,
    displacements_a: tuple[float, ...] = (0.01, 0.03),
    settings: PhononSettings | None = None,
    cache: ResultCache | None = None,
    is_molecule: bool = False,
) -> DisplacementCheck:
    """Compute the ZPE with each displacement amplitude (same supercell otherwise) and report how much it
    moves: a harmonic answer should not depend on the amplitude."""
    settings = settings or PhononSettings()
    results = [
        compute_phonons(structure, source, replace(settings, displacement_a=d), cache, is_molecule)
        for d in displacements_a
    ]
    zpe = [r.zero_point_energy_ev_per_formula_unit for r in results]
    atoms_per_fu = results[0].atoms_per_formula_unit
    return DisplacementCheck(
        formula=structure.composition.reduced_formula,
        displacements_a=list(displacements_a),
        zero_point_energy_ev_per_formula_unit=zpe,
        min_frequency_thz=[r.min_frequency_thz for r in results],
        has_imaginary_modes=[r.has_imaginary_modes for r in results],
        wall_time_s=[r.wall_time_s for r in results],
        max_change_mev_per_atom=max(1000.0 * abs(z - zpe[0]) / atoms_per_fu for z in zpe),
    )
