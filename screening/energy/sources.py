"""Named energy sources behind one interface: each gives an ASE calculator (loaded once per process), an
identifier with model name and version for caching and provenance, and the elements it handles.

`ENERGY_SOURCES` is the one registry of named sources: the command line (`hydride-screen sources`, the help of
`--source`), config validation and the docs all list it. A source without a calculator (`materials-project`) is a
database: it gives each of its own phases an energy and a relaxed structure, and nothing is relaxed here."""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from ase.calculators.calculator import Calculator
from monty.json import MSONable
from pymatgen.core import Element

from screening.energy.cache import ResultCache
from screening.errors import ConfigError, UnsupportedElementError
from structures.cache_files import cache_root

logger = logging.getLogger(__name__)

DEVICE = re.compile(r"cpu|cuda(:\d+)?|mps")  # the torch devices a model can be put on

# ASE's EMT has parameters for these elements only (ase/calculators/emt.py, Jacobsen et al. 1996).
EMT_ELEMENTS = frozenset({"H", "C", "N", "O", "Al", "Ni", "Cu", "Pd", "Ag", "Pt", "Au"})


@dataclass(frozen=True)
class SourceEntry:
    """One named energy source: what it is, the package that provides it (its version is part of every cache
    key), how to load its calculator on a device, and which elements it handles. `load` is None for a database."""

    name: str
    description: str
    package: str
    load: Callable[[str], Calculator] | None = None
    elements: Callable[[Calculator], frozenset[str]] | None = None

    @property
    def is_database(self) -> bool:
        """True for a source of stored energies (no calculator, no relaxation)."""
        return self.load is None


def _sevennet(model: str, modal: str | None = None) -> Callable[[str], Calculator]:
    def load(device: str) -> Calculator:
        from sevenn.calculator import SevenNetCalculator

        options = {"modal": modal} if modal else {}
        return SevenNetCalculator(model, device=device, **options)

    return load


def _sevennet_elements(calculator: Calculator) -> frozenset[str]:
    return frozenset(Element.from_Z(int(z)).symbol for z in calculator.type_map)


def _chgnet(device: str) -> Calculator:
    from chgnet.model.dynamics import CHGNetCalculator

    return CHGNetCalculator(use_device=device)


def _emt(device: str) -> Calculator:
    from ase.calculators.emt import EMT

    return EMT()


ENERGY_SOURCES: dict[str, SourceEntry] = {
    entry.name: entry
    for entry in (
        SourceEntry("sevennet", "SevenNet-0 (11Jul2024), trained on MPtrj (PBE/PBE+U); the default", "sevenn",
                    _sevennet("7net-0"), _sevennet_elements),
        SourceEntry("sevennet-mf", "SevenNet-MF-0, PBE modality", "sevenn", _sevennet("7net-mf-0", "PBE"),
                    _sevennet_elements),
        SourceEntry("sevennet-l3i5", "SevenNet-l3i5 (l_max 3, 5 interaction layers), trained on MPtrj", "sevenn",
                    _sevennet("7net-l3i5"), _sevennet_elements),
        SourceEntry("chgnet", "CHGNet 0.3.0 (its energies carry MP2020-like corrections implicitly)", "chgnet",
                    _chgnet, lambda calc: frozenset(Element.from_Z(z).symbol for z in range(1, 95))),
        SourceEntry("emt", "ASE effective-medium theory (tests only: Al, Cu, Ni, Pd, Ag, Pt, Au, H, C, N, O)", "ase",
                    _emt, lambda calc: EMT_ELEMENTS),
        SourceEntry("materials-project", "Materials Project GGA/GGA+U energies with MP2020 corrections and MP's "
                    "relaxed structures of MP's own phases (mp-api; answers cached for offline use); static, no "
                    "phonons", "mp-api"),
    )
}  # fmt: skip


