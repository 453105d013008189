"""Building crystals from space group, setting and Wyckoff sites."""

import pytest
from pymatgen.core import Lattice
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from structures.crystallography import (
    CrystalSpec,
    LatticeParameters,
    MoleculeInBox,
    WyckoffSite,
    hall_number,
    strained_lattice_parameters,
)
from structures.errors import CrystallographyError, FormulaError

DIAMOND_SI = CrystalSpec("Fd-3m", LatticeParameters(5.431), (WyckoffSite("Si", "8a", (0.125, 0.125, 0.125)),), "2")


def test_origin_choice_2_places_diamond_atoms_at_one_eighth():
    conventional = DIAMOND_SI.build_conventional()
    assert len(conventional) == 8
    assert SpacegroupAnalyzer(conventional).get_space_group_number() == 227


def test_default_origin_choice_1_rejects_origin_2_coordinates_by_multiplicity():
    spec = CrystalSpec("Fd-3m", LatticeParameters(5.431), (WyckoffSite("Si", "8a", (0.125, 0.125, 0.125)),))
    with pytest.raises(CrystallographyError, match="gives 16 atoms, the label says 8"):
        spec.build()


def test_primitive_cell_of_fcc_diamond_has_two_atoms():
    assert len(DIAMOND_SI.build()) == 2


def test_monoclinic_setting_is_found_by_full_symbol():
    assert hall_number("P2_1/c", "P 1 2_1/n 1") != hall_number("P2_1/c")


def test_unknown_setting_lists_the_known_ones():
    with pytest.raises(CrystallographyError, match=r"no setting 'X'.*known"):
        hall_number("Fd-3m", "X")


def test_unknown_space_group_is_named():
    with pytest.raises(CrystallographyError, match="unknown space group 'Q42'"):
        hall_number("Q42")


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
