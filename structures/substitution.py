"""Phases no table lists: substitution of elements into a prototype taken from the library.

A prototype is a library phase with a known structure type (Mg2Si for antifluorite Mg2X, MgB2 for
AlB2-type MB2, ...). Substituting keeps the fractional coordinates and scales the cell by the change
in elemental molar volume (Zen's law of additive volumes), a starting point that relaxation refines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from pymatgen.core import Composition, Element
from scipy.constants import Avogadro, angstrom, centi

from structures.crystallography import CrystalSpec, LatticeParameters, WyckoffSite
from structures.errors import SubstitutionError
from structures.library import PhaseLibrary, default_library
from structures.phase import Phase

_CM3_TO_A3 = (centi / angstrom) ** 3


class SiteRole(StrEnum):
    """Which elements of a chemical system candidate generation puts on a prototype's site."""

    METAL_WITHOUT_HYDRIDE = "metal without a binary hydride in the library"  # rocksalt MH: alkali metals too
    NON_ALKALI_METAL_WITHOUT_HYDRIDE = "non-alkali metal without a binary hydride in the library"  # MH2 types
    NON_ALKALI_METAL = "non-alkali metal"  # alkali metals form no MB2 or Laves phases
    HOST_METAL = "non-alkali metal of the host"
    GROUP_14 = "group-14 element (Si, Ge, Sn, Pb)"


@dataclass(frozen=True)
class Prototype:
    """A structure type, defined by a library phase that has it (`parent`), and the role of each of its elements
    that candidate generation replaces (`roles`: parent element -> role); the other elements stay. `requires`
    names elements a chemical system must hold for the prototype to be tried, and `both_ways` puts each pair of
    elements of a two-role prototype on both sites (A on the A site and on the B site of AB2)."""

    name: str
    parent: str
    description: str
    tags: tuple[str, ...]
    roles: dict[str, SiteRole] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    both_ways: bool = False


PROTOTYPES: dict[str, Prototype] = {
    p.name: p
    for p in (
        Prototype("antifluorite", "Mg2Si", "anti-CaF2 A2X (Fm-3m), e.g. Mg2Si, Mg2Ge, Mg2Sn", ("intermetallic",),
                  {"Si": SiteRole.GROUP_14}, requires=("Mg",)),
        Prototype("AlB2", "MgB2", "AlB2-type MB2 (P6/mmm), e.g. MgB2, AlB2, TiB2, CrB2", ("boride",),
                  {"Mg": SiteRole.NON_ALKALI_METAL}, requires=("B",)),
        Prototype("C15", "MgCu2", "cubic Laves AB2 (MgCu2-type, Fd-3m)", ("intermetallic",),
                  {"Mg": SiteRole.HOST_METAL, "Cu": SiteRole.NON_ALKALI_METAL}, both_ways=True),
        Prototype("C14", "MgZn2", "hexagonal Laves AB2 (MgZn2-type, P6_3/mmc)", ("intermetallic",),
                  {"Mg": SiteRole.HOST_METAL, "Zn": SiteRole.NON_ALKALI_METAL}, both_ways=True),
        Prototype("rocksalt", "LiH", "NaCl-type MH (Fm-3m), e.g. LiH, NaH, KH", ("hydride",),
                  {"Li": SiteRole.METAL_WITHOUT_HYDRIDE}, requires=("H",)),
        Prototype("rutile", "MgH2", "rutile-type MH2 (P4_2/mnm), e.g. MgH2", ("hydride",),
                  {"Mg": SiteRole.NON_ALKALI_METAL_WITHOUT_HYDRIDE}, requires=("H",)),
        Prototype("fluorite", "YH2", "CaF2-type MH2 (Fm-3m), e.g. TiH2, YH2, LaH2", ("hydride",),
                  {"Y": SiteRole.NON_ALKALI_METAL_WITHOUT_HYDRIDE}, requires=("H",)),
    )
}  # fmt: skip