@dataclass(frozen=True)
class EnergySource(MSONable):
    """An energy model: a name of `ENERGY_SOURCES` or an ASE calculator class by import path
    (`ase.calculators.vasp:Vasp`) with keyword arguments."""

    name: str = "sevennet"
    options: dict[str, Any] = field(default_factory=dict)
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.name not in ENERGY_SOURCES and ":" not in self.name:
            raise ConfigError(
                f"unknown energy source {self.name!r}; use one of {', '.join(ENERGY_SOURCES)} "
                "or an import path such as 'ase.calculators.vasp:Vasp'"
            )
        if not isinstance(self.device, str) or not DEVICE.fullmatch(self.device):
            raise ConfigError(f"[energy] device {self.device!r} is not a torch device: use cpu, cuda, cuda:N or mps")

    @property
    def is_database(self) -> bool:
        """True for a source of stored energies (materials-project): nothing is relaxed or vibrated here."""
        return self.name in ENERGY_SOURCES and ENERGY_SOURCES[self.name].is_database

    @property
    def package_version(self) -> str:
        """Version of the package that provides the model (part of every cache key)."""
        package = ENERGY_SOURCES[self.name].package if self.name in ENERGY_SOURCES else self.name.split(".")[0]
        try:
            return version(package)
        except PackageNotFoundError:
            return "unknown"

    @property
    def id(self) -> str:
        """Model, version and options in one string: equal ids mean interchangeable energies."""
        options = json.dumps(self.options, sort_keys=True, default=str) if self.options else ""
        return f"{self.name}@{self.package_version}{options}"

    @property
    def description(self) -> str:
        """A human-readable line about the model."""
        return ENERGY_SOURCES[self.name].description if self.name in ENERGY_SOURCES else f"ASE calculator {self.name}"

    def calculator(self) -> Calculator:
        """The ASE calculator; loaded once per process and shared (models are large)."""
        if self.is_database:
            raise ConfigError(f"energy source {self.name!r} is a database of energies, not a calculator")
        return _load_calculator(self.name, json.dumps(self.options, sort_keys=True, default=str), self.device)

    def supported_elements(self) -> frozenset[str] | None:
        """Elements the model was trained or parametrised for; None when unknown (user calculators).
        Kept on disk per model id, so that checking a screen does not load a model it may not need."""
        if self.name not in ENERGY_SOURCES or self.is_database:
            return None
        models = ResultCache(cache_root() / "models")
        key = "elements-" + hashlib.sha256(self.id.encode()).hexdigest()[:24]
        if (known := models.get(key, list)) is not None:
            return frozenset(known)
        elements = ENERGY_SOURCES[self.name].elements(self.calculator())
        models.put(key, sorted(elements))
        return elements

    def check_available(self) -> None:
        """Raise ConfigError now if a calculator given by import path cannot be imported, or the device asked for
        is not on this machine (torch is imported only then: a CPU run does not need it to be checked)."""
        if self.name not in ENERGY_SOURCES:
            calculator_class(self.name)
        if self.device != "cpu":
            import torch

            kind = self.device.split(":")[0]
            available = torch.backends.mps.is_available() if kind == "mps" else torch.cuda.is_available()
            if kind == "cuda" and available and ":" in self.device:
                available = int(self.device.split(":")[1]) < torch.cuda.device_count()
            if not available:
                raise ConfigError(f"[energy] device {self.device!r} is not available on this machine (torch "
                                  f"{torch.__version__}); use device = \"cpu\"")  # fmt: skip

    def check_elements(self, elements: Iterable[str], what: str = "") -> None:
        """Raise UnsupportedElementError naming the elements the model cannot handle."""
        supported = self.supported_elements()
        if supported is None:
            return
        missing = sorted(set(elements) - supported)
        if missing:
            subject = f" in {what}" if what else ""
            raise UnsupportedElementError(f"energy source {self.name!r} cannot handle {', '.join(missing)}{subject}")


@cache
def _load_calculator(name: str, options_json: str, device: str) -> Calculator:
    logger.info("loading energy source %s", name)
    if name in ENERGY_SOURCES:
        return ENERGY_SOURCES[name].load(device)
    return calculator_class(name)(**json.loads(options_json))


def calculator_class(import_path: str) -> type[Calculator]:
    """The class named by 'module:Class', imported (not instantiated)."""
    module_name, _, class_name = import_path.partition(":")
    try:
        return getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot import ASE calculator {import_path!r}: {exc}") from exc
