"""Supercells of a lattice: every one of a given size, and the most compact, judged by how far an atom lies from
its own periodic images (the shortest lattice vector). Used where a cell must hold several formula units without a
needle shape (structure search) or keep its images a given distance apart (phonon supercells)."""

from __future__ import annotations

from functools import cache

import numpy as np
from pymatgen.core import Lattice

# coefficients -1, 0, 1 of the three reduced basis vectors, the zero vector left out
_NEIGHBOUR_COMBINATIONS = np.array([c for c in np.ndindex(3, 3, 3) if c != (1, 1, 1)]) - 1


@cache
def supercell_matrices(multiple: int) -> tuple[np.ndarray, ...]:
    """Every supercell of `multiple` times a cell, once each: the Hermite normal forms of that determinant (rows
    are the new vectors in the old ones; each entry is reduced by the diagonal entry of its column)."""
    matrices = []
    for a in range(1, multiple + 1):
        for d in range(1, multiple // a + 1):
            if multiple % (a * d):
                continue
            f = multiple // (a * d)
            for b in range(a):
                for c in range(a):
                    for e in range(d):
                        matrices.append(np.array([[a, 0, 0], [b, d, 0], [c, e, f]]))
    return tuple(matrices)


def image_distance_a(lattice: Lattice) -> float:
    """How far each atom lies from its nearest periodic image: the shortest lattice vector (found among the short
    combinations of the LLL-reduced basis)."""
    basis = lattice.get_lll_reduced_lattice().matrix
    return float(np.linalg.norm(_NEIGHBOUR_COMBINATIONS @ basis, axis=1).min())


def most_compact_supercell_matrix(lattice: Lattice, multiple: int) -> tuple[np.ndarray, float]:
    """The supercell matrix of `multiple` times `lattice` whose images lie farthest apart, with that distance. The
    short combinations of each unreduced basis bound its distance from above, so only the supercells whose bound
    beats the best found so far are reduced."""
    matrices = supercell_matrices(multiple)
    vectors = np.einsum("kc,mcj,ji->mki", _NEIGHBOUR_COMBINATIONS, np.array(matrices), lattice.matrix)
    bounds = np.linalg.norm(vectors, axis=2).min(axis=1)
    best, distance_a = matrices[0], -1.0
    for index in np.argsort(-bounds):
        if bounds[index] <= distance_a:
            break
        distance = image_distance_a(Lattice(matrices[index] @ lattice.matrix))
        if distance > distance_a:
            best, distance_a = matrices[index], distance
    return best, distance_a
