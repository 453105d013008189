"""A named phase: what it is (formula, tags), how to build it, and where the numbers come from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from monty.json import MSONable
from pymatgen.core import Composition, Structure

from structures.crystallography import CrystalSpec, LatticeParameters

TAGS = frozenset(
    {
        "element",
        "molecule",
        "hydride",
        "complex-hydride",
        "boride",
        "nitride",
        "silicide",
        "germanide",
        "intermetallic",
        "alloy",
        "generated",
        "searched",
        "imported",
        "materials-project",
        "model",
    }
)


@runtime_checkable
class StructureRecipe(Protocol):
    """Anything that builds a structure: crystallographic data, a molecule, a generator, a file."""

    def build(self) -> Structure: ...


@dataclass(frozen=True)
class Phase(MSONable):
    """A phase of the library. `space_group` is the symmetry of the model that `build` returns;
    `experimental_space_group` differs from it only where the model orders a disordered structure."""

    name: str
    formula: str
    recipe: StructureRecipe
    source: str
    tags: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    space_group: str = ""
    experimental_space_group: str = ""
    temperature_k: float | None = None
    note: str = ""
    material_id: str = ""  # the Materials Project id of this polymorph, where one is known
    source_check: str = ""  # how `source` was checked against an independent one; "unverified: ..." when it was not

    def __post_init__(self) -> None:
        unknown = set(self.tags) - TAGS
        if unknown:
            raise ValueError(f"{self.name}: unknown tags {sorted(unknown)}; known: {sorted(TAGS)}")

    def build(self) -> Structure:
        """The structure to compute (primitive cell for crystals)."""
        return self.recipe.build()

    @property
    def composition(self) -> Composition:
        """The reduced composition of the phase."""
        return Composition(self.formula).reduced_composition

    @property
    def experimental_lattice(self) -> LatticeParameters | None:
        """Measured conventional-cell parameters, or None for generated, searched and imported phases (a searched
        phase's cell is the relaxed result of a structure search, not a measurement)."""
        if isinstance(self.recipe, CrystalSpec) and not {"generated", "searched"} & set(self.tags):
            return self.recipe.lattice
        return None

    @property
    def is_molecule(self) -> bool:
        """True for an isolated molecule in a box (no lattice to compare, no space group to check)."""
        return "molecule" in self.tags
