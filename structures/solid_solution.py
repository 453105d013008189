"""Ordered supercells of substitutional solid solutions, e.g. Mg(1-x)Al(x) in hcp Mg.

The solute atoms are placed by farthest-point sampling (each new solute as far as possible from those
already placed), a deterministic ordered model of a dilute random alloy; it is not a special
quasirandom structure, and the source of every generated phase says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from monty.json import MSONable
from pymatgen.core import Composition, Element, Structure

from structures.crystallography import CrystalSpec
from structures.errors import SubstitutionError
from structures.library import PhaseLibrary, default_library
from structures.phase import Phase


@dataclass(frozen=True)
class SolidSolutionRecipe(MSONable):
    """Host crystal, supercell, solute element and how many host atoms it replaces."""

    host: CrystalSpec
    supercell: tuple[int, int, int]
    host_element: str
    solute: str
    n_solute: int

    def build(self) -> Structure:
        """The supercell with `n_solute` host atoms replaced, solutes spread as far apart as possible."""
        structure = self.host.build()
        structure.make_supercell(list(self.supercell))
        host_sites = [i for i, site in enumerate(structure) if site.specie.symbol == self.host_element]
        chosen = [host_sites[0]]
        distances = structure.distance_matrix
        while len(chosen) < self.n_solute:
            remaining = [i for i in host_sites if i not in chosen]
            nearest = [min(distances[i, j] for j in chosen) for i in remaining]
            chosen.append(remaining[int(np.argmax(nearest))])
        for index in chosen:
            structure.replace(index, self.solute)
        return structure


def solid_solution(
    host: Phase, solute: str, fraction: float, max_atoms: int = 64, host_element: str | None = None
) -> Phase:
    """A generated ordered phase host(1-x)solute(x), in the smallest supercell of the host's primitive
    cell (up to `max_atoms`) where x is met exactly; x is rounded to a fraction with that denominator."""
    if not Element.is_valid_symbol(solute):
        raise SubstitutionError(f"{solute!r} is not an element of the periodic table")
    if not 0 < fraction < 1:
        raise SubstitutionError(f"solute fraction must lie strictly between 0 and 1, got {fraction}")
    if not isinstance(host.recipe, CrystalSpec):
        raise SubstitutionError(f"{host.name} is not described by crystallographic data")
    elements = [el.symbol for el in host.composition]
    host_element = host_element or (elements[0] if len(elements) == 1 else "")
    if host_element not in elements:
        raise SubstitutionError(f"name the element of {host.name} that {solute} replaces (one of {elements})")
    if solute in elements:
        raise SubstitutionError(f"{solute} is already in {host.name}; a solid solution needs a new element")
    primitive = host.recipe.build()
    per_cell = sum(1 for site in primitive if site.specie.symbol == host_element)
    supercell, n_solute = _smallest_supercell(fraction, per_cell, len(primitive), max_atoms)
    recipe = SolidSolutionRecipe(host.recipe, supercell, host_element, solute, n_solute)
    structure = recipe.build()
    formula = structure.composition.reduced_formula
    x = n_solute / (per_cell * int(np.prod(supercell)))
    return Phase(
        name=f"{formula}-ss",
        formula=Composition(formula).reduced_formula,
        recipe=recipe,
        source=f"generated: ordered solid solution {host.name}({host_element}1-x {solute}x), x = {x:.4g}, "
        f"{'x'.join(map(str, supercell))} supercell of {host.name} ({host.source}); solutes placed by "
        "farthest-point sampling (not an SQS)",
        tags=("generated", "alloy"),
        space_group="",
        note="generated starting structure: relax it before use",
    )


def _smallest_supercell(
    fraction: float, host_per_cell: int, atoms_per_cell: int, max_atoms: int
) -> tuple[tuple[int, int, int], int]:
    """The most compact diagonal supercell whose host sites can hold x = fraction, and the solute count."""
    shapes = sorted(
        {tuple(sorted((a, b, c), reverse=True)) for a in range(1, 5) for b in range(1, 5) for c in range(1, 5)},
        key=lambda s: (int(np.prod(s)), max(s) - min(s)),
    )
    target = Fraction(fraction).limit_denominator(max_atoms)
    for shape in shapes:
        n_cells = int(np.prod(shape))
        if n_cells * atoms_per_cell > max_atoms:
            continue
        sites = n_cells * host_per_cell
        n_solute = target * sites
        if n_solute.denominator == 1 and 0 < n_solute < sites:
            return shape, int(n_solute)
    raise SubstitutionError(
        f"x = {fraction} needs more than {max_atoms} atoms; choose x = k/n with n host atoms in a small supercell"
    )


def solid_solution_series(
    host: str, solute: str, fractions: tuple[float, ...] = (1 / 16, 1 / 8, 1 / 4), library: PhaseLibrary | None = None
) -> list[Phase]:
    """Ordered solid solutions of `solute` in a library host for a small set of compositions."""
    phase = (library or default_library()).get(host)
    return [solid_solution(phase, solute, x) for x in fractions]
