"""Phases and energies from the Materials Project: every material of a chemical system (or one material id)
with its relaxed structure and MP's energies, fetched once through mp-api and kept in a local JSON cache, so
that compute nodes without internet reuse what a login node fetched.

What is asked of the server: `GET /heartbeat` (by `MPRester` itself, for the server's and the database's
versions; twice per endpoint and process, then cached by mp-api) and one `GET /materials/thermo/` per query
(`chemsys=...` or `material_ids=...`, one thermo type, a fixed field list). The thermo documents carry all
that is needed here: MP's corrected and uncorrected energies, formation energy, energy above hull, and the
`ComputedStructureEntry` (relaxed structure, energy adjustments, run type, POTCARs) the energies belong to.
`get_entries_in_chemsys` is not used: it reads pre-built phase diagrams from MP's S3 buckets (boto3 and
deltalake), which neither a mirror nor a test stand-in can serve.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monty.json import MSONable
from pymatgen.core import Element, Structure

from structures.cache_files import cache_root, write_json_atomically
from structures.errors import FormulaError, MaterialsProjectError
from structures.imported import StructureSnapshot, ordered_structure
from structures.phase import Phase

if TYPE_CHECKING:  # pymatgen's entries pull its compatibility schemes (1.5 s of import): only when MP is asked
    from pymatgen.entries.computed_entries import ComputedStructureEntry

logger = logging.getLogger(__name__)

CACHE_FORMAT = 1
"""Version of the cache files' layout; a file of another version is refused rather than misread."""

THERMO_TYPES = ("GGA_GGA+U", "GGA_GGA+U_R2SCAN", "R2SCAN")
"""MP's thermo types: which functionals' energies, and which correction or mixing scheme, a document holds."""

SPACE_GROUP_SYMPREC = 0.01
"""The tolerance `structures.checks` uses, so that a phase passes its own space-group check."""

_FIELDS = (
    "material_id",
    "formula_pretty",
    "deprecated",
    "thermo_type",
    "energy_type",
    "energy_per_atom",
    "uncorrected_energy_per_atom",
    "formation_energy_per_atom",
    "energy_above_hull",
    "is_stable",
    "entries",
)
"""Thermo-document fields asked for; the structure comes with the entry its energies belong to."""

_MATERIAL_ID = re.compile(r"^[a-z]+-[a-z0-9]+$")
_CLASSIC_MATERIAL_ID = re.compile(r"^[a-z]+-[0-9]+$")
_HULL_TOLERANCE_EV_PER_ATOM = 1e-9


def default_cache_dir() -> Path:
    """The Materials Project answers' folder inside `cache_root()`."""
    return cache_root() / "materials_project"


def chemical_system(elements: Iterable[str] | str) -> tuple[str, ...]:
    """The distinct element symbols of a query, sorted: 'Mg-H', ['H', 'Mg'] and ['Mg', 'H', 'Mg'] all
    give ('H', 'Mg'). Anything that is not an element symbol is a FormulaError."""
    symbols = elements.split("-") if isinstance(elements, str) else list(elements)
    distinct = {str(symbol).strip() for symbol in symbols}
    unknown = sorted(s for s in distinct if not Element.is_valid_symbol(s))
    if unknown:
        raise FormulaError(f"not element symbols: {', '.join(repr(s) for s in unknown)} (in {elements!r})")
    if not distinct:
        raise FormulaError("a chemical system needs at least one element")
    return tuple(sorted(distinct))


def subsystems(elements: tuple[str, ...]) -> list[str]:
    """Every chemical subsystem, smallest first: ('H', 'Mg') gives ['H', 'Mg', 'H-Mg']."""
    return ["-".join(combo) for size in range(1, len(elements) + 1) for combo in combinations(elements, size)]


