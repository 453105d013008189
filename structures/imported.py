"""Phases from outside the library: the user's CIF or POSCAR files, and stored structures."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from monty.json import MSONable
from pymatgen.core import Element, Structure

from structures.errors import StructureImportError
from structures.phase import Phase

MIN_DISTANCE_A = 0.5  # no two atoms of a solid or molecule here come closer (H-H in H2: 0.74 A)


@dataclass(frozen=True)
class StructureSnapshot(MSONable):
    """A recipe that is a finished structure (from a file or a database); `build` returns a copy."""

    structure: Structure

    def build(self) -> Structure:
        """A copy, so that callers may relax or decorate it freely."""
        return self.structure.copy()


def ordered_structure(structure: Structure, origin: str) -> Structure:
    """The structure if every site is fully occupied by one element; a clear error otherwise."""
    if not structure.is_ordered:
        raise StructureImportError(
            f"{origin} has partially occupied sites ({structure.composition.formula}); build an ordered model "
            "first (e.g. pymatgen's OrderDisorderedStructureTransformation) and import that"
        )
    if len(structure) == 0:
        raise StructureImportError(f"{origin} holds no atoms")
    unknown = sorted({str(sp) for sp in structure.species if not Element.is_valid_symbol(getattr(sp, "symbol", ""))})
    if unknown:
        raise StructureImportError(f"{origin} has species that are not elements: {', '.join(unknown)}")
    if len(structure) > 1:
        distances = structure.distance_matrix + np.eye(len(structure)) * 1e9
        i, j = np.unravel_index(np.argmin(distances), distances.shape)
        if distances[i, j] < MIN_DISTANCE_A:
            raise StructureImportError(
                f"{origin} has overlapping atoms: sites {i} ({structure[i].species_string}) and {j} "
                f"({structure[j].species_string}) are {distances[i, j]:.2f} A apart"
            )
    return structure


def read_structure(path: str | Path) -> Structure:
    """The first structure of a CIF, POSCAR/CONTCAR or any file pymatgen reads, checked to be ordered."""
    path = Path(path)
    if not path.is_file():
        raise StructureImportError(f"no such structure file: {path}")
    try:
        structure = Structure.from_file(path)
    except Exception as exc:  # pymatgen raises many types for unreadable files
        raise StructureImportError(f"{path} holds no readable structure ({exc})") from exc
    return ordered_structure(structure, str(path))


def phase_from_file(path: str | Path, name: str | None = None, tags: tuple[str, ...] = ()) -> Phase:
    """A phase built from a user's structure file; the source names the file and its SHA-256."""
    path = Path(path)
    structure = read_structure(path)
    formula = structure.composition.reduced_formula
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return Phase(
        name=name or f"{formula}-{path.stem}",
        formula=formula,
        recipe=StructureSnapshot(structure),
        source=f"imported from {path.name} (sha256 {digest})",
        tags=("imported", *tags),
    )
