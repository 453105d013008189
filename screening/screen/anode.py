"""An anode screen: each hydride converted with lithium (capacity, voltage vs Li/Li+, volume change), the eligible
ones ranked by capacity. `AnodeScreen` is the plan that both the library call and the jobflow graph execute; one
failing hydride is reported, not fatal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import ClassVar

from monty.json import MSONable

from screening.errors import ConfigError, HydrideScreenError
from screening.reactions.anodes import ConversionAnode, conversion_anode
from screening.screen.documents import PairFailure, RunProvenance, ScreenRun, utc_now
from screening.thermo.model import ComputedPhases
from structures.candidates import anode_phases
from structures.library import PhaseLibrary
from structures.materials_project import MaterialsProjectStructures
from structures.phase import Phase

# A conversion anode must react above Li plating but low enough to give a useful cell voltage against a
# cathode; conversion-hydride anodes plateau at 0.1-1.0 V vs Li/Li+ (MgH2 ~0.5 V: Oumellal et al., Nat. Mater.
# 7 (2008) 916; the class is reviewed by Aymard, Oumellal and Bonnet, Beilstein J. Nanotechnol. 6 (2015) 1821).
DEFAULT_MIN_VOLTAGE_V = 0.1
DEFAULT_MAX_VOLTAGE_V = 1.0


@dataclass(frozen=True)
class AnodeCriteria(MSONable):
    """Which conversion anodes are eligible: average voltage vs Li/Li+ in a window and, optionally, a
    limit on the volume change of the solids. Eligible anodes rank by gravimetric capacity."""

    min_voltage_v: float = DEFAULT_MIN_VOLTAGE_V
    max_voltage_v: float = DEFAULT_MAX_VOLTAGE_V
    max_volume_change_pct: float | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.min_voltage_v <= self.max_voltage_v:
            raise ConfigError(
                f"anode voltage window must satisfy 0 <= min_voltage_v <= max_voltage_v, "
                f"got {self.min_voltage_v} and {self.max_voltage_v}"
            )
        if self.max_volume_change_pct is not None and self.max_volume_change_pct < 0:
            raise ConfigError(f"max_volume_change_pct must be >= 0, got {self.max_volume_change_pct}")

    def reasons_excluded(self, anode: ConversionAnode) -> list[str]:
        """Why an anode is not eligible (empty when it is)."""
        reasons = []
        if not self.min_voltage_v <= anode.voltage_v <= self.max_voltage_v:
            reasons.append(f"voltage {anode.voltage_v:.3f} V outside {self.min_voltage_v}-{self.max_voltage_v} V")
        limit = self.max_volume_change_pct
        if limit is not None and abs(anode.volume_change_pct) > limit:
            reasons.append(f"volume change {anode.volume_change_pct:+.1f} % beyond +/-{limit} %")
        return reasons


def rank_anodes(anodes: list[ConversionAnode], criteria: AnodeCriteria | None = None) -> list[ConversionAnode]:
    """Eligible anodes first, each group by capacity (highest first); exclusions are noted in `flags`."""
    criteria = criteria or AnodeCriteria()
    ranked = []
    for anode in anodes:
        reasons = criteria.reasons_excluded(anode)
        ranked.append((bool(reasons), -anode.capacity_mah_per_g, anode.hydride, anode, reasons))
    ranked.sort(key=lambda item: item[:3])
    return [replace(anode, flags=[*anode.flags, *(f"excluded: {r}" for r in reasons)]) for *_, anode, reasons in ranked]


@dataclass
class AnodeScreen(MSONable):
    """Each hydride of `hosts` as a conversion anode against lithium, ranked under `criteria`."""

    hosts: list[str]
    criteria: AnodeCriteria = field(default_factory=AnodeCriteria)

    kind: ClassVar[str] = "anode"
    analysis_name: ClassVar[str] = "anode"

    def __post_init__(self) -> None:
        if not self.hosts:
            raise ConfigError("an anode screen needs at least one hydride")

    @property
    def additives(self) -> list[str]:
        """None: lithium, the counter electrode, is part of every conversion."""
        return []

    def targets(self) -> list[str]:
        """What one analysis job takes: a hydride, each once."""
        return list(dict.fromkeys(self.hosts))

    def label(self, hydride: str) -> str:
        """A target in words, for job names and messages."""
        return hydride

    def phases(self, library: PhaseLibrary, materials_project: MaterialsProjectStructures | None = None) -> list[Phase]:
        """Every phase a conversion of the hydrides with Li can form, each once."""
        wanted = {p.name: p for hydride in self.targets() for p in anode_phases(library.get(hydride).name, library)}
        return list(wanted.values())

    def analyse(self, hydride: str, computed: ComputedPhases) -> ConversionAnode | PairFailure:
        """`conversion_anode` of one hydride; a user-facing error becomes a failure of the hydride + Li pair."""
        try:
            return conversion_anode(hydride, computed.phase_set, computed.thermochemistry)
        except HydrideScreenError as error:
            return PairFailure(hydride, "Li", str(error))

    def finish(
        self,
        outcomes: Sequence[ConversionAnode | PairFailure],
        phase_failures: dict[str, str],
        provenance: RunProvenance,
    ) -> ScreenRun:
        """The finished run: the anodes ranked, and what failed."""
        anodes = rank_anodes([o for o in outcomes if isinstance(o, ConversionAnode)], self.criteria)
        failed = {f"{o.host} + {o.additive}": o.reason for o in outcomes if isinstance(o, PairFailure)}
        return ScreenRun(provenance, utc_now(), anodes=anodes, failed=phase_failures | failed)