def legacy_material_id(material_id: str) -> str:
    """MP's id in its classic form (`mp-153`), also for the newer alpha form (`mp-aaaaaafx`) the API may
    send; ids emmet-core cannot read, and ids without a classic form, come back unchanged."""
    if _CLASSIC_MATERIAL_ID.match(material_id):
        return material_id  # the common case, without importing emmet-core (most of a second)
    try:
        from emmet.core.types.typing import format_identifier
    except ImportError:  # older emmet-core: every id is still in the classic form
        return material_id
    return str(format_identifier(material_id, legacy=True))


def _checked_material_id(material_id: str) -> str:
    normalized = legacy_material_id(material_id.strip())
    if not _MATERIAL_ID.match(normalized):
        raise MaterialsProjectError(f"{material_id!r} is not a Materials Project id (such as 'mp-23710')")
    return normalized


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class MaterialsProjectRecord(MSONable):
    """One Materials Project material: its relaxed structure and MP's energies (eV/atom) for one thermo
    type. `entry` is MP's `ComputedStructureEntry` these energies come from (structure, uncorrected energy,
    energy adjustments, run type, POTCARs), kept whole so that it can be rebuilt as MP served it."""

    material_id: str
    formula: str
    structure: Structure
    energy_per_atom_ev: float
    uncorrected_energy_per_atom_ev: float
    formation_energy_per_atom_ev: float | None
    energy_above_hull_ev_per_atom: float
    database_version: str
    fetched_at: str
    thermo_type: str = ""
    run_type: str = ""
    entry: ComputedStructureEntry | None = None

    @classmethod
    def from_document(cls, document: dict[str, Any], database_version: str, fetched_at: str) -> MaterialsProjectRecord:
        """A record from one thermo document as the API sends it (a plain JSON dict)."""
        material_id = legacy_material_id(str(document["material_id"]))
        run_type = str(document.get("energy_type") or "")
        entries = document.get("entries") or {}
        raw_entry = entries.get(run_type) or next(iter(entries.values()), None)
        if raw_entry is None:
            raise MaterialsProjectError(f"the Materials Project document of {material_id} holds no computed entry")
        from pymatgen.entries.computed_entries import ComputedStructureEntry

        entry = ComputedStructureEntry.from_dict(raw_entry)
        structure = ordered_structure(entry.structure, f"Materials Project {material_id}")
        formation = document.get("formation_energy_per_atom")
        return cls(
            material_id=material_id,
            formula=structure.composition.reduced_formula,
            structure=structure,
            energy_per_atom_ev=float(document["energy_per_atom"]),
            uncorrected_energy_per_atom_ev=float(document["uncorrected_energy_per_atom"]),
            formation_energy_per_atom_ev=None if formation is None else float(formation),
            energy_above_hull_ev_per_atom=float(document["energy_above_hull"]),
            database_version=database_version,
            fetched_at=fetched_at,
            thermo_type=str(document.get("thermo_type") or ""),
            run_type=run_type or str(entry.parameters.get("run_type", "")),
            entry=entry,
        )


def record_to_phase(record: MaterialsProjectRecord) -> Phase:
    """The library phase of a record: named `{formula}-{material_id}`, built from MP's relaxed structure."""
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    space_group = SpacegroupAnalyzer(record.structure, symprec=SPACE_GROUP_SYMPREC).get_space_group_symbol()
    return Phase(
        name=f"{record.formula}-{record.material_id}",
        formula=record.formula,
        recipe=StructureSnapshot(record.structure),
        source=(
            f"Materials Project {record.material_id} "
            f"(database version {record.database_version}, fetched {record.fetched_at})"
        ),
        tags=("materials-project",),
        space_group=space_group,
        material_id=record.material_id,
        note=(
            f"MP {record.thermo_type or '?'} energies ({record.run_type or '?'} entry); "
            f"{record.energy_above_hull_ev_per_atom:.3f} eV/atom above MP's hull"
        ),
    )


