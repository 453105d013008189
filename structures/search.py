"""A structure search for ordered phases without usable published coordinates.

From a formula written as ions and rigid complex anions (`{"Li": 1, "BH4": 1}`), optionally with isotypic
structures to substitute into, it generates candidates, relaxes them with a function the caller passes in, and
keeps the lowest few with their energies and symmetry. `structures` knows nothing of energies: the relaxation
(an energy source with its settings) comes from the caller, and so does the part of the cache key that names it.

Candidates, in the spirit of the prototype electrostatic ground-state search (PEGS) of Majzoub and Ozolins,
Phys. Rev. B 77, 104115 (2008):
1. random symmetric placements: a space group and a cell of 1, 2, 4 ... formula units are drawn; every ion and
   every anion centre is put on an orbit of that group (a random point pulled onto a nearby symmetry element, as
   AIRSS does, so that special positions occur); cells whose ions come closer than their radii allow are dropped;
2. each arrangement is relaxed, cell and ions together, as charged soft spheres (`structures.point_charges`: the
   Coulomb energy plus a soft-sphere repulsion, the energy of PEGS with the units reduced to spheres), which
   removes the random cell it was drawn with; copies that relaxed into the same arrangement are merged, and each
   is re-expressed in the full symmetry it relaxed into;
3. every distinct arrangement gets its rigid units (BH4-, NH2-, FeH6 4-, ...) on every anion centre, in an
   orientation the site symmetry allows (in the full symmetry, and in the group drawn when that is lower), found
   by minimising the mismatch between the unit and its images under the site-symmetry group; where no orientation
   fits the full symmetry (a tetrahedron on the m-3m site of rock salt), the units take the orientations that keep
   a maximal subgroup of their site symmetry, in every distinct pattern over the conventional cell (orientational
   orderings, as in ordered low-temperature NaBH4);
4. the decorated structures are relaxed again, cell, positions and the units' orientations, in a rigid-unit
   model (the H atoms carry part of their unit's charge, springs hold each unit's shape), the atomistic form
   of the PEGS energy; they are ranked by that energy, and the lowest distinct ones become candidates, so that
   arrangements compare with their units' orientations and not as spheres (the sphere energy is no filter: it
   put NaAlH4's scheelite-like arrangement last of 54, the rigid-unit model first);
5. optionally, from the lowest few, basin-hopping chains in the same model (turn, shift or swap units, strain the
   cell, relax, Metropolis test) look for lower structures without imposed symmetry, in the largest cell allowed;
   the lowest structures they visit join the ranking, so that an arrangement the symmetric placements missed (the
   generator's usual failure) can still be found;
6. isotype substitution: structures the caller names (a published isotype) with their species replaced,
   scaled to the estimated volume, join as candidates;
7. everything is relaxed by the caller's function; results that end up the same structure are merged. The
   rigid-unit ranking is crude (LiBH4's experimental structure comes from its 15th candidate), so a search can
   screen more candidates with a short relaxation the caller passes too (a few optimizer steps with the same
   energy source) and relax fully only the lowest after it.

Unit geometries and ionic radii below are starting values for the generator only (the radii also set where soft
ions touch; the caller's relaxation decides the result); they are not data about any compound.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from monty.json import MontyDecoder, MSONable
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Composition, Element, Lattice, Structure
from pymatgen.core.operations import SymmOp
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer, generate_full_symmops
from pymatgen.symmetry.groups import SpaceGroup
from scipy.optimize import minimize
from scipy.spatial.transform import Rotation

from structures.cache_files import cache_root, write_json_atomically
from structures.errors import HydrideScreenError
from structures.point_charges import Bonds, relax_ions
from structures.supercells import most_compact_supercell_matrix

logger = logging.getLogger(__name__)

# (energy in eV of the whole cell, relaxed structure), or None when the relaxation was rejected
RelaxFunction = Callable[[Structure], "tuple[float, Structure] | None"]

SEARCH_VERSION = 9  # part of every cache key: bump when the generator changes what a seed produces


class StructureSearchError(HydrideScreenError, ValueError):
    """A search that cannot run: an unknown unit, a formula that is not charge balanced, no candidate."""


def _tetrahedron(d: float) -> tuple[tuple[float, float, float], ...]:
    s = d / math.sqrt(3.0)
    return ((s, s, s), (s, -s, -s), (-s, s, -s), (-s, -s, s))


def _octahedron(d: float) -> tuple[tuple[float, float, float], ...]:
    return ((d, 0.0, 0.0), (-d, 0.0, 0.0), (0.0, d, 0.0), (0.0, -d, 0.0), (0.0, 0.0, d), (0.0, 0.0, -d))


def _square_pyramid(d: float) -> tuple[tuple[float, float, float], ...]:
    return ((d, 0.0, 0.0), (-d, 0.0, 0.0), (0.0, d, 0.0), (0.0, -d, 0.0), (0.0, 0.0, d))


def _bent(d: float, angle_deg: float) -> tuple[tuple[float, float, float], ...]:
    half = math.radians(angle_deg) / 2.0
    return ((d * math.sin(half), 0.0, d * math.cos(half)), (-d * math.sin(half), 0.0, d * math.cos(half)))


@dataclass(frozen=True)
class Unit(MSONable):
    """An ion of the search: one atom (`ligand` empty) or a rigid complex anion, its centre and the ligand offsets
    in angstrom; `charge` in elementary charges; `radius_a` is the size used to keep ions apart when placing them;
    `protic` marks units whose H carry a positive charge (NH2-, NH 2-), not a negative one (BH4-, AlH4-)."""

    name: str
    centre: str
    charge: int
    radius_a: float
    ligand: str = ""
    offsets_a: tuple[tuple[float, float, float], ...] = ()
    protic: bool = False

    @property
    def n_atoms(self) -> int:
        """Atoms in one unit."""
        return 1 + len(self.offsets_a)


# Starting geometries: X-H bond lengths typical of neutron refinements (B-H 1.21, Al-H 1.62 / 1.77, N-H 1.03,
# Fe-H 1.56, Ni-H 1.55 A; Co-H taken as 1.55 A), ideal angles (H-N-H 104.5 deg). Radii: cations roughly their
# crystal radii, complex anions the centre-to-H distance plus ~1 A; used only to reject overlapping placements.
COMPLEX_UNITS: dict[str, Unit] = {
    "BH4": Unit("BH4", "B", -1, 2.0, "H", _tetrahedron(1.21)),
    "AlH4": Unit("AlH4", "Al", -1, 2.3, "H", _tetrahedron(1.62)),
    "AlH6": Unit("AlH6", "Al", -3, 2.5, "H", _octahedron(1.77)),
    "NH2": Unit("NH2", "N", -1, 1.7, "H", _bent(1.03, 104.5), protic=True),
    "NH": Unit("NH", "N", -2, 1.6, "H", ((0.0, 0.0, 1.03),), protic=True),
    "NiH4": Unit("NiH4", "Ni", -4, 2.3, "H", _tetrahedron(1.55)),
    "FeH6": Unit("FeH6", "Fe", -4, 2.4, "H", _octahedron(1.56)),
    "CoH5": Unit("CoH5", "Co", -4, 2.4, "H", _square_pyramid(1.55)),
}
SIMPLE_ANIONS: dict[str, Unit] = {
    "H": Unit("H", "H", -1, 1.3),
    "N": Unit("N", "N", -3, 1.5),
    "B": Unit("B", "B", -3, 1.6),
}
CATION_RADII_A: dict[str, float] = {
    "Li": 0.75, "Na": 1.0, "K": 1.4, "Mg": 0.7, "Ca": 1.0, "Sr": 1.2, "Al": 0.55, "Y": 0.9, "Ti": 0.6, "Sc": 0.75,
}  # fmt: skip

# The rigid-unit model that ranks decorated candidates (`_relaxed_in_units`): a unit's H atoms carry part of its
# charge, negative when they are hydridic (BH4-, AlH4-, FeH6 4-), positive when protic (NH2-, NH 2-), and its centre
# the rest. Charges (e) and radii (A) are choices made once for the model, not data about any compound: a buried
# centre (B, Al, Fe inside their H shell) is small; an exposed one (N) has the radius that puts Li-N near 1.95 A;
# a cation keeps its contact with a hydridic H at the contact the soft-sphere model gives it with H- (r + 1.3 A).
HYDRIDIC_H_CHARGE, HYDRIDIC_H_RADIUS_A = -0.5, 1.1
PROTIC_H_CHARGE, PROTIC_H_RADIUS_A = 0.25, 0.8
BURIED_CENTRE_RADIUS_A, EXPOSED_CENTRE_RADIUS_A = 0.5, 1.0
MAX_ORDERINGS = 16  # orientation patterns tried per arrangement whose symmetry its units cannot have
LIGAND_RANGE_A = 2.0  # a ligand H lies within this of its own centre (bonds 1.03-1.77 A)
# Basin hopping in the rigid-unit model (`_hopped`): the size of its moves and the temperature of its Metropolis test,
# choices for the generator (a hop should leave its basin, and kT should let a chain climb a little)
HOP_SHIFT_A = 0.8  # standard deviation of a shifted unit's or ion's displacement, per axis
HOP_STRAIN = 0.08  # standard deviation of each component of a cell strain
HOP_TEMPERATURE_EV = 0.02  # kT per formula unit
HOP_GAIN_EV = 0.001  # per formula unit: a chain's lowest structure counts as new only this far below its start


def unit_of(name: str) -> Unit:
    """The unit of a name: a complex anion of COMPLEX_UNITS, H-, N3-, or a metal cation in its usual charge."""
    if name in COMPLEX_UNITS or name in SIMPLE_ANIONS:
        return COMPLEX_UNITS.get(name) or SIMPLE_ANIONS[name]
    if Element.is_valid_symbol(name) and Element(name).is_metal:
        element = Element(name)
        charge = max(element.common_oxidation_states, default=0)
        if charge <= 0:
            raise StructureSearchError(f"{name} has no positive common oxidation state to be a cation")
        return Unit(name, name, charge, CATION_RADII_A.get(name, float(element.average_ionic_radius) or 1.0))
    known = ", ".join([*COMPLEX_UNITS, *SIMPLE_ANIONS])
    raise StructureSearchError(f"unknown unit {name!r}: use a metal, or one of {known}")


@dataclass(frozen=True)
class SearchSpec(MSONable):
    """What to search: units per formula unit, cell sizes (formula units per primitive cell, capped by
    `max_atoms`), how many arrangements to generate and how many candidates to relax (the lowest in the rigid-unit
    model; with `n_screened` above `n_relaxed`, that many of the lowest get the caller's short `screen` relaxation
    first and the `n_relaxed` lowest after it are relaxed fully, the rigid-unit ranking being the cruder), how many
    basin-hopping chains of how many hops start from the lowest of those (each chain's result is relaxed as well;
    none by default: on the five validation phases they cost 2.5-5x the time and brought none of them within 5
    meV/atom, benchmarks/results/structure_search_chains.json), the random seed, and optionally space groups to draw
    from (numbers; default all 2-230), a prior over them as (number, weight) pairs (half the draws follow it), and
    isotypes as (structure, species map)."""

    units: dict[str, int]
    formula_units: tuple[int, ...] = (1, 2, 4)
    max_atoms: int = 24
    n_generated: int = 400
    n_relaxed: int = 12
    n_screened: int = 0
    n_kept: int = 5
    n_chains: int = 0
    n_hops: int = 200
    seed: int = 0
    space_groups: tuple[int, ...] = ()
    space_group_prior: tuple[tuple[int, float], ...] = ()
    isotypes: tuple[tuple[Structure, dict[str, str]], ...] = ()

    def unit_list(self) -> list[tuple[Unit, int]]:
        """Each unit with its count per formula unit; the formula must be charge balanced."""
        units = [(unit_of(name), count) for name, count in self.units.items()]
        if sum(u.charge * n for u, n in units) != 0:
            raise StructureSearchError(f"{self.formula} is not charge balanced with the units' usual charges")
        shared = {u.centre for u, _ in units if u.offsets_a} & {u.centre for u, _ in units if not u.offsets_a}
        if shared:
            raise StructureSearchError(f"{', '.join(sorted(shared))} cannot be both an ion and a unit's centre")
        return units

    @property
    def formula(self) -> str:
        """The reduced formula of one formula unit."""
        return self.composition.reduced_formula

    @property
    def composition(self) -> Composition:
        """The composition of one formula unit."""
        counts: dict[str, float] = {}
        for name, n in self.units.items():
            unit = unit_of(name)
            counts[unit.centre] = counts.get(unit.centre, 0) + n
            if unit.offsets_a:
                counts[unit.ligand] = counts.get(unit.ligand, 0) + n * len(unit.offsets_a)
        return Composition(counts)

    @property
    def atoms_per_formula_unit(self) -> int:
        """Atoms in one formula unit."""
        return sum(unit_of(name).n_atoms * n for name, n in self.units.items())

    def key_payload(self) -> dict[str, Any]:
        """What determines the candidates (for the cache key)."""
        isotypes = [
            (_fingerprint(structure), sorted(mapping.items())) for structure, mapping in self.isotypes
        ]  # fmt: skip
        return {
            "version": SEARCH_VERSION,
            "units": sorted(self.units.items()),
            "formula_units": list(self.formula_units),
            "max_atoms": self.max_atoms,
            "n_generated": self.n_generated,
            "n_relaxed": self.n_relaxed,
            **({"n_screened": self.n_screened} if self.n_screened else {}),
            "n_kept": self.n_kept,
            "n_chains": self.n_chains,
            "n_hops": self.n_hops,
            "seed": self.seed,
            "space_groups": list(self.space_groups),
            **({"space_group_prior": [list(p) for p in self.space_group_prior]} if self.space_group_prior else {}),
            "isotypes": isotypes,
        }


@dataclass
class SearchHit(MSONable):
    """One relaxed candidate: energy per atom (eV), structure, the space group spglib finds (symprec 0.05 A),
    and where the candidate came from ('random Pnma Z=4', 'isotype Zn(NH2)2')."""

    energy_per_atom_ev: float
    structure: Structure
    space_group: str
    space_group_number: int
    origin: str


@dataclass
class SearchResult(MSONable):
    """The lowest distinct structures of a search, lowest first, with what was tried and how long it took."""

    formula: str
    hits: list[SearchHit]
    n_generated: int
    n_relaxed: int
    n_rejected: int
    seconds: float
    cache_key: str
    spec: dict[str, Any] = field(default_factory=dict)
    n_screened: int = 0

    @property
    def best(self) -> SearchHit:
        """The lowest-energy structure found."""
        if not self.hits:
            raise StructureSearchError(f"the search for {self.formula} relaxed no candidate successfully")
        return self.hits[0]

    def record(self) -> str:
        """One line for a library entry's source: what was searched, what came out, how it was relaxed."""
        best = self.best
        return (
            f"structure search (structures.search, version {SEARCH_VERSION}) for {self.formula}: "
            f"{self.n_generated} arrangements generated, "
            + (f"{self.n_screened} screened by a short relaxation, " if self.n_screened else "")
            + f"{self.n_relaxed} relaxed ({self.n_rejected} rejected), "
            f"best {best.space_group} ({best.space_group_number}) from {best.origin}, "
            f"{best.energy_per_atom_ev:.4f} eV/atom; cache key {self.cache_key}"
        )


