"""Complete phase sets: the phases a solid-state chemist would consider for a host + additive system.

The path solver can only choose among phases it knows, so a chemical system gets the library's phases of its
elements plus candidates generated from every prototype of `structures.substitution.PROTOTYPES`, each site
filled with the system's elements that fit its role (hydrides of metals the library has none for, diborides,
antifluorite Mg2X, Laves AB2 between the host's and the additive's metals). A prototype added there with the
existing roles takes part without a change here. Materials Project phases join when a client is given.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from itertools import product

from pymatgen.core import Composition, Element

from structures.errors import SubstitutionError
from structures.library import PhaseLibrary, default_library
from structures.materials_project import MaterialsProjectStructures
from structures.phase import Phase
from structures.substitution import PROTOTYPES, Prototype, SiteRole, substitute

logger = logging.getLogger(__name__)

GROUP_14 = frozenset({"Si", "Ge", "Sn", "Pb"})
NON_METALS = frozenset({"H", "B", "C", "N", "O", "Si", "Ge", "P", "S"})


def elements_of(*formulas: str) -> set[str]:
    """All element symbols of some formulas."""
    return {el.symbol for f in formulas for el in Composition(f)}


def _metals(elements: Iterable[str]) -> list[str]:
    return sorted(e for e in elements if Element(e).is_metal and e not in NON_METALS)


def _role_members(role: SiteRole, elements: set[str], host_metals: set[str], known: set[str]) -> list[str]:
    """The elements of a system that may take a site of this role, sorted."""
    metals = _metals(elements)
    binaries = [Composition(f) for f in known if len(Composition(f)) == 2]
    hydrided = {el.symbol for c in binaries if Element("H") in c for el in c}
    non_alkali = [m for m in metals if Element(m).group != 1]
    members = {
        SiteRole.METAL_WITHOUT_HYDRIDE: [m for m in metals if m not in hydrided],
        SiteRole.NON_ALKALI_METAL_WITHOUT_HYDRIDE: [m for m in non_alkali if m not in hydrided],
        SiteRole.NON_ALKALI_METAL: non_alkali,
        SiteRole.HOST_METAL: [m for m in non_alkali if m in host_metals],
        SiteRole.GROUP_14: sorted(GROUP_14 & elements),
    }
    return members[role]


def _substitutions(
    prototype: Prototype, elements: set[str], host_metals: set[str], known: set[str]
) -> list[dict[str, str]]:
    """Every filling of the prototype's sites by elements of their roles (distinct elements, both ways if asked)."""
    if not set(prototype.requires) <= elements:
        return []
    sites = list(prototype.roles)
    choices = [_role_members(prototype.roles[site], elements, host_metals, known) for site in sites]
    mappings = []
    for chosen in product(*choices):
        if len(set(chosen)) == len(chosen):
            mappings.append(dict(zip(sites, chosen, strict=True)))
            if prototype.both_ways:
                mappings.append(dict(zip(sites, reversed(chosen), strict=True)))
    return mappings


def generated_candidates(elements: set[str], host_metals: set[str], library: PhaseLibrary) -> list[Phase]:
    """Prototype-built phases of a chemical system that the library does not list by formula. A formula the
    library knows is not guessed again; polymorphs of a new one (C15 and C14 MgAl2) all compete."""
    known = {p.composition.reduced_formula for p in library.in_chemical_system(elements)}
    phases: dict[str, Phase] = {}
    for prototype in PROTOTYPES.values():
        for mapping in _substitutions(prototype, elements, host_metals, known):
            mapping = {old: new for old, new in mapping.items() if old != new}
            if not mapping:
                continue  # the parent itself
            try:
                phase = substitute(library.get(prototype.parent), mapping, prototype.name)
            except SubstitutionError as error:
                logger.info("no %s candidate for %s: %s", prototype.name, mapping, error)
                continue
            if phase.formula not in known:
                phases.setdefault(phase.name, phase)
    return list(phases.values())


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
