"""Crystal structures from their published description: space group, setting, lattice parameters, Wyckoff sites.

pymatgen does the crystallography: `SpaceGroup` holds the symmetry operations of every ITA setting
(origin choices, rhombohedral or hexagonal axes, monoclinic cell choices) and expands a Wyckoff
position into its orbit; `Structure.get_primitive_structure` reduces the cell.

This module adds what pymatgen cannot do:
- it checks each orbit against the multiplicity printed in its Wyckoff label ('4f'), which catches
  most typing errors in coordinates and a wrong origin choice;
- it takes a setting as papers print it ('2', 'R', 'H' or a full symbol such as 'P 1 2_1/n 1') and
  finds pymatgen's name for it, or names the settings it knows;
- `MoleculeInBox` builds the gas-phase references (H2), which have no space group;
- `strained_lattice_parameters` carries a relaxation of whatever cell was computed back onto the
  paper's conventional cell, so relaxed and experimental lattice parameters can be compared.
"""

from __future__ import annotations

import functools
import re
import warnings
from dataclasses import dataclass

import numpy as np
from monty.json import MSONable
from pymatgen.core import Element, Lattice, Structure
from pymatgen.symmetry.groups import SpaceGroup

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
    """A crystal as papers print it. `setting` names a non-default setting: '2' for origin choice 2,
    'R' or 'H' for rhombohedral or hexagonal axes, or the full symbol such as 'P 1 2_1/n 1'."""

    space_group: str
    lattice: LatticeParameters
    sites: tuple[WyckoffSite, ...]
    setting: str = ""

    def build_conventional(self) -> Structure:
        """All atoms of the conventional cell, each Wyckoff orbit checked against its multiplicity."""
        group = resolve_space_group(self.space_group, self.setting)
        species: list[str] = []
        frac_coords: list[np.ndarray] = []
        for site in self.sites:
            _check_element(site.species)
            orbit = group.get_orbit(np.asarray(site.coords, dtype=float), tol=_ORBIT_TOLERANCE)
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


@functools.cache  # pymatgen builds a group's operations in O(n^2) (0.5 s for Fm-3m): once per process is enough
def resolve_space_group(symbol: str, setting: str = "") -> SpaceGroup:
    """pymatgen's space group of a Hermann-Mauguin symbol in a setting; no setting is the ITA standard one.

    pymatgen names settings without spaces or underscores ('P121/n1', 'Fd-3m:2', 'R-3m:R', 'Pbnm'), so a
    setting is matched in that spelling, whole or as the choice after the standard symbol and a colon.
    """
    try:
        standard = SpaceGroup(symbol.replace(" ", ""))
    except ValueError as exc:
        raise CrystallographyError(f"unknown space group {symbol!r}") from exc
    if not setting:
        return standard
    compact = standard.symbol.replace("_", "")
    known = SpaceGroup.get_settings(compact)
    wanted = setting.replace(" ", "").replace("_", "")
    name = next((name for name in (wanted, f"{compact}:{wanted}") if name in known), None)
    if name is None:
        listed = ", ".join(sorted(known))
        raise CrystallographyError(f"space group {symbol} has no setting {setting!r}; known: {listed}")
    with warnings.catch_warnings():  # pymatgen notes that non-standard settings have no full symbol
        warnings.filterwarnings("ignore", "Full symbol not available", UserWarning)
        return SpaceGroup(name)


def space_group_number(symbol: str) -> int:
    """The International Tables number of a space-group symbol."""
    return resolve_space_group(symbol).int_number


def strained_lattice_parameters(reference: LatticeParameters, before: Lattice, after: Lattice) -> LatticeParameters:
    """The conventional-cell parameters after the homogeneous strain that took `before` to `after`.

    `before` and `after` are the same (e.g. primitive) cell before and after a relaxation, so this
    compares relaxed and experimental lattices in the paper's own setting, whatever cell was computed.
    """
    deformation = np.linalg.solve(before.matrix, after.matrix)  # rows: after = before @ deformation
    return LatticeParameters.of(Lattice(reference.to_lattice().matrix @ deformation))
