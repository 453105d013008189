"""The registry of named phases: crystallographic data files in `structures/data/`, looked up by name,
alias or formula, extendable with generated and imported phases."""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from pymatgen.core import Composition

from structures.crystallography import CrystalSpec, LatticeParameters, MoleculeInBox, WyckoffSite
from structures.errors import CrystallographyError, FormulaError, UnknownPhaseError
from structures.phase import Phase

DATA_DIR = Path(__file__).parent / "data"

_LATTICE_KEYS = {"a": "a_a", "b": "b_a", "c": "c_a", "alpha": "alpha_deg", "beta": "beta_deg", "gamma": "gamma_deg"}


class PhaseLibrary:
    """Phases by name. Lookup accepts the name, an alias, or a formula that only one phase has."""

    def __init__(self, phases: Iterable[Phase] = ()) -> None:
        self._phases: dict[str, Phase] = {}
        self._aliases: dict[str, str] = {}
        for phase in phases:
            self.add(phase)

    def add(self, phase: Phase) -> None:
        """Register a phase; a name or alias that is already taken is an error, not an overwrite."""
        for key in (phase.name, *phase.aliases):
            if key in self._aliases:
                raise ValueError(f"phase name {key!r} is already taken by {self._aliases[key]!r}")
        self._phases[phase.name] = phase
        for key in (phase.name, *phase.aliases):
            self._aliases[key] = phase.name

    def get(self, name: str) -> Phase:
        """The phase of a name, alias or unambiguous formula; UnknownPhaseError names near misses."""
        if name in self._aliases:
            return self._phases[self._aliases[name]]
        by_formula = self._by_formula(name)
        if len(by_formula) == 1:
            return by_formula[0]
        if len(by_formula) > 1:
            names = ", ".join(p.name for p in by_formula)
            raise UnknownPhaseError(f"{name!r} is ambiguous: several library phases have that formula ({names})")
        close = difflib.get_close_matches(name, list(self._aliases), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `hydride-screen phases` lists the library"
        raise UnknownPhaseError(f"unknown phase {name!r}{hint}")

    def _by_formula(self, text: str) -> list[Phase]:
        try:
            wanted = Composition(text).reduced_composition
        except (ValueError, KeyError):
            return []
        return [p for p in self._phases.values() if p.composition.almost_equals(wanted)]

    def with_tag(self, tag: str) -> list[Phase]:
        """All phases carrying a tag such as 'complex-hydride'."""
        return [p for p in self._phases.values() if tag in p.tags]

    def in_chemical_system(self, elements: Iterable[str]) -> list[Phase]:
        """All phases whose elements are a subset of the given ones (the candidates of that system)."""
        allowed = set(elements)
        return [p for p in self._phases.values() if {el.symbol for el in p.composition} <= allowed]

    def __contains__(self, name: str) -> bool:
        return name in self._aliases

    def __iter__(self) -> Iterator[Phase]:
        return iter(self._phases.values())

    def __len__(self) -> int:
        return len(self._phases)


def phase_from_record(record: dict[str, Any], origin: str = "") -> Phase:
    """One `[[phase]]` table of a data file as a Phase; a missing or unknown key is an error naming it."""
    where = f"{origin}: phase {record.get('name', '?')!r}"
    known = {
        "name", "formula", "aliases", "tags", "space_group", "setting", "lattice", "sites", "molecule",
        "source", "source_check", "experimental_space_group", "temperature_k", "note",
    }  # fmt: skip
    unknown = set(record) - known
    if unknown:
        raise CrystallographyError(f"{where}: unknown keys {sorted(unknown)}")
    for key in ("name", "formula", "tags", "source"):
        if key not in record:
            raise CrystallographyError(f"{where}: missing key {key!r}")
    recipe: CrystalSpec | MoleculeInBox
    if "molecule" in record:
        recipe = MoleculeInBox(**record["molecule"])
        space_group = ""
    else:
        lattice = {_LATTICE_KEYS[k]: float(v) for k, v in record["lattice"].items()}
        sites = tuple(
            WyckoffSite(site["species"], site["wyckoff"], tuple(float(x) for x in site["coords"]))
            for site in record["sites"]
        )
        recipe = CrystalSpec(record["space_group"], LatticeParameters(**lattice), sites, record.get("setting", ""))
        space_group = record["space_group"]
    try:
        formula = Composition(record["formula"]).reduced_formula
    except ValueError as exc:
        raise FormulaError(f"{where}: cannot parse formula {record['formula']!r}") from exc
    return Phase(
        name=record["name"],
        formula=formula,
        recipe=recipe,
        source=record["source"],
        tags=tuple(record["tags"]),
        aliases=tuple(record.get("aliases", ())),
        space_group=space_group,
        experimental_space_group=record.get("experimental_space_group", ""),
        temperature_k=record.get("temperature_k"),
        note=record.get("note", ""),
        source_check=record.get("source_check", ""),
    )


def load_phases(path: Path) -> list[Phase]:
    """All phases of one TOML data file."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return [phase_from_record(record, path.name) for record in data.get("phase", [])]


@cache
def default_library() -> PhaseLibrary:
    """The library shipped with hydride-screen: every data file in `structures/data/`."""
    return PhaseLibrary(p for path in sorted(DATA_DIR.glob("*.toml")) for p in load_phases(path))


def get_phase(name: str) -> Phase:
    """A phase of the shipped library by name, alias or unambiguous formula."""
    return default_library().get(name)
