"""Building crystals from space group, setting and Wyckoff sites."""

import math

import numpy as np
import pytest
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Lattice
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from structures.crystallography import (
    CrystalSpec,
    LatticeParameters,
    MoleculeInBox,
    WyckoffSite,
    resolve_space_group,
    space_group_number,
    strained_lattice_parameters,
)
from structures.errors import CrystallographyError, FormulaError

DIAMOND_SI = CrystalSpec("Fd-3m", LatticeParameters(5.431), (WyckoffSite("Si", "8a", (0.125, 0.125, 0.125)),), "2")


def _frac_coords(spec: CrystalSpec) -> set[tuple[float, ...]]:
    return {tuple(np.round(site.frac_coords, 6) % 1.0) for site in spec.build_conventional()}


def test_origin_choice_2_places_diamond_atoms_at_one_eighth():
    conventional = DIAMOND_SI.build_conventional()
    assert len(conventional) == 8
    assert SpacegroupAnalyzer(conventional).get_space_group_number() == 227


def test_default_origin_choice_1_rejects_origin_2_coordinates_by_multiplicity():
    spec = CrystalSpec("Fd-3m", LatticeParameters(5.431), (WyckoffSite("Si", "8a", (0.125, 0.125, 0.125)),))
    with pytest.raises(CrystallographyError, match="gives 16 atoms, the label says 8"):
        spec.build()


def test_origin_choice_of_a_symbol_with_screw_axes_is_found():
    """pymatgen spells origin choices without underscores ('P42/nmc:2'); the printed symbol works too."""
    default, origin_2 = resolve_space_group("P4_2/nmc"), resolve_space_group("P4_2/nmc", "2")
    assert default.int_number == origin_2.int_number == 137
    assert default.symmetry_ops != origin_2.symmetry_ops


def test_primitive_cell_of_fcc_diamond_has_two_atoms():
    assert len(DIAMOND_SI.build()) == 2


def test_rhombohedral_axes_build_the_crystal_of_hexagonal_axes():
    """Arsenic (A7) on hexagonal axes (6c, the default) and on rhombohedral axes (2c)."""
    a_hex, c_hex, z = 3.7598, 10.5475, 0.2271
    a_rh = math.sqrt(3 * a_hex**2 + c_hex**2) / 3
    alpha_rh = math.degrees(2 * math.asin(a_hex / (2 * a_rh)))
    hexagonal = CrystalSpec(
        "R-3m", LatticeParameters(a_hex, c_a=c_hex, gamma_deg=120), (WyckoffSite("As", "6c", (0, 0, z)),)
    )
    rhombohedral = CrystalSpec(
        "R-3m",
        LatticeParameters(a_rh, alpha_deg=alpha_rh, beta_deg=alpha_rh, gamma_deg=alpha_rh),
        (WyckoffSite("As", "2c", (z, z, z)),),
        "R",
    )
    assert len(rhombohedral.build_conventional()) == 2
    assert StructureMatcher().fit(hexagonal.build(), rhombohedral.build())


def test_monoclinic_cell_choice_p21n_centres_the_2a_orbit_body_diagonally():
    """In P 1 2_1/n 1 (as for Na3AlH6) 2a is 0,0,0 and 1/2,1/2,1/2; in the standard P 1 2_1/c 1 it is 0,1/2,1/2."""
    lattice = LatticeParameters(5.39, 5.514, 7.725, beta_deg=89.86)
    sites = (WyckoffSite("Al", "2a", (0, 0, 0)),)
    assert _frac_coords(CrystalSpec("P2_1/c", lattice, sites, "P 1 2_1/n 1")) == {(0, 0, 0), (0.5, 0.5, 0.5)}
    assert _frac_coords(CrystalSpec("P2_1/c", lattice, sites)) == {(0, 0, 0), (0, 0.5, 0.5)}


def test_wrong_multiplicity_in_the_label_is_an_error_naming_the_site():
    spec = CrystalSpec("Fm-3m", LatticeParameters(4.0), (WyckoffSite("Pd", "8c", (0, 0, 0)),))
    with pytest.raises(CrystallographyError, match=r"Pd at 8c \(0, 0, 0\) in Fm-3m gives 4 atoms, the label says 8"):
        spec.build_conventional()


def test_unknown_setting_lists_the_known_ones():
    spec = CrystalSpec("Fd-3m", LatticeParameters(5.431), DIAMOND_SI.sites, "3")
    with pytest.raises(CrystallographyError, match=r"Fd-3m has no setting '3'; known: .*Fd-3m:2"):
        spec.build()


def test_unknown_space_group_is_named():
    with pytest.raises(CrystallographyError, match="unknown space group 'Q42'"):
        resolve_space_group("Q42")


def test_space_group_number_of_printed_symbols():
    assert [space_group_number(s) for s in ("P6_3/mmc", "P2_1/c", "R-3m", "Fd-3m")] == [194, 14, 166, 227]


def test_not_an_element_is_a_formula_error():
    spec = CrystalSpec("Pm-3m", LatticeParameters(3.0), (WyckoffSite("Xx", "1a", (0, 0, 0)),))
    with pytest.raises(FormulaError, match="'Xx' is not an element"):
        spec.build()


def test_h2_molecule_has_its_bond_length_in_a_box():
    molecule = MoleculeInBox("H", 0.7414, box_a=12.0).build()
    assert molecule.get_distance(0, 1) == pytest.approx(0.7414)
    assert molecule.lattice.abc == pytest.approx((12.0, 12.0, 12.0))


def test_strained_lattice_maps_primitive_strain_onto_conventional_parameters():
    fcc = LatticeParameters(4.0)
    primitive = Lattice([[0, 2, 2], [2, 0, 2], [2, 2, 0]])
    stretched = Lattice(primitive.matrix * 1.01)
    assert strained_lattice_parameters(fcc, primitive, stretched).a_a == pytest.approx(4.04)
