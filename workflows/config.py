"""The screen config: a TOML file that says what to screen (hosts, additives, ratios), with which energy
model (source, relaxation and phonon settings, corrections), how to rank, and where to store results.
Every mistake becomes one `ConfigError` that names the file, the table and the key."""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from dataclasses import MISSING, asdict, fields, is_dataclass
from dataclasses import Field as Field_
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, get_type_hints

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictStr,
    ValidationError,
    create_model,
    field_validator,
)
from scipy.constants import zero_Celsius

from screening.energy.phonons import PhononSettings
from screening.energy.relax import RelaxSettings
from screening.energy.sources import EnergySource
from screening.errors import ConfigError
from screening.reactions.enthalpy import parse_reaction
from screening.screen.anode import AnodeCriteria, AnodeScreen
from screening.screen.criteria import SCORE_TERMS, RankingCriteria
from screening.screen.hydrogen import HydrogenStorageScreen
from screening.store import StoreLocation, redacted
from screening.thermo.corrections import CorrectionForm
from screening.thermo.model import EnergyModel
from screening.thermo.thermochemistry import ThermochemistryMode
from structures.errors import HydrideScreenError
from structures.library import PhaseLibrary, default_library
from structures.materials_project import MaterialsProjectStructures

SCREENS_DIR = Path(__file__).parent / "screens"
DEFAULT_SCREEN = SCREENS_DIR / "mgh2_additives.toml"
PACKAGES_ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("structures", "screening", "workflows")
PACKAGE_FILES = ("*.py", "*.toml", "*.csv", "*.json", "*.json.gz")  # code and shipped data