# ---------------------------------------------------------------------------------------------- symmetry


@dataclass(frozen=True)
class _Group:
    number: int
    symbol: str
    rotations: np.ndarray  # (n, 3, 3) fractional
    translations: np.ndarray  # (n, 3)
    n_centring: int
    crystal_system: str


@cache
def _group(number: int) -> _Group:
    group = SpaceGroup.from_int_number(number)
    ops = list(group.symmetry_ops)
    rotations = np.array([op.rotation_matrix for op in ops])
    translations = np.array([op.translation_vector for op in ops]) % 1.0
    n_centring = sum(1 for r in rotations if np.allclose(r, np.eye(3)))
    return _Group(number, group.symbol, rotations, translations, n_centring, group.crystal_system)


@cache
def _special_positions(number: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """The fixed-point sets of the group's operations (points, lines, planes in fractional coordinates) as
    (a point on the set, its direction vectors as columns): where special Wyckoff positions lie."""
    group = _group(number)
    found: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
    shifts = np.array([(i, j, k) for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)], dtype=float)
    for r, t in zip(group.rotations, group.translations, strict=True):
        if np.allclose(r, np.eye(3)):
            continue
        a = r - np.eye(3)
        _, singular, vt = np.linalg.svd(a)
        null = vt[singular < 1e-8].T
        b = -(t + shifts)  # one right-hand side per lattice translation
        x = b @ np.linalg.pinv(a).T
        solvable = np.linalg.norm(x @ a.T - b, axis=1) < 1e-8
        for point in x[solvable] % 1.0:
            key = (null.shape[1], *np.round(point, 4), *np.round(np.abs(null).sum(axis=0), 3))
            found.setdefault(key, (point, null))
    return tuple(found.values())


