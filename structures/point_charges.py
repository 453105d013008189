"""Charged soft spheres: the model the structure search ranks arrangements of ions by, before any real energy.

Each ion (a cation, or a complex anion's centre standing for the whole unit) is a point charge with a radius.
The energy is the Coulomb energy, summed with the damped shifted force method of Fennell and Gezelter,
J. Chem. Phys. 124, 234104 (2006), plus a repulsion eps_ij (sigma_ij / r)^12 with sigma_ij the sum of the two radii
and eps_ij = k |q_i q_j| / (12 sigma_ij), which puts the contact of two opposite ions of any charge at about the
sum of their radii. Relaxing cell and ions under it is the electrostatic ground-state idea of Majzoub and Ozolins,
Phys. Rev. B 77, 104115 (2008), with the rigid units reduced to spheres. It removes the random cell shape and
volume a placement starts from, so that arrangements compare by their packing, not by their starting box.
With `Bonds`, the same energy describes rigid units atom by atom: each atom of a unit carries part of its charge,
atoms of one unit do not interact except through stiff springs that keep the unit's shape, so a relaxation turns
and moves the units as well as the ions. This is a model for ranking candidates, not an energy of any compound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes
from ase.filters import UnitCellFilter
from ase.optimize import BFGS
from scipy.constants import elementary_charge, epsilon_0, pi
from scipy.special import erfc

COULOMB_EV_A = elementary_charge / (4.0 * pi * epsilon_0 * 1e-10)  # e^2 / (4 pi eps0) in eV * angstrom


class SoftIonCalculator(Calculator):
    """Energy, forces and stress of charged soft spheres; charges and radii are per atom, set at construction."""

    implemented_properties = ("energy", "forces", "stress")

    # damping 0.3 / A and cutoff 7.5 A: erfc(0.3 * 7.5) = 0.0015, so the damped sum is converged well enough to
    # rank arrangements, with (7.5 / 9)^3 = 0.58 of the pairs of the 9 A cutoff first tried
    def __init__(
        self,
        charges: np.ndarray,
        radii_a: np.ndarray,
        bonds: Bonds | None = None,
        cutoff_a: float = 7.5,
        damping_per_a: float = 0.3,
    ):
        super().__init__()
        self.charges = np.asarray(charges, dtype=float)
        self.radii_a = np.asarray(radii_a, dtype=float)
        self.bonds = bonds
        # pairs of atoms of one unit, which interact through their springs only (built once, not per call)
        self._within_unit = None if bonds is None else bonds.within_unit(len(self.charges))
        self.cutoff_a = cutoff_a
        self.damping_per_a = damping_per_a

    def check_state(self, atoms: Atoms, tol: float = 1e-15) -> list[str]:
        """What changed since the last calculation; only positions and cell can (ASE's general comparison, which
        checks every array with allclose, took 46 % of soft-ion relaxation time under cProfile)."""
        if self.atoms is None:
            return list(all_changes)
        same = np.array_equal(self.atoms.positions, atoms.positions) and np.array_equal(self.atoms.cell, atoms.cell)
        return [] if same else ["positions", "cell"]

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes) -> None:
        super().calculate(atoms, properties, system_changes)
        i, j, r, d, same_cell = _pairs(np.array(self.atoms.cell), self.atoms.positions, self.cutoff_a)
        if self._within_unit is not None:
            keep = ~(same_cell & self._within_unit[i, j])
            i, j, r, d = i[keep], j[keep], r[keep], d[keep]
        qq = COULOMB_EV_A * self.charges[i] * self.charges[j]
        a, rc = self.damping_per_a, self.cutoff_a
        erfc_r = erfc(a * r)
        gauss = 2.0 * a / math.sqrt(pi)
        force_at_cutoff = erfc(a * rc) / rc**2 + gauss * math.exp(-((a * rc) ** 2)) / rc
        coulomb = qq * (erfc_r / r - erfc(a * rc) / rc + force_at_cutoff * (r - rc))
        coulomb_slope = qq * (-(erfc_r / r**2) - gauss * np.exp(-((a * r) ** 2)) / r + force_at_cutoff)
        sigma = self.radii_a[i] + self.radii_a[j]
        # at least the strength of a unit-charge pair, so that weakly charged ligand atoms still keep apart
        eps = COULOMB_EV_A * np.maximum(np.abs(self.charges[i] * self.charges[j]), 1.0) / (12.0 * sigma)
        repulsion = eps * (sigma / r) ** 12
        slope = coulomb_slope - 12.0 * repulsion / r  # dE_pair / dr
        self_energy = -(erfc(a * rc) / (2.0 * rc) + a / math.sqrt(pi)) * COULOMB_EV_A * np.sum(self.charges**2)
        # every pair appears twice in the pair list (i, j and j, i): halve the sums
        energy = 0.5 * float(np.sum(coulomb + repulsion)) + self_energy
        pair_forces = (slope / r)[:, None] * d  # dE/dr * unit vector from i to j: the force on i points along it
        forces = np.zeros((len(self.atoms), 3))
        np.add.at(forces, i, pair_forces)
        virial = 0.5 * np.einsum("p,pa,pb->ab", slope / r, d, d)
        if self.bonds is not None:
            energy += self.bonds.add_springs(self.atoms.positions, forces, virial)
        stress = virial / self.atoms.get_volume()
        self.results = {
            "energy": energy,
            "forces": forces,
            "stress": stress.flat[[0, 4, 8, 5, 2, 1]],
        }


@dataclass(frozen=True)
class Bonds:
    """The springs that hold rigid units together: atom pairs (i, j) of one unit, in the same periodic image, with
    their rest lengths; stiff enough that a unit turns and moves but hardly deforms."""

    pairs: np.ndarray  # (n, 2) atom indices
    lengths_a: np.ndarray  # (n,)
    stiffness_ev_per_a2: float = 20.0

    def within_unit(self, n_atoms: int) -> np.ndarray:
        """(n_atoms, n_atoms) true where two atoms belong to one unit."""
        mask = np.zeros((n_atoms, n_atoms), dtype=bool)
        mask[self.pairs[:, 0], self.pairs[:, 1]] = mask[self.pairs[:, 1], self.pairs[:, 0]] = True
        return mask

    def add_springs(self, positions: np.ndarray, forces: np.ndarray, virial: np.ndarray) -> float:
        """Add the springs' forces and virial in place; return their energy (eV)."""
        i, j = self.pairs.T
        d = positions[j] - positions[i]
        r = np.linalg.norm(d, axis=1)
        stretch = r - self.lengths_a
        slope = self.stiffness_ev_per_a2 * stretch
        np.add.at(forces, i, (slope / r)[:, None] * d)
        np.add.at(forces, j, -(slope / r)[:, None] * d)
        virial += np.einsum("p,pa,pb->ab", slope / r, d, d)
        return float(0.5 * self.stiffness_ev_per_a2 * np.sum(stretch**2))


