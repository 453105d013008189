"""The soft-ion model that ranks arrangements in the structure search: its forces and stress are the derivatives
of its energy (with and without the springs of rigid units), relaxation keeps (and recovers) symmetry, and the
relaxed ions are re-expressed in their group."""

import numpy as np
import pytest
from ase import Atoms
from pymatgen.core import Lattice, Structure

from structures.point_charges import Bonds, SoftIonCalculator, relax_ions
from structures.search import _Arrangement, _group, _relaxed, _symmetrized, unit_of

CHARGES = np.array([1.0, 1.0, -1.0, -1.0])
RADII_A = np.array([0.75, 0.75, 2.0, 2.0])
# Li+ and a BH4- unit (B +1, four H -0.5) held by springs whose rest lengths are 5 % off, so that they pull
UNIT_CHARGES = np.array([1.0, 1.0, -0.5, -0.5, -0.5, -0.5])
UNIT_RADII_A = np.array([0.95, 0.5, 1.1, 1.1, 1.1, 1.1])
UNIT_POSITIONS_A = np.array(
    [[0.3, 0.2, 0.1], [2.6, 2.5, 2.4], [3.3, 3.2, 3.1], [3.3, 1.9, 1.8], [1.9, 3.2, 1.8], [1.9, 1.8, 3.1]]
)


def _unit_bonds() -> Bonds:
    pairs = np.array([(a, b) for a in range(1, 6) for b in range(a + 1, 6)])
    lengths = np.linalg.norm(UNIT_POSITIONS_A[pairs[:, 1]] - UNIT_POSITIONS_A[pairs[:, 0]], axis=1)
    return Bonds(pairs, 1.05 * lengths)


def _calculator(atoms: Atoms) -> SoftIonCalculator:
    if len(atoms) == len(CHARGES):
        return SoftIonCalculator(CHARGES, RADII_A)
    return SoftIonCalculator(UNIT_CHARGES, UNIT_RADII_A, _unit_bonds())


@pytest.fixture(params=["ions", "unit"])
def ions(request):
    cell = np.array([[4.6, 0.2, 0.0], [0.3, 4.4, 0.1], [0.0, 0.4, 5.8]])
    if request.param == "ions":
        frac = np.array([[0.0, 0.0, 0.0], [0.5, 0.5, 0.1], [0.45, 0.05, 0.5], [0.1, 0.55, 0.6]])
        atoms = Atoms(numbers=[1] * 4, cell=cell, scaled_positions=frac, pbc=True)
    else:
        atoms = Atoms(numbers=[1] * 6, cell=cell * 1.2, positions=UNIT_POSITIONS_A, pbc=True)
    atoms.calc = _calculator(atoms)
    return atoms


def _energy(atoms):
    copy = atoms.copy()
    copy.calc = _calculator(copy)
    return copy.get_potential_energy()


def test_forces_are_minus_the_energy_gradient(ions):
    forces = ions.get_forces()
    step = 1e-5
    for i in range(len(ions)):
        for k in range(3):
            plus, minus = ions.copy(), ions.copy()
            plus.positions[i, k] += step
            minus.positions[i, k] -= step
            numeric = -(_energy(plus) - _energy(minus)) / (2 * step)
            assert forces[i, k] == pytest.approx(numeric, rel=1e-4, abs=1e-4)


def test_stress_is_the_energy_strain_derivative_over_volume(ions):
    stress = ions.get_stress(voigt=False)
    step = 1e-5
    for a in range(3):
        for b in range(a, 3):
            strain = np.zeros((3, 3))
            strain[a, b] = strain[b, a] = step / 2 if a != b else step
            energies = []
            for sign in (1, -1):
                strained = ions.copy()
                strained.set_cell(ions.cell @ (np.eye(3) + sign * strain), scale_atoms=True)
                energies.append(_energy(strained))
            numeric = (energies[0] - energies[1]) / (2 * step) / ions.get_volume()
            assert stress[a, b] == pytest.approx(numeric, rel=1e-4, abs=1e-6)


def test_opposite_ions_relax_to_about_the_sum_of_their_radii():
    # the CsCl arrangement, started too large: stays cubic and relaxes to a contact within 25 % of r+ + r- = 2.5 A
    # (eight neighbours repel at once, so the contact ends a little beyond the pair's own)
    relaxed = relax_ions(np.eye(3) * 6.0, np.array([[0, 0, 0], [0.5, 0.5, 0.5]]), np.array([1.0, -1.0]),
                         np.array([1.0, 1.5]))  # fmt: skip
    assert relaxed.converged
    lengths = np.linalg.norm(relaxed.cell_a, axis=1)
    assert np.allclose(lengths, lengths[0], rtol=1e-6)
    contact_a = np.linalg.norm(relaxed.cell_a.sum(axis=0)) / 2
    assert 2.5 < contact_a < 1.25 * 2.5


def test_perturbed_antifluorite_relaxes_back_and_is_recognised_as_fm3m():
    """Fe 4- on an fcc lattice, Mg 2+ in its tetrahedral holes (the K2PtCl6-type ion arrangement), shaken in P1."""
    ideal = Structure.from_spacegroup("Fm-3m", Lattice.cubic(7.5), ["Fe", "Mg"], [[0, 0, 0], [0.25, 0.25, 0.25]])
    rng = np.random.default_rng(0)
    units = {"Fe": unit_of("FeH6"), "Mg": unit_of("Mg")}
    sites = [(units[s.specie.symbol], (s.frac_coords + rng.normal(0, 0.01, 3)) % 1.0) for s in ideal]
    arrangement = _relaxed(_Arrangement(_group(1), ideal.lattice, 4, sites))
    symmetric = _symmetrized(arrangement)
    assert symmetric.group.number == 225
    assert len(symmetric.group.rotations) == 192
    assert symmetric.formula_units == 1
    assert sorted(u.name for u, _ in symmetric.sites) == ["FeH6"] * 4 + ["Mg"] * 8


def test_a_rigid_unit_keeps_its_shape_while_it_relaxes():
    bonds = _unit_bonds()
    cell = np.eye(3) * 5.5
    relaxed = relax_ions(cell, UNIT_POSITIONS_A @ np.linalg.inv(cell), UNIT_CHARGES, UNIT_RADII_A, bonds)
    assert relaxed.converged
    # positions come back wrapped: put each H in the image next to B (B-H 1.2 A is far below half the cell)
    offsets = relaxed.frac_coords - relaxed.frac_coords[1]
    unit = (relaxed.frac_coords[1] + offsets - np.round(offsets)) @ relaxed.cell_a
    lengths = np.linalg.norm(unit[bonds.pairs[:, 1]] - unit[bonds.pairs[:, 0]], axis=1)
    assert np.allclose(lengths, bonds.lengths_a, atol=0.05)