def _random_lattice(group: _Group, volume: float, rng: np.random.Generator) -> Lattice:
    """A random cell of the group's crystal system with the given volume."""
    ratios = np.exp(rng.uniform(np.log(0.6), np.log(1.7), 3))
    system = group.crystal_system
    alpha = beta = gamma = 90.0
    if system == "triclinic":
        alpha, beta, gamma = rng.uniform(65, 115, 3)
    elif system == "monoclinic":
        beta = rng.uniform(70, 110)
    elif system == "tetragonal":
        ratios[1] = ratios[0]
    elif system in ("trigonal", "hexagonal"):
        ratios[1] = ratios[0]
        gamma = 120.0
    elif system == "cubic":
        ratios[:] = 1.0
    try:
        lattice = Lattice.from_parameters(*ratios, alpha, beta, gamma)
    except ValueError:
        lattice = Lattice.from_parameters(*ratios, 90, 90, 90)
    if not np.isfinite(lattice.volume) or lattice.volume < 0.1 * np.prod(ratios):
        lattice = Lattice.from_parameters(*ratios, 90, beta if system == "monoclinic" else 90, gamma)
    return lattice.scale(volume)


def _images(group: _Group, frac: np.ndarray) -> np.ndarray:
    return (np.einsum("nij,j->ni", group.rotations, frac) + group.translations) % 1.0


def _unique(points: np.ndarray, lattice: Lattice, tol_a: float) -> np.ndarray:
    """Points closer than tol_a (periodic images included) merged into one, averaged."""
    distances = lattice.get_all_distances(points, points)
    unassigned = np.ones(len(points), dtype=bool)
    merged = []
    for i in range(len(points)):
        if not unassigned[i]:
            continue
        members = np.flatnonzero(unassigned & (distances[i] < tol_a))
        unassigned[members] = False
        shifts = points[members] - points[i]
        merged.append((points[i] + np.mean(shifts - np.round(shifts), axis=0)) % 1.0)
    return np.array(merged)


def _orbit(group: _Group, lattice: Lattice, point: np.ndarray, snap_a: float) -> np.ndarray:
    """The orbit of `point` after pulling it onto the symmetry elements within snap_a of it (AIRSS-style)."""
    p = point % 1.0
    for _ in range(6):
        images = _images(group, p)
        d = images - p
        d -= np.round(d)
        close = np.linalg.norm(lattice.get_cartesian_coords(d), axis=1) <= snap_a
        moved = (p + d[close].mean(axis=0)) % 1.0
        if np.linalg.norm(lattice.get_cartesian_coords(((moved - p + 0.5) % 1.0) - 0.5)) < 1e-6:
            break
        p = moved
    return _unique(_images(group, p), lattice, 0.05)


# ---------------------------------------------------------------------------------------------- generation


@dataclass
class _Arrangement:
    """Ions and anion centres placed with symmetry, before the rigid units are attached."""

    group: _Group
    lattice: Lattice
    formula_units: int  # per primitive cell
    sites: list[tuple[Unit, np.ndarray]]  # (unit, fractional centre) in the conventional cell
    energy_per_fu_ev: float = 0.0  # in the soft-ion model, once relaxed

    def point_charges(self) -> Structure:
        species = [Element(u.centre) for u, _ in self.sites]
        structure = Structure(self.lattice, species, [c for _, c in self.sites])
        structure.add_oxidation_state_by_site([u.charge for u, _ in self.sites])
        return structure


