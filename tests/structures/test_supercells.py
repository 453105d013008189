"""Supercells: every sublattice of a size once, and the most compact one found as a full search would."""

import numpy as np
import pytest
from pymatgen.core import Lattice

from structures.library import get_phase
from structures.supercells import image_distance_a, most_compact_supercell_matrix, supercell_matrices


def test_every_sublattice_of_a_size_is_listed_once():
    """The numbers of sublattices of index 1-6 of a 3D lattice: 1, 7, 13, 35, 31, 91 (sum over d | n of d*sigma(d),
    OEIS A001001)."""
    assert [len(supercell_matrices(n)) for n in range(1, 7)] == [1, 7, 13, 35, 31, 91]
    assert all(round(np.linalg.det(m)) == 4 for m in supercell_matrices(4))


def test_image_distance_is_the_shortest_lattice_vector_whatever_the_basis():
    skewed = Lattice([[3.0, 0, 0], [30.0, 3.0, 0], [0, 0, 4.0]])  # a simple 3 x 3 x 4 A lattice, badly chosen basis
    assert image_distance_a(skewed) == pytest.approx(3.0)


@pytest.mark.parametrize("name", ["LiNH2", "MgH2", "Mg2Ni"])
def test_most_compact_supercell_is_the_best_of_all(name):
    lattice = get_phase(name).build().lattice
    for multiple in (2, 3, 4):
        _, distance = most_compact_supercell_matrix(lattice, multiple)
        best = max(image_distance_a(Lattice(m @ lattice.matrix)) for m in supercell_matrices(multiple))
        assert distance == pytest.approx(best)