@cache
def package_fingerprint() -> str:
    """A hash of the code and data files of the installed packages (about 100 files, a few ms): unlike the
    version number, it changes with every edit of an editable install."""
    digest = hashlib.sha256()
    for package in PACKAGES:
        paths = sorted({path for pattern in PACKAGE_FILES for path in (PACKAGES_ROOT / package).rglob(pattern)})
        for path in paths:
            digest.update(str(path.relative_to(PACKAGES_ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class ScreenKind(StrEnum):
    """What a screen ranks: hydrogen-release candidates (host + additive) or conversion anodes vs Li."""

    hydrogen_storage = "hydrogen-storage"
    anode = "anode"


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Moles of additive per mole of host: beyond 100:1 either way the "mixture" is one phase with a trace of the
# other, whose release reaction is the pure phase's (a ratio of 1e300 ranked 5e-300 wt% as a candidate).
RATIO_BOUNDS = (0.01, 100.0)


def _distinct(names: list[str]) -> list[str]:
    """Names with surrounding spaces removed, each once, in the order given."""
    return list(dict.fromkeys(name.strip() for name in names))


class ScreenTable(_Table):
    """[screen]: what to screen. Hosts, additives and ratios are taken each once (spaces stripped)."""

    name: str = Field(min_length=1)
    kind: ScreenKind = ScreenKind.hydrogen_storage
    description: str = ""
    hosts: list[StrictStr] = Field(min_length=1)
    additives: list[StrictStr] = Field(default_factory=list)
    ratios: list[StrictFloat] = Field(default_factory=list)
    intended: dict[str, StrictStr] = Field(default_factory=dict)
    materials_project: StrictBool = False

    @field_validator("name")
    @classmethod
    def _named(cls, name: str) -> str:
        if not name.strip():
            raise ValueError("the screen needs a name (it labels every stored run)")
        return name.strip()

    @field_validator("hosts", "additives")
    @classmethod
    def _names(cls, names: list[str]) -> list[str]:
        if any(not name.strip() for name in names):
            raise ValueError("an empty phase name")
        return _distinct(names)

    @field_validator("ratios")
    @classmethod
    def _physical_ratios(cls, ratios: list[float]) -> list[float]:
        low, high = RATIO_BOUNDS
        bad = [r for r in ratios if not (math.isfinite(r) and low <= r <= high)]
        if bad:
            raise ValueError(f"ratios are moles of additive per mole of host, from {low:g} to {high:g}; got {bad}")
        return list(dict.fromkeys(ratios))


class EnergyTable(_Table):
    """[energy]: the energy source and what is added to its static energies. `phonons` and `corrections` default
    to on for a calculator and off for a database source (whose energies are static and already corrected).
    `thermochemistry` = "experimental-first" (default) takes measured formation enthalpies where they are known,
    "model-only" never; `correction_form` is "auto" (chosen by leave-one-compound-out), "none", "species",
    "elements" or "full"."""

    source: str = "sevennet"
    options: dict[str, Any] = Field(default_factory=dict)
    device: str = "cpu"
    phonons: StrictBool | None = None
    corrections: StrictBool | None = None
    thermochemistry: ThermochemistryMode = ThermochemistryMode.EXPERIMENTAL_FIRST
    correction_form: CorrectionForm = CorrectionForm.AUTO


class StoreTable(_Table):
    """[store]: an embedded store directory (`path`) or a MongoDB (`uri`, `database`)."""

    path: str | None = None
    uri: str | None = None
    database: str = "hydride_screen"


class _Sections(_Table):
    screen: ScreenTable
    energy: EnergyTable = Field(default_factory=EnergyTable)
    relax: dict[str, Any] = Field(default_factory=dict)
    phonons: dict[str, Any] = Field(default_factory=dict)
    ranking: dict[str, Any] = Field(default_factory=dict)
    anode: dict[str, Any] = Field(default_factory=dict)
    store: StoreTable = Field(default_factory=StoreTable)


def _dataclass_table(cls: type, table: dict[str, Any], section: str, exclude: tuple[str, ...] = ()) -> Any:
    """Build a settings dataclass from a TOML table, validated field by field against the dataclass's type
    hints (a pydantic model made from them), so that unknown keys and wrong types name the key. Fields in
    `exclude` are not settable from the table."""
    assert is_dataclass(cls)
    hints = get_type_hints(cls)
    spec = {f.name: (hints[f.name], _default(f)) for f in fields(cls) if f.init and f.name not in exclude}
    schema = create_model(f"{section}_table", __config__=ConfigDict(extra="forbid", strict=False), **spec)
    try:
        validated = schema.model_validate(table)
    except ValidationError as error:
        raise ConfigError(f"[{section}] {_first_error(error)}") from None
    return cls(**{name: getattr(validated, name) for name in table})


def _default(f: Field_) -> Any:
    if f.default is not MISSING:
        return f.default
    return Field(default_factory=f.default_factory) if f.default_factory is not MISSING else ...


def _ranking_criteria(table: dict[str, Any]) -> RankingCriteria:
    """[ranking]: RankingCriteria's keys, the window also in Celsius (t_min_c, t_max_c), and one table per score
    term to change (`[ranking.terms.volume] weight = 0.25`) or add (`[ranking.terms.volumetric_capacity]`)."""
    table = dict(table)
    terms_table = table.pop("terms", {})
    if not isinstance(terms_table, dict):
        raise ConfigError("[ranking] terms must be tables, e.g. [ranking.terms.volume] with weight = 0.25")
    terms = []
    for name, settings in terms_table.items():
        if name not in SCORE_TERMS or not isinstance(settings, dict):
            raise ConfigError(f"[ranking.terms] unknown score term {name!r}; known: {', '.join(SCORE_TERMS)}")
        terms.append(_dataclass_table(SCORE_TERMS[name], settings, f"ranking.terms.{name}"))
    for unit_c, unit_k in (("t_min_c", "t_min_k"), ("t_max_c", "t_max_k")):
        if unit_c in table:
            if unit_k in table:
                raise ConfigError(f"[ranking] give {unit_c} or {unit_k}, not both")
            celsius = table.pop(unit_c)
            if not isinstance(celsius, int | float) or isinstance(celsius, bool):
                raise ConfigError(f"[ranking] {unit_c} must be a number, got {celsius!r}")
            table[unit_k] = celsius + zero_Celsius
    return _dataclass_table(RankingCriteria, table, "ranking", exclude=("terms",)).with_terms(*terms)


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = "unknown key (check its spelling and table)" if first["type"] == "extra_forbidden" else first["msg"]
    return f"{where}: {message}" if where else message


class ScreenConfig:
    """A validated screen: the raw TOML tables plus the objects built from them."""

    def __init__(self, tables: dict[str, Any], origin: str = "<config>", library: PhaseLibrary | None = None) -> None:
        self.origin = origin
        self.tables = tables
        try:
            sections = _Sections.model_validate(tables)
        except ValidationError as error:
            raise ConfigError(f"{origin}: {_first_error(error)}") from None
        self.screen = sections.screen
        try:
            self.source = EnergySource(sections.energy.source, sections.energy.options, sections.energy.device)
            with_phonons, with_corrections = self._additions(sections.energy)
            self.model = EnergyModel(
                source=self.source,
                relax_settings=_dataclass_table(RelaxSettings, sections.relax, "relax"),
                phonon_settings=_dataclass_table(
                    PhononSettings, {**asdict(PhononSettings.for_purpose("zero_point")), **sections.phonons}, "phonons"
                ),
                with_vibrations=with_phonons,
                with_corrections=with_corrections,
                thermochemistry=sections.energy.thermochemistry,
                correction_form=sections.energy.correction_form,
            )
            self.criteria = _ranking_criteria(sections.ranking)
            self.anode_criteria = _dataclass_table(AnodeCriteria, sections.anode, "anode")
            self.store = StoreLocation(sections.store.path, sections.store.uri, sections.store.database)
            self._check_phases(library or default_library())
        except HydrideScreenError as error:
            raise ConfigError(f"{origin}: {error}") from None

    def _additions(self, energy: EnergyTable) -> tuple[bool, bool]:
        """Phonons and corrections as asked, defaulting to what the source supports."""
        if not self.source.is_database:
            return energy.phonons is not False, energy.corrections is not False
        for key, why in (("phonons", "its energies are static"), ("corrections", "MP2020 corrections are in them")):
            if getattr(energy, key):
                raise ConfigError(f"[energy] {key} = true cannot be used with source {self.source.name!r}: {why}")
        return False, False

    def materials_project(self) -> MaterialsProjectStructures | None:
        """The Materials Project client the screen needs (its phases join every system, or it is the source)."""
        if self.screen.materials_project or self.source.is_database:
            return MaterialsProjectStructures()
        return None

    @classmethod
    def from_file(cls, path: Path | str, library: PhaseLibrary | None = None) -> ScreenConfig:
        """Read and validate a screen file."""
        path = Path(path)
        try:
            tables = tomllib.loads(path.read_text(encoding="utf-8-sig"))  # a byte-order mark is not an error
        except OSError as error:
            raise ConfigError(f"cannot read screen file {path}: {error.strerror or error}") from None
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise ConfigError(f"{path} is not valid TOML: {error}") from None
        return cls(tables, str(path), library)

    def _check_phases(self, library: PhaseLibrary) -> None:
        """Every host and additive is a known phase the energy source can compute; intended reactions parse."""
        names = {*self.screen.hosts, *self.screen.additives}
        for name in sorted(names):
            library.get(name)
        elements = {el.symbol for name in names for el in library.get(name).composition}
        if self.screen.kind is ScreenKind.anode:
            elements.add("Li")
        self.source.check_available()
        self.source.check_elements(elements, "this screen")
        if self.screen.kind is ScreenKind.hydrogen_storage:
            self._check_hydrogen_screen(library)
        for pair, reaction in self.screen.intended.items():
            host, _, additive = (part.strip() for part in pair.partition("+"))
            if host not in self.screen.hosts or additive not in self.screen.additives:
                raise ConfigError(f"[screen.intended] {pair!r} is not 'HOST + ADDITIVE' of this screen")
            parse_reaction(reaction)

    def _check_hydrogen_screen(self, library: PhaseLibrary) -> None:
        """Hosts that hold hydrogen, and at least one host + additive pair that is not a phase with itself."""
        if not self.screen.additives:
            raise ConfigError("[screen] additives: a hydrogen-storage screen needs at least one additive")
        for host in self.screen.hosts:
            if "H" not in {el.symbol for el in library.get(host).composition}:
                raise ConfigError(f"[screen] hosts: {host} holds no hydrogen, so it has none to release")
        if not self.plan.pairs():
            raise ConfigError("[screen] no host + additive pair to screen: every additive is the host itself")

    @property
    def name(self) -> str:
        """The screen's name."""
        return self.screen.name

    @property
    def plan(self) -> HydrogenStorageScreen | AnodeScreen:
        """What the screen computes and ranks, as the plan both the flow and `run_screen` execute."""
        if self.screen.kind is ScreenKind.anode:
            return AnodeScreen(list(self.screen.hosts), self.anode_criteria)
        intended = {}
        for pair, reaction in self.screen.intended.items():
            host, _, additive = (part.strip() for part in pair.partition("+"))
            intended[f"{host} + {additive}"] = reaction
        return HydrogenStorageScreen(
            list(self.screen.hosts), list(self.screen.additives), list(self.screen.ratios), intended, self.criteria
        )

    @property
    def shown_tables(self) -> dict[str, Any]:
        """The tables as they may be stored and shown: a MongoDB URI without its password."""
        store = self.tables.get("store")
        if not isinstance(store, dict) or not store.get("uri"):
            return self.tables
        return {**self.tables, "store": {**store, "uri": redacted(store["uri"])}}

    @property
    def config_hash(self) -> str:
        """A hash of the config's content (key order and formatting do not matter)."""
        return hashlib.sha256(json.dumps(self.tables, sort_keys=True, default=str).encode()).hexdigest()[:16]

    @property
    def inputs_hash(self) -> str:
        """A hash of everything a run's results depend on: the config, the energy source (model and version), and
        the code and data files of the installed packages (an edited structure or formula changes it). Two runs
        with equal hashes give the same results, so a stored one is reused instead of run again."""
        parts = [self.config_hash, self.source.id, package_fingerprint()]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]

    def with_store(self, location: StoreLocation) -> ScreenConfig:
        """The same screen writing to another store (e.g. `--store` on the command line)."""
        tables = {**self.tables, "store": {k: v for k, v in location.as_dict().items() if not k.startswith("@")}}
        return ScreenConfig(tables, self.origin)