def _pairs(
    cell: np.ndarray, positions: np.ndarray, cutoff_a: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every ordered pair (i, j, distance, vector from i to j, whether j is in i's own image) within the cutoff,
    periodic images included: all image translations at once, which for a few dozen ions is faster than a
    cell-list neighbour search."""
    heights = abs(np.linalg.det(cell)) / np.linalg.norm(np.cross(cell[[1, 2, 0]], cell[[2, 0, 1]]), axis=1)
    reach = np.ceil(cutoff_a / heights).astype(int)
    shifts = np.stack(np.meshgrid(*(np.arange(-n, n + 1) for n in reach), indexing="ij"), -1).reshape(-1, 3)
    vectors = positions[None, :, None, :] - positions[:, None, None, :] + (shifts @ cell)[None, None, :, :]
    distances = np.linalg.norm(vectors, axis=-1)
    i, j, k = np.nonzero((distances < cutoff_a) & (distances > 1e-8))
    return i, j, distances[i, j, k], vectors[i, j, k], ~shifts[k].any(axis=1)


@dataclass
class RelaxedIons:
    """Ions after relaxation in the soft-ion model: cell (rows, angstrom), fractional positions, energy (eV)."""

    cell_a: np.ndarray
    frac_coords: np.ndarray
    energy_ev: float
    converged: bool


def relax_ions(
    cell_a: np.ndarray,
    frac_coords: np.ndarray,
    charges: np.ndarray,
    radii_a: np.ndarray,
    bonds: Bonds | None = None,
    fmax_ev_per_a: float = 0.01,
    max_steps: int = 300,
) -> RelaxedIons:
    """Relax ions and cell together in the soft-ion model. Forces and stress of a symmetric arrangement are
    symmetric, so the arrangement keeps its space group (to round-off). With `bonds`, the bonded atoms must be
    given in one image (positions not wrapped apart); they are returned wrapped."""
    positions = np.asarray(frac_coords) @ np.asarray(cell_a)
    atoms = Atoms(numbers=np.ones(len(charges), dtype=int), cell=cell_a, positions=positions, pbc=True)
    atoms.calc = SoftIonCalculator(charges, radii_a, bonds)
    optimizer = BFGS(UnitCellFilter(atoms), logfile=None)
    converged = bool(optimizer.run(fmax=fmax_ev_per_a, steps=max_steps))
    return RelaxedIons(
        cell_a=np.array(atoms.cell), frac_coords=atoms.get_scaled_positions(wrap=True),
        energy_ev=float(atoms.get_potential_energy()), converged=converged,
    )  # fmt: skip
