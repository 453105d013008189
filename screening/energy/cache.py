"""A cache of calculation results on disk, keyed by what determines them: the structure, the energy
source with its version, and the settings. Used for relaxations and phonons so that nothing is
computed twice; files are written atomically, so a killed run never leaves a half-written result."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
from monty.json import MontyDecoder, MSONable
from pymatgen.core import Structure

from structures.cache_files import cache_root, write_json_atomically

logger = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """The computed results' folder inside the project's cache root."""
    return cache_root() / "results"


def structure_fingerprint(structure: Structure, decimals: int = 4) -> str:
    """A hash of species, lattice and fractional coordinates rounded to `decimals` (order-independent)."""
    lattice = np.round(structure.lattice.matrix, decimals) + 0.0
    sites = sorted(
        (site.species_string, *np.round(np.mod(site.frac_coords, 1.0), decimals) % 1.0 + 0.0) for site in structure
    )
    payload = json.dumps({"lattice": lattice.tolist(), "sites": sites})
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def settings_fields(settings: Any) -> dict[str, Any]:
    """A settings dataclass as its field values only, so that a key does not change when the class moves."""
    return {f.name: getattr(settings, f.name) for f in fields(settings)}


def cache_key(kind: str, structure: Structure, energy_source_id: str, settings: dict[str, Any]) -> str:
    """The key of one calculation: kind (relax, phonons), formula, structure, model id and settings (field values,
    see `settings_fields`)."""
    payload = json.dumps(
        {
            "kind": kind,
            "formula": structure.composition.reduced_formula,
            "structure": structure_fingerprint(structure),
            "energy_source": energy_source_id,
            "settings": settings,
        },
        sort_keys=True,
        default=str,
    )
    return f"{kind}-{structure.composition.reduced_formula}-{hashlib.sha256(payload.encode()).hexdigest()[:24]}"


@dataclass
class ResultCache:
    """MSONable results as JSON files in one directory."""

    directory: Path

    def __post_init__(self) -> None:
        self.directory = Path(self.directory)

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def get(self, key: str, expected: type | tuple[type, ...] = object) -> Any | None:
        """The stored result of `key` if it is an `expected` object, else None. A file that cannot be read as one
        (cut short, emptied, edited, from another version) is reported, set aside as `<key>.json.damaged` and
        treated as missing, so the calculation is done again instead of breaking every later run."""
        path = self._path(key)
        if not path.is_file():
            return None
        try:
            stored = json.loads(path.read_text(), cls=MontyDecoder)
        except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError, ImportError) as error:
            return self._set_aside(path, f"unreadable ({type(error).__name__}: {error})")
        if not isinstance(stored, expected):
            return self._set_aside(
                path, f"holds a {type(stored).__name__}, not a {getattr(expected, '__name__', expected)}"
            )
        logger.debug("cache hit %s", key)
        return stored

    def _set_aside(self, path: Path, why: str) -> None:
        damaged = path.with_name(path.name + ".damaged")
        logger.warning("cache file %s is %s; moved to %s and computed again", path, why, damaged.name)
        with contextlib.suppress(OSError):
            path.replace(damaged)

    def put(self, key: str, result: MSONable) -> None:
        """Store a result atomically and synced to disk (temporary file, fsync, then rename). A cache that cannot
        be written (read-only, full) costs the reuse, not the result: it is reported and the run goes on."""
        try:
            write_json_atomically(self._path(key), result)
        except OSError as error:
            logger.warning("could not write %s to the cache in %s (%s); the result is used but not kept",
                           key, self.directory, error.strerror or error)  # fmt: skip

    def __contains__(self, key: str) -> bool:
        return self._path(key).is_file()

    def __len__(self) -> int:
        return sum(1 for _ in self.directory.glob("*.json")) if self.directory.is_dir() else 0
