"""Complete phase sets: the phases a solid-state chemist would consider for a host + additive system.

The path solver can only choose among phases it knows, so a chemical system gets the library's phases
of its elements plus generated candidates built from prototypes: hydrides of each metal that has none
in the library (rocksalt MH, fluorite and rutile MH2), AlB2-type diborides of metals with boron,
antifluorite Mg2X with group-14 elements, and Laves AB2 (C15, C14) between the host's and the
additive's metals. Materials Project phases can be added by the caller (`extra`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from pymatgen.core import Composition, Element

from structures.errors import SubstitutionError
from structures.library import PhaseLibrary, default_library
from structures.materials_project import MaterialsProjectStructures
from structures.phase import Phase
from structures.substitution import PROTOTYPES, substitute

logger = logging.getLogger(__name__)

GROUP_14 = frozenset({"Si", "Ge", "Sn", "Pb"})
NON_METALS = frozenset({"H", "B", "C", "N", "O", "Si", "Ge", "P", "S"})


def elements_of(*formulas: str) -> set[str]:
    """All element symbols of some formulas."""
    return {el.symbol for f in formulas for el in Composition(f)}


def _metals(elements: Iterable[str]) -> list[str]:
    return sorted(e for e in elements if Element(e).is_metal and e not in NON_METALS)


def _generate(prototype: str, mapping: dict[str, str], library: PhaseLibrary) -> Phase | None:
    try:
        return substitute(library.get(PROTOTYPES[prototype].parent), mapping, prototype)
    except SubstitutionError as error:
        logger.info("no %s candidate for %s: %s", prototype, mapping, error)
        return None


def generated_candidates(elements: set[str], host_metals: set[str], library: PhaseLibrary) -> list[Phase]:
    """Prototype-built phases of a chemical system that the library does not list by formula."""
    known = {p.composition.reduced_formula for p in library.in_chemical_system(elements)}
    wanted: list[tuple[str, dict[str, str]]] = []
    metals = _metals(elements)
    for metal in metals:
        alkali = Element(metal).group == 1  # alkali metals form MH, but no MH2, MB2 or Laves phases
        if "H" in elements and not any(metal in f and "H" in f and len(Composition(f)) == 2 for f in known):
            wanted.append(("rocksalt", {"Li": metal}))
            if not alkali:
                wanted += [("fluorite", {"Y": metal}), ("rutile", {"Mg": metal})]
        if "B" in elements and not alkali:
            wanted.append(("AlB2", {"Mg": metal}))
    if "Mg" in elements:
        wanted += [("antifluorite", {"Si": x}) for x in sorted(GROUP_14 & elements)]
    for a in sorted(m for m in host_metals & set(metals) if Element(m).group != 1):
        for b in metals:
            if b != a and Element(b).group != 1:
                wanted += [("C15", {"Mg": a, "Cu": b}), ("C15", {"Mg": b, "Cu": a})]
                wanted += [("C14", {"Mg": a, "Zn": b}), ("C14", {"Mg": b, "Zn": a})]
    phases, seen = [], set()
    for prototype, mapping in wanted:
        mapping = {old: new for old, new in mapping.items() if old != new}
        phase = _generate(prototype, mapping, library) if mapping else None
        # a formula the library knows is not guessed again; polymorphs of a new one (C15, C14) all compete
        if phase is not None and phase.formula not in known and phase.name not in seen:
            seen.add(phase.name)
            phases.append(phase)
    return phases


def phases_for_system(
    host: str,
    additive: str = "",
    library: PhaseLibrary | None = None,
    materials_project: MaterialsProjectStructures | None = None,
) -> list[Phase]:
    """Library phases of the host + additive elements, generated candidates, and, with a Materials
    Project client, every MP phase of the system (their structures; energies are recomputed)."""
    library = library or default_library()
    elements = elements_of(host, additive) if additive else elements_of(host)
    host_metals = set(_metals(elements_of(host)))
    phases = [p for p in library.in_chemical_system(elements) if "generated" not in p.tags]
    phases += generated_candidates(elements, host_metals, library)
    if materials_project is not None:
        phases += materials_project.phases_in_chemical_system(sorted(elements))
    return phases


def anode_phases(hydride: str, library: PhaseLibrary | None = None) -> list[Phase]:
    """The phases a conversion of `hydride` with lithium can form: its system with Li added."""
    return phases_for_system(hydride, "Li", library)