def _estimated_volume_per_fu(units: list[tuple[Unit, int]]) -> float:
    """Sum of ion volumes (radius-based spheres) over a packing fraction of 0.45 (loose: the relaxation shrinks it)."""
    return sum(n * 4.0 / 3.0 * math.pi * u.radius_a**3 for u, n in units) / 0.45


def _place(
    group: _Group, units: list[tuple[Unit, int]], z: int, volume_per_fu: float, rng: np.random.Generator
) -> _Arrangement | None:
    """One random symmetric arrangement, or None when the orbits cannot make up the counts or ions overlap."""
    z_conventional = z * group.n_centring
    lattice = _random_lattice(group, volume_per_fu * z_conventional, rng)
    sites: list[tuple[Unit, np.ndarray]] = []
    for unit, n in sorted(units, key=lambda item: -item[0].radius_a):  # big ions first
        left = n * z_conventional
        special = _special_positions(group.number)
        for _ in range(30):
            if left == 0:
                break
            if special and rng.random() < 0.5:  # a random point of a random symmetry element
                point, directions = special[int(rng.integers(len(special)))]
                orbit = _orbit(group, lattice, point + directions @ rng.uniform(-1, 1, directions.shape[1]), 0.0)
            else:  # a random point, pulled onto the symmetry elements near it
                snap = rng.uniform(0.0, 2.0) if rng.random() < 0.7 else 0.0
                orbit = _orbit(group, lattice, rng.random(3), snap)
            if len(orbit) > left or not _fits(unit, orbit, sites, lattice):
                continue
            sites += [(unit, p) for p in orbit]
            left -= len(orbit)
        if left:
            return None
    return _Arrangement(group, lattice, z, sites)


def _fits(unit: Unit, orbit: np.ndarray, sites: list[tuple[Unit, np.ndarray]], lattice: Lattice) -> bool:
    """The new orbit keeps its ions apart from each other and from those placed: 0.7 x the sum of radii for
    ions of opposite sign, 0.9 x for ions of the same sign."""
    placed = [*sites, *((unit, p) for p in orbit)]
    new = range(len(sites), len(placed))
    frac = np.array([p for _, p in placed])
    distances = lattice.get_all_distances(frac[len(sites) :], frac)
    for row, i in enumerate(new):
        for j, (other, _) in enumerate(placed):
            if i == j:
                continue
            factor = 0.7 if unit.charge * other.charge < 0 else 0.9
            if distances[row, j] < factor * (unit.radius_a + other.radius_a):
                return False
    # an ion must also clear its own periodic images
    return min(lattice.abc) >= 1.6 * unit.radius_a


def _relaxed(arrangement: _Arrangement) -> _Arrangement:
    """The arrangement with cell and ions relaxed as charged soft spheres (`structures.point_charges`), and its
    energy per formula unit in that model."""
    units = [u for u, _ in arrangement.sites]
    relaxed = relax_ions(
        arrangement.lattice.matrix, np.array([c for _, c in arrangement.sites]),
        np.array([u.charge for u in units], dtype=float), np.array([u.radius_a for u in units]),
    )  # fmt: skip
    z_conventional = arrangement.formula_units * arrangement.group.n_centring
    return replace(
        arrangement, lattice=Lattice(relaxed.cell_a), sites=list(zip(units, relaxed.frac_coords, strict=True)),
        energy_per_fu_ev=relaxed.energy_ev / z_conventional,
    )  # fmt: skip


def _symmetrized(arrangement: _Arrangement, symprec_a: float = 0.1) -> _Arrangement:
    """The relaxed arrangement in the full symmetry it relaxed into (often higher than the group it was drawn in:
    soft ions relax onto the special positions of a supergroup), in that group's conventional cell."""
    points = arrangement.point_charges()
    refined = SpacegroupAnalyzer(points, symprec=symprec_a).get_refined_structure()
    analyzer = SpacegroupAnalyzer(refined, symprec=0.01)
    dataset = analyzer.get_symmetry_dataset()
    if dataset.number == arrangement.group.number:
        return arrangement
    rotations = np.array(dataset.rotations, dtype=float)
    n_centring = sum(1 for r in rotations if np.allclose(r, np.eye(3)))
    group = _Group(
        dataset.number, dataset.international, rotations, np.array(dataset.translations) % 1.0, n_centring,
        analyzer.get_crystal_system(),
    )  # fmt: skip
    by_species = {(u.centre, u.charge): u for u, _ in arrangement.sites}
    sites = [(by_species[site.specie.symbol, round(site.specie.oxi_state)], site.frac_coords) for site in refined]
    ions_per_fu = len(arrangement.sites) / (arrangement.formula_units * arrangement.group.n_centring)
    z = round(len(sites) / n_centring / ions_per_fu)
    return _Arrangement(group, refined.lattice, z, sites, arrangement.energy_per_fu_ev)


# ---------------------------------------------------------------------------------------------- decoration


def _site_rotations(group: _Group, lattice: Lattice, centre: np.ndarray) -> list[np.ndarray]:
    """Cartesian rotation parts of the operations that map `centre` onto itself (its site-symmetry group)."""
    matrix = lattice.matrix.T  # columns: a, b, c
    inverse = np.linalg.inv(matrix)
    rotations = []
    for r, t in zip(group.rotations, group.translations, strict=True):
        d = r @ centre + t - centre
        d -= np.round(d)
        if np.linalg.norm(lattice.get_cartesian_coords(d)) < 1e-3:
            rotations.append(matrix @ r @ inverse)
    return rotations


def _orientation(unit: Unit, rotations: list[np.ndarray], rng: np.random.Generator) -> np.ndarray | None:
    """Ligand offsets (cartesian) of the unit turned so that the site-symmetry group maps the unit onto itself,
    or None when no orientation fits (a tetrahedron on an inversion centre)."""
    offsets = np.array(unit.offsets_a)
    nontrivial = [w for w in rotations if not np.allclose(w, np.eye(3))]
    if not nontrivial:
        return Rotation.random(random_state=rng).apply(offsets)

    operations = np.array(nontrivial)

    def mismatch(vector: np.ndarray) -> float:
        turned = Rotation.from_rotvec(vector).apply(offsets)
        images = np.einsum("wab,lb->wla", operations, turned)  # every operation's image of every ligand
        gaps = np.linalg.norm(images[:, :, None, :] - turned[None, None, :, :], axis=3)
        return float(np.sum(gaps.min(axis=2) ** 2))

    for _ in range(12):
        start = Rotation.random(random_state=rng).as_rotvec()
        found = minimize(mismatch, start, method="Nelder-Mead", options={"xatol": 1e-7, "fatol": 1e-10})
        if found.fun < 1e-6:
            return Rotation.from_rotvec(found.x).apply(offsets)
    return None