@dataclass
class MaterialsProjectStructures:
    """Materials and phases from the Materials Project, through a local cache.

    Every answer of the server is written to `cache_dir` (one JSON file per chemical-system query and per
    material id) before it is returned; the same query later reads that file and never touches the network,
    with or without an API key. Delete a file to fetch its query again.
    """

    api_key: str | None = field(default=None, repr=False)
    """The MP API key; None reads `MP_API_KEY` when a query has to go to the server."""
    cache_dir: Path = field(default_factory=default_cache_dir)
    endpoint: str | None = None
    """Passed to `MPRester(endpoint=...)`: a mirror, or a test stand-in; None is MP's public API."""
    thermo_type: str = "GGA_GGA+U"
    """GGA/GGA+U with MP2020 corrections by default: each entry's correction depends on that entry alone, so
    energies from separate queries share one scale. The mixed r2SCAN types are anchored to the hull of each
    subsystem and do not (see mp-api's note on its issue #1104)."""

    def __post_init__(self) -> None:
        self.cache_dir = Path(self.cache_dir).expanduser()
        if self.thermo_type not in THERMO_TYPES:
            raise ValueError(f"unknown thermo type {self.thermo_type!r}; known: {', '.join(THERMO_TYPES)}")

    # --- records -------------------------------------------------------------------------------------------

    def records_in_chemical_system(
        self, elements: Iterable[str] | str, max_energy_above_hull_ev_per_atom: float | None = 0.1
    ) -> list[MaterialsProjectRecord]:
        """Every material of the chemical system and all its subsystems (Mg-H: Mg, H2, MgH2, ...) at most
        `max_energy_above_hull_ev_per_atom` above MP's hull (None: all). The cache holds the whole system,
        so another threshold reads the same file."""
        elements = chemical_system(elements)
        system = "-".join(elements)
        path = self.cache_dir / "chemsys" / f"{system}.{self.thermo_type}.json"
        records = self._read_cache(path)
        if records is None:
            what = f"chemical system {system}"
            documents, version = self._fetch_documents(what, chemsys=subsystems(elements))
            if not documents:
                raise MaterialsProjectError(f"the Materials Project answered no materials for {what}")
            records = self._store(path, {"chemsys": system}, documents, version)
        return [
            r
            for r in records
            if max_energy_above_hull_ev_per_atom is None
            or r.energy_above_hull_ev_per_atom <= max_energy_above_hull_ev_per_atom + _HULL_TOLERANCE_EV_PER_ATOM
        ]

    def record(self, material_id: str) -> MaterialsProjectRecord:
        """One material by its MP id; a cached chemical system that holds it answers too."""
        material_id = _checked_material_id(material_id)
        path = self.cache_dir / "materials" / f"{material_id}.{self.thermo_type}.json"
        records = self._read_cache(path)
        if records is None:
            records = self._cached_in_a_chemical_system(material_id)
        if records is None:
            documents, version = self._fetch_documents(material_id, material_ids=[material_id])
            if not documents:
                raise MaterialsProjectError(
                    f"the Materials Project has no {self.thermo_type} data for {material_id}; "
                    "is the id right (https://materialsproject.org/materials)?"
                )
            records = self._store(path, {"material_id": material_id}, documents, version)
        matching = [r for r in records if r.material_id == material_id]
        if not matching:
            raise MaterialsProjectError(f"the Materials Project answered for {material_id} with other materials")
        return matching[0]

    # --- phases --------------------------------------------------------------------------------------------

    def phases_in_chemical_system(
        self, elements: Iterable[str] | str, max_energy_above_hull_ev_per_atom: float | None = 0.1
    ) -> list[Phase]:
        """The records of a chemical system as library phases (see `records_in_chemical_system`)."""
        records = self.records_in_chemical_system(elements, max_energy_above_hull_ev_per_atom)
        return [record_to_phase(r) for r in records]

    def phase(self, material_id: str) -> Phase:
        """One material as a library phase, e.g. `MgH2-mp-23710`."""
        return record_to_phase(self.record(material_id))

    # --- cache and network ---------------------------------------------------------------------------------

    def _read_cache(self, path: Path) -> list[MaterialsProjectRecord] | None:
        if not path.is_file():
            return None
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            if payload.get("format") != CACHE_FORMAT:
                raise ValueError(f"cache format {payload.get('format')!r}, expected {CACHE_FORMAT}")
            records = [MaterialsProjectRecord.from_dict(d) for d in payload["records"]]
        # A file cut short or edited by hand, another cache format, or classes another pymatgen names elsewhere.
        except (ValueError, KeyError, TypeError, AttributeError, ImportError) as exc:
            raise MaterialsProjectError(
                f"the cached Materials Project answer {path} is unreadable ({exc}); delete it to fetch it again"
            ) from exc
        logger.debug("Materials Project answer read from the cache %s", path)
        return records

    def _cached_in_a_chemical_system(self, material_id: str) -> list[MaterialsProjectRecord] | None:
        for path in sorted((self.cache_dir / "chemsys").glob(f"*.{self.thermo_type}.json")):
            if f'"{material_id}"' not in path.read_text(encoding="utf-8"):
                continue
            records = [r for r in self._read_cache(path) or [] if r.material_id == material_id]
            if records:
                return records
        return None

    def _store(
        self, path: Path, query: dict[str, str], documents: list[dict[str, Any]], database_version: str
    ) -> list[MaterialsProjectRecord]:
        fetched_at = _now_iso()
        records = sorted(
            (
                MaterialsProjectRecord.from_document(d, database_version, fetched_at)
                for d in documents
                if not d.get("deprecated", False)
            ),
            key=lambda r: (len(r.structure.composition), r.formula, r.energy_above_hull_ev_per_atom, r.material_id),
        )
        payload = {
            "format": CACHE_FORMAT,
            "query": {**query, "thermo_type": self.thermo_type},
            "endpoint": self.endpoint,
            "database_version": database_version,
            "fetched_at": fetched_at,
            "records": [r.as_dict() for r in records],
        }
        write_json_atomically(path, payload)
        logger.info("cached %d Materials Project records in %s", len(records), path)
        return records

    def _fetch_documents(self, what: str, **criteria: Any) -> tuple[list[dict[str, Any]], str]:
        """Thermo documents (plain dicts) matching `criteria`, and the database version that served them."""
        api_key = self.api_key or os.environ.get("MP_API_KEY")
        if not api_key:
            raise MaterialsProjectError(
                f"no cached Materials Project answer for {what} in {self.cache_dir}, and no API key to ask for "
                "one: set MP_API_KEY (a key from https://materialsproject.org/api), or run the same query on a "
                "machine with internet and copy its cache here (HYDRIDE_SCREEN_CACHE sets where the cache is)"
            )
        # Imported here: mp-api takes seconds to import, and cached answers never need it.
        import requests
        from mp_api.client import MPRester
        from mp_api.client.core.exceptions import MPRestError

        server = self.endpoint or "the Materials Project API"
        logger.info("asking %s for %s (%s)", server, what, self.thermo_type)
        try:
            with MPRester(
                api_key=api_key, endpoint=self.endpoint, use_document_model=False, mute_progress_bars=True
            ) as rester:
                documents = rester.materials.thermo.search(
                    thermo_types=[self.thermo_type], fields=list(_FIELDS), **criteria
                )
                database_version = rester.db_version or "unknown"
        # mp-api raises MPRestError for answers it understands; a refused connection or an answer that is not
        # the expected JSON (from its heartbeat call) comes through as requests', json's or a KeyError.
        except (MPRestError, requests.RequestException, ValueError, KeyError) as exc:
            raise MaterialsProjectError(f"{server} did not answer the query for {what}: {exc}") from exc
        return [dict(d) for d in documents], database_version
