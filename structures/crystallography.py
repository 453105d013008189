"""Crystal structures from their published description: space group, lattice parameters, Wyckoff sites.

The symmetry operations of every setting come from spglib's table of the 530 Hall settings, so a
paper's origin choice, axis choice or rhombohedral/hexagonal axes can be written as it is printed.
Each Wyckoff orbit is checked against its multiplicity, which catches most typing errors in
coordinates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import spglib
from monty.json import MSONable
from pymatgen.core import Element, Lattice, Structure

from structures.errors import CrystallographyError, FormulaError

_ORBIT_TOLERANCE = 1e-4  # fractional-coordinate tolerance when merging symmetry images


@dataclass(frozen=True)
class LatticeParameters(MSONable):
    """Conventional-cell parameters in angstrom and degrees; b and c default to a, angles to 90."""

    a_a: float
    b_a: float | None = None
    c_a: float | None = None
    alpha_deg: float = 90.0
    beta_deg: float = 90.0
    gamma_deg: float = 90.0

    def to_lattice(self) -> Lattice:
        """The pymatgen lattice of these parameters."""
        return Lattice.from_parameters(
            self.a_a,
            self.b_a if self.b_a is not None else self.a_a,
            self.c_a if self.c_a is not None else self.a_a,
            self.alpha_deg,
            self.beta_deg,
            self.gamma_deg,
        )

    @classmethod
    def of(cls, lattice: Lattice) -> LatticeParameters:
        """The parameters of a pymatgen lattice."""
        a, b, c = lattice.abc
        alpha, beta, gamma = lattice.angles
        return cls(a, b, c, alpha, beta, gamma)


@dataclass(frozen=True)
class WyckoffSite(MSONable):
    """One crystallographically distinct site: element, Wyckoff letter with multiplicity, coordinates."""

    species: str
    wyckoff: str
    coords: tuple[float, float, float]

    @property
    def multiplicity(self) -> int:
        """The multiplicity printed in the Wyckoff label (the 4 of '4f')."""
        match = re.match(r"(\d+)", self.wyckoff)
        if match is None:
            raise CrystallographyError(f"Wyckoff label {self.wyckoff!r} does not start with a multiplicity")
        return int(match.group(1))


@dataclass(frozen=True)
class CrystalSpec(MSONable):
    """A crystal as papers print it. `setting` names a non-default setting as spglib does
    ('2' for origin choice 2, 'R' for rhombohedral axes, or the full symbol such as 'P 1 2_1/n 1')."""

    space_group: str
    lattice: LatticeParameters
    sites: tuple[WyckoffSite, ...]
    setting: str = ""

    def build_conventional(self) -> Structure:
        """All atoms of the conventional cell, each Wyckoff orbit checked against its multiplicity."""
        rotations, translations = symmetry_operations(self.space_group, self.setting)
        species: list[str] = []
        frac_coords: list[np.ndarray] = []
        for site in self.sites:
            _check_element(site.species)
            orbit = _orbit(np.asarray(site.coords, dtype=float), rotations, translations)
            if len(orbit) != site.multiplicity:
                raise CrystallographyError(
                    f"{site.species} at {site.wyckoff} {site.coords} in {self.space_group} "
                    f"gives {len(orbit)} atoms, the label says {site.multiplicity}"
                )
            species += [site.species] * len(orbit)
            frac_coords += orbit
        return Structure(self.lattice.to_lattice(), species, frac_coords)

    def build(self) -> Structure:
        """The primitive cell (Niggli-reduced), the cell a calculation wants."""
        return self.build_conventional().get_primitive_structure(tolerance=0.01)


@dataclass(frozen=True)
class MoleculeInBox(MSONable):
    """A homonuclear diatomic molecule in a cubic box, e.g. H2 for gas-phase references."""

    element: str
    bond_length_a: float
    box_a: float = 10.0
    tilt: bool = True

    def build(self) -> Structure:
        """The molecule, centred and (by default) tilted off the axes so no image lines up with it."""
        _check_element(self.element)
        direction = np.array([1.0, 0.7, 0.3]) if self.tilt else np.array([0.0, 0.0, 1.0])
        direction /= np.linalg.norm(direction)
        centre = np.full(3, self.box_a / 2)
        half = 0.5 * self.bond_length_a * direction
        return Structure(
            Lattice.cubic(self.box_a),
            [self.element, self.element],
            [centre - half, centre + half],
            coords_are_cartesian=True,
        )

    def build_conventional(self) -> Structure:
        """The box is its own conventional cell."""
        return self.build()


def _check_element(symbol: str) -> None:
    if not Element.is_valid_symbol(symbol):
        raise FormulaError(f"{symbol!r} is not an element of the periodic table")


@cache
def _hall_numbers() -> dict[int, list[tuple[int, str, str, str]]]:
    """Space-group number -> [(hall number, short symbol, full symbol, choice)] from spglib."""
    table: dict[int, list[tuple[int, str, str, str]]] = {}
    for hall in range(1, 531):
        sg = spglib.get_spacegroup_type(hall)
        table.setdefault(sg.number, []).append(
            (hall, sg.international_short, sg.international_full.replace(" ", ""), sg.choice)
        )
    return table


def hall_number(space_group: str | int, setting: str = "") -> int:
    """The Hall number of a space group (short symbol or number) in a setting; default is the ITA standard."""
    table = _hall_numbers()
    if isinstance(space_group, int) or str(space_group).isdigit():
        candidates = table.get(int(space_group), [])
    else:
        symbol = str(space_group).replace(" ", "")
        candidates = [row for rows in table.values() for row in rows if symbol in (row[1], row[2])]
        if candidates:
            candidates = table[next(n for n, rows in table.items() if candidates[0] in rows)]
    if not candidates:
        raise CrystallographyError(f"unknown space group {space_group!r}")
    if not setting:
        return candidates[0][0]
    wanted = setting.replace(" ", "")
    for hall, _, full, choice in candidates:
        if wanted in (full, choice):
            return hall
    known = ", ".join(f"{full} ({choice})" if choice else full for _, _, full, choice in candidates)
    raise CrystallographyError(f"space group {space_group} has no setting {setting!r}; known: {known}")


def symmetry_operations(space_group: str | int, setting: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Rotations and translations (fractional) of a space group in the given setting."""
    ops = spglib.get_symmetry_from_database(hall_number(space_group, setting))
    return np.asarray(ops["rotations"], dtype=float), np.asarray(ops["translations"], dtype=float)