def _decorate(arrangement: _Arrangement, rng: np.random.Generator) -> Structure | None:
    """The arrangement with every anion centre carrying its unit, symmetric under the arrangement's group."""
    lattice, group = arrangement.lattice, arrangement.group
    species: list[str] = []
    coords: list[np.ndarray] = []
    ligand_indices: list[int] = []  # the units' ligand atoms (a hydride ion H- is not one)
    done: list[np.ndarray] = []
    for unit, centre in arrangement.sites:
        species.append(unit.centre)
        coords.append(centre)
        if not unit.offsets_a:
            continue
        if any(np.linalg.norm(lattice.get_cartesian_coords(((centre - c + 0.5) % 1.0) - 0.5)) < 1e-3 for c in done):
            continue
        orbit = _unique(_images(group, centre), lattice, 0.05)
        offsets = _orientation(unit, _site_rotations(group, lattice, centre), rng)
        if offsets is None:
            return None
        ligands = lattice.get_fractional_coords(lattice.get_cartesian_coords(centre) + offsets)
        images = np.concatenate([_images(group, p) for p in ligands])
        merged = _unique(images, lattice, 0.2)
        if len(merged) != len(orbit) * len(unit.offsets_a):
            return None
        ligand_indices += range(len(species), len(species) + len(merged))
        species += [unit.ligand] * len(merged)
        coords += list(merged)
        done += list(orbit)
    structure = Structure(lattice, species, coords)
    centres = frozenset(u.centre for u, _ in arrangement.sites if u.offsets_a)
    return structure if _ligands_clear(structure, ligand_indices, centres) else None


def _rotation_order(rotation: np.ndarray) -> int:
    """The order of a point operation: the least n with rotation^n the identity (at most 6 in a crystal)."""
    power = rotation
    for n in range(1, 7):
        if np.allclose(power, np.eye(3), atol=1e-6):
            return n
        power = power @ rotation
    return 6


def _closure(operations: list[np.ndarray]) -> list[np.ndarray]:
    """The point group the rotations generate (pymatgen's closure of symmetry operations)."""
    generators = [SymmOp.from_rotation_and_translation(w) for w in operations]
    return [op.rotation_matrix for op in generate_full_symmops(generators, tol=1e-6)]


