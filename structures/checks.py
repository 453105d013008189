"""Sanity checks a structure must pass before anyone computes it: composition, symmetry, distances,
charge balance. Each returns a list of problems in words; an empty list means the check passed."""

from __future__ import annotations

from itertools import combinations_with_replacement

from pymatgen.analysis.molecule_structure_comparator import CovalentRadius
from pymatgen.core import Composition, Structure
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from structures.crystallography import space_group_number
from structures.phase import Phase

# Shortest acceptable distances (angstrom) for pairs where a generic rule would be too loose. H-H is
# ~1.9-2.0 A inside BH4 and ~1.5-1.6 A inside NH2 (1.48 A in the neutron structure of LiNH2, Yang et al. 2006:
# N-H 0.986 / 0.942 A, H-N-H 100 deg); 0.74 A only within an H2 molecule. X-ray refinements
# shorten X-H bonds by ~0.1 A, so B-H and N-H bounds sit below the neutron values (1.21 and 1.03 A).
MIN_DISTANCE_A: dict[frozenset[str], float] = {
    frozenset({"H"}): 1.4,
    frozenset({"B", "H"}): 1.0,
    frozenset({"N", "H"}): 0.9,
    frozenset({"C", "H"}): 0.9,
    frozenset({"Al", "H"}): 1.4,
}
MOLECULAR_H_H_MIN_A = 0.7
GENERIC_FRACTION_OF_COVALENT_SUM = 0.7  # other pairs: at least 70 % of the sum of covalent radii

CHARGE_BALANCED_TAGS = frozenset({"hydride", "complex-hydride", "nitride"})


def minimum_distance_a(a: str, b: str, molecular_hydrogen: bool = False) -> float:
    """Shortest acceptable distance between two elements in angstrom."""
    if a == b == "H" and molecular_hydrogen:
        return MOLECULAR_H_H_MIN_A
    pair = frozenset({a, b})
    if pair in MIN_DISTANCE_A:
        return MIN_DISTANCE_A[pair]
    return GENERIC_FRACTION_OF_COVALENT_SUM * (CovalentRadius.radius[a] + CovalentRadius.radius[b])


def distance_problems(structure: Structure, molecular_hydrogen: bool = False) -> list[str]:
    """Every element pair whose shortest distance is below its bound."""
    elements = sorted({el.symbol for el in structure.composition})
    problems = []
    dmat = structure.distance_matrix
    for a, b in combinations_with_replacement(elements, 2):
        ia = [i for i, s in enumerate(structure) if s.specie.symbol == a]
        ib = [i for i, s in enumerate(structure) if s.specie.symbol == b]
        shortest = min((dmat[i, j] for i in ia for j in ib if i != j), default=float("inf"))
        if a == b and len(structure) and len(ia) == 1:
            shortest = min(shortest, min(structure.lattice.abc))  # an atom and its own periodic image
        bound = minimum_distance_a(a, b, molecular_hydrogen)
        if shortest < bound:
            problems.append(f"{a}-{b} distance {shortest:.3f} A is below the minimum {bound:.2f} A")
    return problems


def composition_problems(phase: Phase, structure: Structure) -> list[str]:
    """The structure's composition must be the phase's formula, and so must the name's formula part."""
    problems = []
    built = structure.composition.reduced_composition
    if not built.almost_equals(phase.composition):
        problems.append(f"structure is {built.reduced_formula}, the entry says {phase.formula}")
    name_formula = phase.name.split("-")[0]
    try:
        if not Composition(name_formula).reduced_composition.almost_equals(phase.composition):
            problems.append(f"name {phase.name!r} reads as {name_formula}, the formula is {phase.formula}")
    except ValueError:
        problems.append(f"name {phase.name!r} does not start with its formula")
    return problems


def space_group_problems(phase: Phase, structure: Structure, symprec: float = 0.01) -> list[str]:
    """spglib must find the space group the entry states."""
    if not phase.space_group:
        return []
    expected = space_group_number(phase.space_group)
    found = SpacegroupAnalyzer(structure, symprec=symprec).get_space_group_number()
    if found != expected:
        return [f"spglib finds space group {found}, the entry states {phase.space_group} ({expected})"]
    return []


def charge_problems(phase: Phase) -> list[str]:
    """Ionic phases (hydrides, nitrides) must admit a charge-neutral assignment of oxidation states."""
    if not CHARGE_BALANCED_TAGS & set(phase.tags):
        return []
    if phase.composition.oxi_state_guesses(all_oxi_states=True, max_sites=-1):
        return []
    return [f"{phase.formula} has no charge-neutral assignment of oxidation states"]


def phase_problems(phase: Phase) -> list[str]:
    """All checks of one phase; builds its structure once."""
    structure = phase.build()
    molecular_hydrogen = phase.composition == Composition("H2").reduced_composition
    return [
        *composition_problems(phase, structure),
        *space_group_problems(phase, structure),
        *distance_problems(structure, molecular_hydrogen),
        *charge_problems(phase),
    ]
