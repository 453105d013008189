"""Phases from the user's CIF and POSCAR files."""

import pytest
from pymatgen.core import Composition, Lattice, Structure
from pymatgen.io.cif import CifWriter

from structures.errors import StructureImportError
from structures.imported import phase_from_file
from structures.library import get_phase


def test_cif_round_trip_of_a_library_phase(tmp_path):
    path = tmp_path / "mgh2.cif"
    CifWriter(get_phase("MgH2").build()).write_file(path)
    phase = phase_from_file(path)
    assert phase.formula == "MgH2"
    assert phase.build().composition == Composition("Mg2H4")
    assert "imported from mgh2.cif" in phase.source and "imported" in phase.tags


def test_poscar_is_read(tmp_path):
    path = tmp_path / "POSCAR"
    get_phase("LiH").build().to(filename=str(path), fmt="poscar")
    assert phase_from_file(path, name="LiH-mine").name == "LiH-mine"


def test_cif_without_a_structure_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "empty.cif"
    path.write_text("data_nothing\n_journal_year 1999\n")
    with pytest.raises(StructureImportError, match=r"empty.cif holds no readable structure"):
        phase_from_file(path)


def test_missing_file_is_an_error():
    with pytest.raises(StructureImportError, match="no such structure file"):
        phase_from_file("/nonexistent/x.cif")


def test_partially_occupied_structure_is_refused_with_advice(tmp_path):
    disordered = Structure(Lattice.cubic(4.0), [{"Mg": 0.5, "Al": 0.5}], [[0, 0, 0]])
    path = tmp_path / "disordered.cif"
    CifWriter(disordered).write_file(path)
    with pytest.raises(StructureImportError, match=r"partially occupied.*ordered model"):
        phase_from_file(path)


def test_a_file_with_overlapping_atoms_is_refused_naming_the_sites(tmp_path):
    poscar = tmp_path / "POSCAR"
    poscar.write_text("two Al on one site\n1.0\n4.05 0 0\n0 4.05 0\n0 0 4.05\nAl\n2\nDirect\n0 0 0\n0 0 0.01\n")
    with pytest.raises(StructureImportError, match=r"overlapping atoms: sites 0 \(Al\) and 1 \(Al\) are 0.04 A apart"):
        phase_from_file(poscar)


def test_a_file_with_a_species_that_is_no_element_is_refused(tmp_path):
    cif = tmp_path / "x.cif"
    cif.write_text(
        "data_x\n_cell_length_a 4\n_cell_length_b 4\n_cell_length_c 4\n_cell_angle_alpha 90\n_cell_angle_beta 90\n"
        "_cell_angle_gamma 90\n_symmetry_space_group_name_H-M 'P 1'\nloop_\n_atom_site_label\n_atom_site_type_symbol\n"
        "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nQ1 Q 0 0 0\nAl1 Al 0.5 0.5 0.5\n"
    )
    with pytest.raises(StructureImportError, match=r"x\.cif has species that are not elements: Q0\+"):
        phase_from_file(cif)