def space_group_number(space_group: str | int) -> int:
    """The International Tables number of a space-group symbol."""
    return spglib.get_spacegroup_type(hall_number(space_group)).number


def _orbit(point: np.ndarray, rotations: np.ndarray, translations: np.ndarray) -> list[np.ndarray]:
    """The distinct images of one point under the operations, wrapped into [0, 1)."""
    images = (rotations @ point + translations) % 1.0
    unique: list[np.ndarray] = []
    for image in images:
        if not any(_same_fractional_point(image, known) for known in unique):
            unique.append(image)
    return unique


def _same_fractional_point(p: np.ndarray, q: np.ndarray) -> bool:
    delta = p - q
    delta -= np.round(delta)
    return bool(np.all(np.abs(delta) < _ORBIT_TOLERANCE))


def strained_lattice_parameters(reference: LatticeParameters, before: Lattice, after: Lattice) -> LatticeParameters:
    """The conventional-cell parameters after the homogeneous strain that took `before` to `after`.

    `before` and `after` are the same (e.g. primitive) cell before and after a relaxation, so this
    compares relaxed and experimental lattices in the paper's own setting, whatever cell was computed.
    """
    deformation = np.linalg.solve(before.matrix, after.matrix)  # rows: after = before @ deformation
    return LatticeParameters.of(Lattice(reference.to_lattice().matrix @ deformation))