def atomic_volume_a3(symbol: str) -> float:
    """Volume per atom of the element's standard solid (pymatgen's molar volume), in cubic angstrom."""
    element = Element(symbol)
    if element.molar_volume is None:
        raise SubstitutionError(f"no molar volume is known for {symbol}, so a cell cannot be scaled for it")
    return float(element.molar_volume) * _CM3_TO_A3 / Avogadro


def _check_mapping(parent: Phase, mapping: dict[str, str]) -> None:
    present = {el.symbol for el in parent.composition}
    for old, new in mapping.items():
        for symbol in (old, new):
            if not Element.is_valid_symbol(symbol):
                raise SubstitutionError(f"{symbol!r} is not an element of the periodic table")
        if old not in present:
            raise SubstitutionError(f"{parent.name} has no {old} to replace (it holds {', '.join(sorted(present))})")
        if "H" in (old, new):
            raise SubstitutionError("hydrogen cannot be substituted: the prototype fixes the hydrogen content")
    if len(set(mapping.values()) | (present - set(mapping))) < len(present):
        raise SubstitutionError(f"substitution {mapping} merges two sites of {parent.name} into one element")


def substitute(parent: Phase, mapping: dict[str, str], prototype: str = "") -> Phase:
    """A generated phase: `parent` with elements replaced as `mapping` says, cell scaled by atomic volumes."""
    if not isinstance(parent.recipe, CrystalSpec):
        raise SubstitutionError(f"{parent.name} is not described by crystallographic data; cannot substitute into it")
    _check_mapping(parent, mapping)
    spec = parent.recipe
    conventional = spec.build_conventional()
    volume_change_a3 = sum(
        atomic_volume_a3(mapping[site.specie.symbol]) - atomic_volume_a3(site.specie.symbol)
        for site in conventional
        if site.specie.symbol in mapping
    )
    ratio = (conventional.volume + volume_change_a3) / conventional.volume
    if ratio <= 0.3:
        raise SubstitutionError(f"substitution {mapping} into {parent.name} would shrink the cell to {ratio:.0%}")
    scale = ratio ** (1 / 3)
    lattice = spec.lattice
    new_spec = replace(
        spec,
        lattice=LatticeParameters(
            lattice.a_a * scale,
            None if lattice.b_a is None else lattice.b_a * scale,
            None if lattice.c_a is None else lattice.c_a * scale,
            lattice.alpha_deg,
            lattice.beta_deg,
            lattice.gamma_deg,
        ),
        sites=tuple(WyckoffSite(mapping.get(s.species, s.species), s.wyckoff, s.coords) for s in spec.sites),
    )
    formula = Composition(
        {mapping.get(el.symbol, el.symbol): amount for el, amount in parent.composition.items()}
    ).reduced_formula
    kind = prototype or f"{parent.name}-type"
    family = PROTOTYPES[prototype].tags if prototype in PROTOTYPES else parent.tags
    recipe_text = ", ".join(f"{old}->{new}" for old, new in mapping.items())
    return Phase(
        name=f"{formula}-{kind}",
        formula=formula,
        recipe=new_spec,
        source=f"generated: prototype {kind} ({parent.name}, {parent.source}) with substitution {recipe_text}; "
        f"cell scaled by elemental atomic volumes (x{scale:.3f} in length)",
        tags=tuple(dict.fromkeys(("generated", *(t for t in family if t not in ("element", "imported"))))),
        space_group=parent.space_group,
        note="generated starting structure: relax it before use",
    )


def substitute_series(
    prototype: str, replaced: str, elements: Iterable[str], library: PhaseLibrary | None = None
) -> list[Phase]:
    """One generated phase per element put on the sites of `replaced` in a named prototype.

    Example: `substitute_series("antifluorite", "Si", ["Ge", "Sn", "Pb"])` gives Mg2Ge, Mg2Sn, Mg2Pb.
    """
    if prototype not in PROTOTYPES:
        raise SubstitutionError(f"unknown prototype {prototype!r}; known: {', '.join(PROTOTYPES)}")
    parent = (library or default_library()).get(PROTOTYPES[prototype].parent)
    return [substitute(parent, {replaced: element}, prototype) for element in elements]