def _orientations(unit: Unit, rotations: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """The orientations (ligand offsets, cartesian) a unit takes on a site whose symmetry it cannot have: one that
    keeps a maximal subgroup of the site symmetry (operations of highest order tried first, each kept when an
    orientation fits it with those already kept), and its distinct images under the rest of the site group, as a
    tetrahedron on the m-3m site of rock salt keeps -43m and takes either of its two orientations."""
    kept, rejected = [np.eye(3)], []
    best = _orientation(unit, kept, rng)
    for w in sorted(rotations, key=lambda r: -_rotation_order(r)):
        if any(np.allclose(w, g, atol=1e-6) for g in kept + rejected):
            continue
        trial = _orientation(unit, [*kept, w], rng)
        if trial is None:  # every a w b (a, b kept) generates the same group with the kept ones: none fits
            rejected += [a @ w @ b for a in kept for b in kept]
        else:
            best, kept = trial, _closure([*kept, w])
    distinct: list[np.ndarray] = []
    for image in np.einsum("wab,lb->wla", np.array(rotations), best):
        if not any(np.linalg.norm(image[:, None] - other[None], axis=2).min(axis=1).max() < 0.05 for other in distinct):
            distinct.append(image)
    return distinct


def _orderings(arrangement: _Arrangement, max_atoms: int, rng: np.random.Generator) -> list[Structure]:
    """Orientational orderings of the units in the arrangement's conventional cell, for an arrangement whose full
    symmetry no orientation of its units fits (`_decorate` fails): each unit takes one of its site's orientations
    (`_orientations`), every combination when there are at most MAX_ORDERINGS, a random sample of that many when
    more; those whose ligands clash, and copies of one ordering, are dropped. Ordered low-temperature NaBH4 is
    such an ordering of rock salt."""
    lattice, group = arrangement.lattice, arrangement.group
    n_atoms = sum(u.n_atoms for u, _ in arrangement.sites)
    if n_atoms > max_atoms:
        return []
    choices = [
        _orientations(unit, _site_rotations(group, lattice, centre), rng) if unit.offsets_a else [np.zeros((0, 3))]
        for unit, centre in arrangement.sites
    ]  # fmt: skip
    sizes = [len(c) for c in choices]
    if math.prod(sizes) <= MAX_ORDERINGS:
        patterns = list(itertools.product(*(range(n) for n in sizes)))
    else:
        patterns = list({tuple(int(rng.integers(n)) for n in sizes) for _ in range(MAX_ORDERINGS)})
    centres = frozenset(u.centre for u, _ in arrangement.sites if u.offsets_a)
    matcher = StructureMatcher(ltol=0.1, stol=0.1, angle_tol=2)  # patterns the symmetry maps onto one another
    structures: list[Structure] = []
    for pattern in patterns:
        species, coords, ligands = [u.centre for u, _ in arrangement.sites], [c for _, c in arrangement.sites], []
        for (unit, centre), options, k in zip(arrangement.sites, choices, pattern, strict=True):
            ligands += range(len(species), len(species) + len(options[k]))
            species += [unit.ligand] * len(options[k])
            coords += list(lattice.get_fractional_coords(lattice.get_cartesian_coords(centre) + options[k]))
        structure = Structure(lattice, species, coords)
        if _ligands_clear(structure, ligands, centres) and not any(matcher.fit(structure, s) for s in structures):
            structures.append(structure)
    return structures


def _ligands_clear(structure: Structure, ligands: Sequence[int], centres: frozenset[str]) -> bool:
    """No ligand H closer than 1.45 A to another H (H-H is ~1.6 A inside NH2, ~2.0 A inside BH4), and every ligand
    nearest to a unit centre (bonds 1.03-1.77 A) with no other atom within 1.5 A."""
    hydrogens = [i for i, site in enumerate(structure) if site.specie.symbol == "H"]
    others = [j for j, site in enumerate(structure) if site.specie.symbol != "H"]
    distances = structure.distance_matrix
    for i in ligands:
        to_h = distances[i, [h for h in hydrogens if h != i]]
        if len(to_h) and to_h.min() < 1.45:
            return False
        order = np.argsort(distances[i, others])
        nearest = distances[i, others][order]
        if structure[others[order[0]]].specie.symbol not in centres or nearest[0] > 1.8:
            return False
        if len(nearest) > 1 and (nearest[1] < 1.5 or nearest[1] < nearest[0] + 0.1):
            return False
    return True


# ---------------------------------------------------------------------------------------------- ranking


@dataclass
class _UnitModel:
    """A decorated structure as the rigid-unit model sees it: per-atom charges and radii, the springs that hold each
    unit's shape, and fractional positions with every unit whole (its ligands in the image next to its centre)."""

    frac_coords: np.ndarray
    charges: np.ndarray
    radii_a: np.ndarray
    bonds: Bonds | None
    owners: np.ndarray  # per atom, the index of its unit's centre (itself for an ion or a centre)

    def whole(self, frac_coords: np.ndarray) -> np.ndarray:
        """Fractional positions with every ligand moved into the periodic image next to its centre."""
        offsets = frac_coords - frac_coords[self.owners]
        return frac_coords[self.owners] + offsets - np.round(offsets)


def _unit_model(structure: Structure, units: Sequence[Unit]) -> _UnitModel | None:
    """The rigid-unit model of a structure whose complex anions are whole units (each ligand H nearest its own
    centre), or None when the H atoms cannot be given to the centres in the numbers the units have."""
    complex_units = {u.centre: u for u in units if u.offsets_a}
    ions = {u.centre: u for u in units if not u.offsets_a}
    symbols = [site.specie.symbol for site in structure]
    centres = [i for i, symbol in enumerate(symbols) if symbol in complex_units]
    distances = structure.distance_matrix
    charges, radii = np.zeros(len(structure)), np.zeros(len(structure))
    ligands_of: dict[int, list[int]] = {c: [] for c in centres}
    for i, symbol in enumerate(symbols):
        nearest = centres[int(np.argmin(distances[i, centres]))] if centres and symbol == "H" else None
        if nearest is not None and distances[i, nearest] < LIGAND_RANGE_A:
            ligands_of[nearest].append(i)
        elif symbol not in complex_units:
            if symbol not in ions:  # an H too far from every centre, in a formula without hydride ions
                return None
            unit = ions[symbol]
            charges[i] = unit.charge
            shift = SIMPLE_ANIONS["H"].radius_a - HYDRIDIC_H_RADIUS_A if unit.charge > 0 else 0.0
            radii[i] = unit.radius_a + shift
    pairs: list[tuple[int, int]] = []
    owners = np.arange(len(structure))
    for c, ligands in ligands_of.items():
        unit = complex_units[symbols[c]]
        if len(ligands) != len(unit.offsets_a):
            return None
        charge = PROTIC_H_CHARGE if unit.protic else HYDRIDIC_H_CHARGE
        charges[ligands] = charge
        radii[ligands] = PROTIC_H_RADIUS_A if unit.protic else HYDRIDIC_H_RADIUS_A
        charges[c] = unit.charge - charge * len(ligands)
        radii[c] = EXPOSED_CENTRE_RADIUS_A if unit.protic else BURIED_CENTRE_RADIUS_A
        owners[ligands] = c
        members = [c, *ligands]
        pairs += [(a, b) for k, a in enumerate(members) for b in members[k + 1 :]]
    model = _UnitModel(structure.frac_coords, charges, radii, None, owners)
    model.frac_coords = model.whole(structure.frac_coords)
    if pairs:
        index = np.array(pairs)
        cartesian = model.frac_coords @ structure.lattice.matrix
        model.bonds = Bonds(index, np.linalg.norm(cartesian[index[:, 1]] - cartesian[index[:, 0]], axis=1))
    return model


def _relaxed_in_units(structure: Structure, units: Sequence[Unit], z: int) -> tuple[float, Structure] | None:
    """A decorated structure relaxed (cell, positions and the units' orientations) in the rigid-unit model, with its
    energy per formula unit there; z formula units in the cell. None when its H cannot be given to the units."""
    model = _unit_model(structure, units)
    if model is None:
        return None
    relaxed = relax_ions(structure.lattice.matrix, model.frac_coords, model.charges, model.radii_a, model.bonds)
    return relaxed.energy_ev / z, Structure(relaxed.cell_a, structure.species, relaxed.frac_coords)


def rigid_unit_energy_per_fu(structure: Structure, spec: SearchSpec) -> float | None:
    """The energy per formula unit (eV) of `structure` relaxed in the rigid-unit model that ranks the search's
    candidates; None when its H cannot be given to the spec's units. It tells why a search missed a known structure:
    a known structure the model puts below the search's best was never generated (sampling); one above it is
    ranked wrongly by the model."""
    if structure.composition.reduced_composition != spec.composition.reduced_composition:
        raise StructureSearchError(f"{structure.composition.reduced_formula} is not the searched {spec.formula}")
    z = len(structure) // spec.atoms_per_formula_unit
    result = _relaxed_in_units(structure, [u for u, _ in spec.unit_list()], z)
    return None if result is None else result[0]


def _compact_supercell(structure: Structure, multiple: int) -> Structure:
    """The supercell of `multiple` times the structure's cell whose atoms lie farthest from their own periodic images
    (the longest shortest lattice vector), Niggli reduced, so that a chain in it can reach orderings of that many
    formula units without a needle-shaped cell."""
    best, _ = most_compact_supercell_matrix(structure.lattice, multiple)
    return structure.make_supercell(best, in_place=False).get_reduced_structure()


def _hopped(
    structure: Structure, units: Sequence[Unit], z: int, hops: int, rng: np.random.Generator
) -> tuple[float, Structure] | None:
    """The lowest structure that basin hopping (Wales and Doye, J. Phys. Chem. A 101, 5111 (1997)) visits in the
    rigid-unit model from `structure`, with its energy per formula unit; z formula units in the cell. Each hop turns
    one unit, shifts one unit or ion, swaps two, or strains the cell, relaxes, and is kept by the Metropolis test at
    HOP_TEMPERATURE_EV per formula unit. Symmetry is not imposed, so a chain can leave the group its start was drawn
    in (single chains reached LiBH4 Pnma and NaAlH4 I4_1/a, which no symmetric placement gave). None when the
    structure's H cannot be given to its units, or when no structure lower than the start by HOP_GAIN_EV per
    formula unit was visited (the start then stands)."""
    model = _unit_model(structure, units)
    if model is None:
        return None
    centres = np.unique(model.owners)

    def relaxed(cell: np.ndarray, frac: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, bool]:
        result = relax_ions(cell, model.whole(frac), model.charges, model.radii_a, model.bonds)
        return result.energy_ev / z, result.cell_a, result.frac_coords, result.converged

    energy, cell, frac, _ = relaxed(structure.lattice.matrix, model.frac_coords)
    start_energy, best = energy, (energy, cell, frac)
    for _ in range(hops):
        trial_cell, cartesian = cell, model.whole(frac) @ cell
        centre = centres[rng.integers(len(centres))]
        members = model.owners == centre
        move = int(rng.integers(4))
        if move == 0 and members.sum() > 1:  # turn a unit about its centre
            rotation = Rotation.random(random_state=rng).as_matrix()
            cartesian[members] = cartesian[centre] + (cartesian[members] - cartesian[centre]) @ rotation.T
        elif move <= 1:  # shift a unit or an ion
            cartesian[members] += rng.normal(0.0, HOP_SHIFT_A, 3)
        elif move == 2:  # swap two: each takes the other's place, units keeping their orientation
            other = centres[rng.integers(len(centres))]
            shift = cartesian[other] - cartesian[centre]
            others = model.owners == other
            cartesian[members] += shift
            cartesian[others] -= shift
        else:  # strain the cell, the atoms following it
            strain = rng.normal(0.0, HOP_STRAIN, (3, 3))
            trial_cell = cell @ (np.eye(3) + 0.5 * (strain + strain.T))
            cartesian = cartesian @ np.linalg.solve(cell, trial_cell)
        trial_energy, trial_cell, trial_frac, converged = relaxed(trial_cell, cartesian @ np.linalg.inv(trial_cell))
        if not converged:
            continue
        if trial_energy < energy or rng.random() < math.exp(-(trial_energy - energy) / HOP_TEMPERATURE_EV):
            energy, cell, frac = trial_energy, trial_cell, trial_frac
            if energy < best[0]:
                best = (energy, cell, frac)
    if best[0] > start_energy - HOP_GAIN_EV:
        return None
    return best[0], Structure(best[1], structure.species, best[2])


# ---------------------------------------------------------------------------------------------- the search


def _fingerprint(structure: Structure) -> str:
    payload = json.dumps(
        {
            "lattice": np.round(structure.lattice.matrix, 4).tolist(),
            "sites": sorted((s.species_string, *np.round(s.frac_coords % 1.0, 4).tolist()) for s in structure),
        }
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def search_cache_dir() -> Path:
    """Where searches are kept: `<cache root>/searches` (`$HYDRIDE_SCREEN_CACHE` or the user cache)."""
    return cache_root() / "searches"


def _substituted(structure: Structure, mapping: Mapping[str, str], volume_per_atom: float) -> Structure:
    """The isotype with its species replaced and scaled to the estimated volume; with nothing replaced (another
    ordering of the same compound) it keeps its own cell."""
    changes = {old: new for old, new in mapping.items() if old != new}
    result = structure.copy()
    if changes:
        result.replace_species(changes)
        result.scale_lattice(volume_per_atom * len(result))
    return result


def _draw_weights(groups: Sequence[int], prior: Sequence[tuple[int, float]]) -> np.ndarray | None:
    """How often each group is drawn: uniformly without a prior; with one, half the draws uniform (so that no group
    is left out) and half in proportion to the prior's weights (how often a training set of known compounds takes
    each group)."""
    if not prior:
        return None
    weight = dict(prior)
    preferred = np.array([weight.get(g, 0.0) for g in groups])
    uniform = np.full(len(groups), 1.0 / len(groups))
    return uniform if preferred.sum() <= 0 else 0.5 * uniform + 0.5 * preferred / preferred.sum()


def generate_candidates(spec: SearchSpec) -> list[tuple[str, Structure]]:
    """The candidates a search relaxes, isotypes first, then the lowest distinct structures in the rigid-unit model,
    decorated arrangements and the lowest each basin-hopping chain visited: (origin, primitive structure).
    Deterministic for a spec (its seed)."""
    units = spec.unit_list()
    rng = np.random.default_rng(spec.seed)
    volume_per_fu = _estimated_volume_per_fu(units)
    sizes = [z for z in spec.formula_units if z * spec.atoms_per_formula_unit <= spec.max_atoms]
    if not sizes:
        raise StructureSearchError(
            f"no cell of {spec.formula_units} formula units of {spec.formula} fits in {spec.max_atoms} atoms"
        )
    groups = list(spec.space_groups) or list(range(2, 231))
    weights = _draw_weights(groups, spec.space_group_prior)
    arrangements: list[_Arrangement] = []
    attempts = 0
    while len(arrangements) < spec.n_generated and attempts < 40 * spec.n_generated:
        attempts += 1
        group = _group(int(rng.choice(groups) if weights is None else rng.choice(groups, p=weights)))
        arrangement = _place(group, units, int(rng.choice(sizes)), volume_per_fu, rng)
        if arrangement is not None:
            arrangements.append(_relaxed(arrangement))
    logger.info("%s: %d arrangements from %d attempts", spec.formula, len(arrangements), attempts)

    candidates: list[tuple[str, Structure]] = []
    volume_per_atom = volume_per_fu / spec.atoms_per_formula_unit
    for structure, mapping in spec.isotypes:
        parent = structure.composition.reduced_formula
        candidates.append((f"isotype {parent}", _substituted(structure, mapping, volume_per_atom)))
    unit_types = [u for u, _ in units]
    pool: list[tuple[float, str, Structure]] = []  # (rigid-unit energy per formula unit, origin, relaxed structure)
    ordering_rng = np.random.default_rng([spec.seed, 1])  # its own stream: orderings leave the decorations as they were
    for arrangement in _distinct(arrangements):
        # the units decorated in the full symmetry the ions relaxed into, and in the group they were drawn in when
        # that is lower (a unit's orientation may break the symmetry of the centres, as in LiBH4)
        symmetric = _symmetrized(arrangement)
        for version in [symmetric] if symmetric is arrangement else [symmetric, arrangement]:
            origin = f"random {version.group.symbol} ({version.group.number}) Z={version.formula_units}"
            structure = next((s for s in (_decorate(version, rng) for _ in range(4)) if s is not None), None)
            if structure is not None:
                decorated = [(origin, structure)]
            elif version is symmetric:  # no orientation fits its full symmetry: order the units' orientations
                decorated = [(f"{origin}, units ordered", s) for s in _orderings(version, spec.max_atoms, ordering_rng)]
            else:
                decorated = []
            for name, structure in decorated:
                ranked = _relaxed_in_units(structure, unit_types, len(structure) // spec.atoms_per_formula_unit)
                if ranked is not None:
                    pool.append((ranked[0], name, ranked[1]))
    chosen = _lowest_distinct(pool, max(spec.n_relaxed, spec.n_screened))
    hopped = []
    chain_seeds = rng.integers(2**63, size=spec.n_chains)  # a generator per chain: chain k does not depend on the rest
    z_chain = max(sizes)  # chains run in the largest cell allowed, which holds the smaller ones' orderings too
    for (_, origin, structure), seed in zip(chosen[: spec.n_chains] if spec.n_hops else [], chain_seeds, strict=False):
        z = len(structure) // spec.atoms_per_formula_unit
        start = _compact_supercell(structure, z_chain // z) if z_chain % z == 0 else structure
        z = len(start) // spec.atoms_per_formula_unit
        found = _hopped(start, unit_types, z, spec.n_hops, np.random.default_rng(seed))
        if found is not None:
            hopped.append((found[0], f"hopped from {origin}", found[1]))
    # the chains' results join the n_relaxed lowest, not replacing them: the model's ranking is not the caller's
    ranked = _lowest_distinct(hopped + chosen, len(hopped) + len(chosen))
    candidates += [(origin, structure) for _, origin, structure in ranked]
    return candidates


def _lowest_distinct(ranked: Sequence[tuple[float, str, Structure]], n: int) -> list[tuple[float, str, Structure]]:
    """The n lowest (rigid-unit energy per formula unit, origin, structure) entries, as primitive cells, without
    copies of one structure (compared only within 0.01 eV per formula unit)."""
    matcher = StructureMatcher(ltol=0.2, stol=0.3, angle_tol=5, primitive_cell=True)
    chosen: list[tuple[float, str, Structure]] = []
    for energy, origin, structure in sorted(ranked, key=lambda item: item[0]):
        if len(chosen) >= n:
            break
        primitive = structure.get_primitive_structure(tolerance=0.05)
        if any(abs(energy - e) < 0.01 and matcher.fit(primitive, other) for e, _, other in chosen):
            continue
        chosen.append((energy, origin, primitive))
    return chosen


def _distinct(arrangements: Sequence[_Arrangement]) -> Iterator[_Arrangement]:
    """The arrangements, lowest soft-sphere energy first, without the copies that relaxed into one another (relaxed
    copies of one arrangement share its energy: structures are compared only within 0.01 eV per formula unit)."""
    matcher = StructureMatcher(ltol=0.3, stol=0.4, angle_tol=8, primitive_cell=True, attempt_supercell=True)
    seen: list[tuple[float, Structure]] = []
    for arrangement in sorted(arrangements, key=lambda a: a.energy_per_fu_ev):
        points = arrangement.point_charges().get_primitive_structure(tolerance=0.05)
        energy = arrangement.energy_per_fu_ev
        if any(abs(energy - e) < 0.01 and matcher.fit(points, other) for e, other in seen):
            continue
        seen.append((energy, points))
        yield arrangement


def _hit(energy_ev: float, structure: Structure, origin: str) -> SearchHit:
    analyzer = SpacegroupAnalyzer(structure, symprec=0.05)
    return SearchHit(
        energy_per_atom_ev=energy_ev / len(structure),
        structure=structure,
        space_group=analyzer.get_space_group_symbol(),
        space_group_number=analyzer.get_space_group_number(),
        origin=origin,
    )


def search_key(spec: SearchSpec, relax_key: str) -> str:
    """The cache key of a search: its spec and the caller's name for the relaxation (energy source id and
    settings)."""
    payload = json.dumps({"spec": spec.key_payload(), "relax": relax_key}, sort_keys=True, default=str)
    return f"search-{spec.formula}-{hashlib.sha256(payload.encode()).hexdigest()[:20]}"


def search(
    spec: SearchSpec,
    relax: RelaxFunction,
    relax_key: str,
    cache_dir: Path | None = None,
    screen: RelaxFunction | None = None,
) -> SearchResult:
    """Generate the candidates of `spec`, relax each with `relax`, keep the `n_kept` lowest distinct ones.

    With `spec.n_screened` above `spec.n_relaxed`, `screen` (a short relaxation: a few optimizer steps) first relaxes
    the `n_screened` lowest generated candidates, and only the `n_relaxed` lowest distinct ones after it are relaxed
    fully, from where the screen left them; isotypes are always relaxed fully. `relax_key` names the relaxations
    (energy source id and settings, the screen's too) in the cache key: two searches with the same spec and key give
    the same result, so the second is read from `cache_dir` (default `search_cache_dir()`). Each relaxed candidate
    is cached too, so a killed search resumes where it stopped.
    """
    screening = spec.n_screened > spec.n_relaxed
    if screening and screen is None:
        raise StructureSearchError(f"n_screened={spec.n_screened} asks for a screen relaxation; none was passed")
    directory = Path(cache_dir) if cache_dir is not None else search_cache_dir()
    key = search_key(spec, relax_key)
    path = directory / f"{key}.json"
    if path.is_file():
        logger.info("search %s from the cache", key)
        return json.loads(path.read_text(), cls=MontyDecoder)
    start = time.perf_counter()
    candidates = generate_candidates(spec)
    # a candidate's relaxation depends neither on how many others are relaxed nor on the isotypes beside it (each
    # candidate file is named by the structure too): a larger search, or one with isotypes added, reuses a smaller one's
    candidate_key = search_key(replace(spec, n_relaxed=0, n_screened=0, n_kept=0, isotypes=()), relax_key)
    candidates_dir = directory / "candidates"
    rejected = n_screened = 0
    if screening:
        isotypes, generated = candidates[: len(spec.isotypes)], candidates[len(spec.isotypes) :]
        screened = [_relaxed_hit(candidates_dir, f"{candidate_key}-screen", screen, *c) for c in generated]
        rejected += sum(hit is None for hit in screened)
        n_screened = len(generated)
        lowest = _distinct_lowest([hit for hit in screened if hit is not None], spec.n_relaxed)
        candidates = isotypes + [(hit.origin, hit.structure) for hit in lowest]
    hits: list[SearchHit] = []
    for origin, structure in candidates:
        hit = _relaxed_hit(candidates_dir, candidate_key, relax, origin, structure)
        if hit is None:
            rejected += 1
            continue
        hits.append(hit)
        logger.info("%s %s: %.4f eV/atom, %s", spec.formula, origin, hit.energy_per_atom_ev, hit.space_group)
    result = SearchResult(
        formula=spec.formula,
        hits=_distinct_lowest(hits, spec.n_kept),
        n_generated=spec.n_generated,
        n_relaxed=len(candidates),
        n_rejected=rejected,
        seconds=time.perf_counter() - start,
        cache_key=key,
        spec=spec.key_payload(),
        n_screened=n_screened,
    )
    write_json_atomically(path, result)
    return result


def _relaxed_hit(
    directory: Path, key: str, relax: RelaxFunction, origin: str, structure: Structure
) -> SearchHit | None:
    """`relax` of one candidate, from its cache file (`key` and the structure's fingerprint) when it has one, so
    that a killed search resumes; None when the relaxation was rejected."""
    path = directory / f"{key}-{_fingerprint(structure)}.json"
    if path.is_file():
        return json.loads(path.read_text(), cls=MontyDecoder)["hit"]
    outcome = relax(structure)
    hit = None if outcome is None else _hit(outcome[0], outcome[1], origin)
    write_json_atomically(path, {"hit": hit})
    return hit


def _distinct_lowest(hits: Sequence[SearchHit], n: int) -> list[SearchHit]:
    """The n lowest hits, each a different structure (StructureMatcher) from those before it."""
    matcher = StructureMatcher(ltol=0.2, stol=0.3, angle_tol=5, primitive_cell=True)
    kept: list[SearchHit] = []
    for hit in sorted(hits, key=lambda h: h.energy_per_atom_ev):
        if len(kept) >= n:
            break
        same = (
            abs(hit.energy_per_atom_ev - other.energy_per_atom_ev) < 2e-3
            and matcher.fit(hit.structure, other.structure)
            for other in kept
        )
        if any(same):
            continue
        kept.append(hit)
    return kept
