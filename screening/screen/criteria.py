"""What a user wants from a candidate, in one place: the target T(1 bar) window, the filters, and the terms of the
score. This file is the ranking's extension point.

A score term is one object: the number it reads from a ranked candidate (its `column`, also a column of every
table and export), how that number becomes a dimensionless value, its weight, and the line that explains it. A
candidate's score is the sum of weight x value over the terms. A term whose number is missing (no T(1 bar), NaN
wt% or volume change) contributes 0 and marks the candidate as missing data, which ranks it below every candidate
with complete data. To add a criterion, write one `ScoreTerm` subclass below and list it in `SCORE_TERMS` (and in
`DEFAULT_TERMS` when every screen should use it); a screen file then sets it under `[ranking.terms.<name>]`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from statistics import NormalDist
from typing import TYPE_CHECKING, ClassVar

from monty.json import MSONable
from scipy.constants import zero_Celsius

from screening.errors import ConfigError
from screening.reactions.result import ReactionFlag

if TYPE_CHECKING:
    from screening.screen.ranking import RankedCandidate

DEFAULT_T_MIN_C = -40.0
DEFAULT_T_MAX_C = 85.0

# US DOE technical targets for onboard hydrogen storage for light-duty vehicles, 2025 system gravimetric target
# 1.8 kWh/kg = 0.055 kg H2/kg: a material at this wt% scores 1.0 on capacity (before the weight).
DOE_2025_SYSTEM_WT_PCT = 5.5

# The same table's system volumetric capacity target: 1.3 kWh/L = 0.040 kg H2/L = 40 kg H2/m3 (US DOE Fuel Cell
# Technologies Office, Multi-Year RD&D Plan, Technical Plan - Storage (2012), Table 3.3.3, which pairs it with the
# 1.8 kWh/kg = 0.055 kg H2/kg above).
DOE_SYSTEM_KG_H2_PER_M3 = 40.0

# Penalties (subtracted, before the flag term's weight) for the flags a ReactionResult may carry. A flag that only
# restates a number already scored (no T(1 bar) in range -> infinite window distance) costs nothing.
DEFAULT_FLAG_PENALTIES: dict[str, float] = {
    ReactionFlag.INTENDED_REACTION_NOT_ON_PATH.value: 0.25,  # the paper's reaction is not what thermodynamics does
    ReactionFlag.ADDITIVE_INERT.value: 0.5,  # the additive adds mass but does not destabilise the host
    ReactionFlag.EXOTHERMIC_WITHOUT_H2.value: 1.0,  # a side reaction sinks energy without releasing H2
    ReactionFlag.UNKNOWN_PHASES_MISSING.value: 0.5,  # the path may change once the missing phases are computed
    ReactionFlag.IMAGINARY_MODES.value: 0.25,  # a phase is dynamically unstable: its free energy is suspect
    ReactionFlag.STATIC_ENERGIES_ONLY.value: 0.1,  # no zero-point energies: ~15-20 kJ/mol H2 less accurate
    ReactionFlag.NO_1_BAR_TEMPERATURE_IN_RANGE.value: 0.0,  # already scored as infinite window distance
    ReactionFlag.HYPOTHETICAL_PRODUCT.value: 0.25,  # the step forms a compound nobody has made: model artefact or lead
    ReactionFlag.UNCALIBRATED_CHEMISTRY.value: 0.25,  # no training data behind a correction: sigma is the prior's
    # a searched or model structure may lie above the real phase's energy by tens of meV/atom (see its note)
    ReactionFlag.COMPUTED_STRUCTURE.value: 0.1,
}


def check_nonnegative(name: str, value: float) -> None:
    """ConfigError naming `name` unless `value` is a finite number >= 0."""
    if not (isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0):
        raise ConfigError(f"{name} must be a finite number >= 0, got {value!r}")


def check_positive(name: str, value: float) -> None:
    """ConfigError naming `name` unless `value` is a finite number > 0."""
    if not (isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0):
        raise ConfigError(f"{name} must be a finite number > 0, got {value!r}")


@dataclass(frozen=True)
class ScoreTerm(MSONable, ABC):
    """One term of the score: `weight` x `value(candidate)`. Subclasses set `name`, `column` (the candidate's
    number the term reads; empty when it reads the flags) and `heading` (that column in the human table)."""

    weight: float = 1.0

    name: ClassVar[str] = ""
    column: ClassVar[str] = ""
    heading: ClassVar[str] = ""
    missing_text: ClassVar[str] = "missing"

    def __post_init__(self) -> None:
        """The weight must be >= 0; every other number a term holds is a scale or reference and must be > 0."""
        check_nonnegative(f"[ranking.terms.{self.name}] weight", self.weight)
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "weight" and isinstance(value, int | float):
                check_positive(f"[ranking.terms.{self.name}] {f.name}", value)

    @abstractmethod
    def value(self, candidate: RankedCandidate, criteria: RankingCriteria) -> float | None:
        """The dimensionless value before the weight; None when the number it needs is missing."""

    @abstractmethod
    def describe(self, candidate: RankedCandidate, criteria: RankingCriteria) -> str:
        """How the value follows from the candidate's number ('5.00 wt% -> 0.909 (/ 5.5)')."""

    def missing_reason(self, candidate: RankedCandidate) -> str:
        """Why the value is missing (shown with the candidate and in `show`)."""
        return f"{self.column} of step {candidate.step} is not a number: {self.name} scored as 0"

    def contribution(self, candidate: RankedCandidate, criteria: RankingCriteria) -> float:
        """weight x value, 0 when the value is missing."""
        value = self.value(candidate, criteria)
        return 0.0 if value is None else self.weight * value

    def explain(self, candidate: RankedCandidate, criteria: RankingCriteria) -> str:
        """One line: 'name: input -> value x weight = contribution'."""
        missing = self.value(candidate, criteria) is None
        described = f"{self.missing_text} -> 0.000" if missing else self.describe(candidate, criteria)
        return f"{self.name}: {described} x {self.weight:g} = {self.contribution(candidate, criteria):.3f}"


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


@dataclass(frozen=True)
class WindowTerm(ScoreTerm):
    """exp(-d / scale_k), d = kelvin between T(1 bar) and the target window (0 inside). Without a crossing the end
    of the searched range bounds T(1 bar), and the distance to that bound is scored, so an AlH3-like step (H2
    released below 100 K) or a too-stable one stays comparable with the rest."""

    scale_k: float = 50.0

    name: ClassVar[str] = "window"
    column: ClassVar[str] = "t_1bar_k"
    heading: ClassVar[str] = "T(1 bar)"
    missing_text: ClassVar[str] = "no T(1 bar), distance inf"

    def value(self, candidate: RankedCandidate, criteria: RankingCriteria) -> float | None:
        distance = criteria.window_distance_k(candidate.t_for_window_k)
        return math.exp(-distance / self.scale_k) if math.isfinite(distance) else None

    def describe(self, candidate: RankedCandidate, criteria: RankingCriteria) -> str:
        distance = criteria.window_distance_k(candidate.t_for_window_k)
        where = (
            f"T(1 bar) {candidate.t_1bar_k:.1f} K"
            if candidate.t_1bar_k is not None
            else "no crossing, end of searched range"
        )
        return (
            f"{where}, {distance:.1f} K outside [{criteria.t_min_k:.2f}, {criteria.t_max_k:.2f}] K -> "
            f"exp(-{distance:.1f}/{self.scale_k:g}) = {math.exp(-distance / self.scale_k):.3f}"
        )

    def missing_reason(self, candidate: RankedCandidate) -> str:
        return f"no T(1 bar) for step {candidate.step} ({candidate.reaction}): window distance is infinite"


@dataclass(frozen=True)
class PerReferenceTerm(ScoreTerm, ABC):
    """A capacity-like term: the candidate's number in `column` divided by a reference amount (`reference`)."""

    unit: ClassVar[str] = ""
    what: ClassVar[str] = ""  # the number in words, for missing-data reasons
    digits: ClassVar[int] = 2  # decimals of the number in explanations

    @property
    @abstractmethod
    def reference(self) -> float:
        """The amount worth a value of 1."""

    def value(self, candidate: RankedCandidate, criteria: RankingCriteria) -> float | None:
        amount = _finite(getattr(candidate, self.column))
        return None if amount is None else amount / self.reference

    def describe(self, candidate: RankedCandidate, criteria: RankingCriteria) -> str:
        amount = getattr(candidate, self.column)
        return f"{amount:.{self.digits}f} {self.unit} -> {amount / self.reference:.3f} (/ {self.reference:g})"

    def missing_reason(self, candidate: RankedCandidate) -> str:
        return f"{self.what} of step {candidate.step} is not a number: {self.name.replace('_', ' ')} scored as 0"


@dataclass(frozen=True)
class CapacityTerm(PerReferenceTerm):
    """wt% H2 of the step / reference_wt_pct (default: the DOE system target)."""

    reference_wt_pct: float = DOE_2025_SYSTEM_WT_PCT

    name: ClassVar[str] = "capacity"
    column: ClassVar[str] = "h2_wt_pct"
    heading: ClassVar[str] = "wt% H2"
    missing_text: ClassVar[str] = "wt% missing"
    unit: ClassVar[str] = "wt%"
    what: ClassVar[str] = "wt% H2"

    @property
    def reference(self) -> float:
        return self.reference_wt_pct


@dataclass(frozen=True)
class VolumetricCapacityTerm(PerReferenceTerm):
    """kg H2 released per m3 of the starting solids / reference_kg_per_m3 (default: the DOE system target): what a
    tank of the material holds, where wt% says what it weighs."""

    reference_kg_per_m3: float = DOE_SYSTEM_KG_H2_PER_M3

    name: ClassVar[str] = "volumetric_capacity"
    column: ClassVar[str] = "h2_kg_per_m3"
    heading: ClassVar[str] = "kg H2/m3"
    missing_text: ClassVar[str] = "kg H2/m3 missing"
    unit: ClassVar[str] = "kg H2/m3"
    what: ClassVar[str] = "kg H2/m3"
    digits: ClassVar[int] = 1

    @property
    def reference(self) -> float:
        return self.reference_kg_per_m3


@dataclass(frozen=True)
class VolumeTerm(ScoreTerm):
    """-|volume change of the solids| / reference_pct: swelling or shrinking both cost (cycling, containment)."""

    weight: float = 0.5
    reference_pct: float = 100.0

    name: ClassVar[str] = "volume"
    column: ClassVar[str] = "volume_change_pct"
    heading: ClassVar[str] = "dV %"
    missing_text: ClassVar[str] = "change missing"

    def value(self, candidate: RankedCandidate, criteria: RankingCriteria) -> float | None:
        change = _finite(candidate.volume_change_pct)
        return None if change is None else 0.0 - abs(change) / self.reference_pct

    def describe(self, candidate: RankedCandidate, criteria: RankingCriteria) -> str:
        value = 0.0 - abs(candidate.volume_change_pct) / self.reference_pct
        return f"{candidate.volume_change_pct:+.1f} % -> {value:.3f} (/ {self.reference_pct:g})"

    def missing_reason(self, candidate: RankedCandidate) -> str:
        return f"volume change of step {candidate.step} is not a number: volume scored as 0"


@dataclass(frozen=True)
class FlagTerm(ScoreTerm):
    """-(sum of the penalties of the candidate's flags). `penalties` given override `DEFAULT_FLAG_PENALTIES` flag
    by flag; keys must be `ReactionFlag` values, so a misspelt flag is an error."""

    penalties: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_FLAG_PENALTIES))

    name: ClassVar[str] = "flags"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.penalties, Mapping):
            raise ConfigError(f"[ranking.terms.flags] penalties must map flag -> penalty, got {self.penalties!r}")
        known = {flag.value for flag in ReactionFlag}
        penalties = dict(DEFAULT_FLAG_PENALTIES)
        for flag, penalty in self.penalties.items():
            if flag not in known:
                raise ConfigError(f"[ranking.terms.flags] unknown flag {flag!r} (known: {', '.join(sorted(known))})")
            check_nonnegative(f"[ranking.terms.flags] penalties[{flag!r}]", penalty)
            penalties[str(flag)] = float(penalty)
        object.__setattr__(self, "penalties", penalties)

    def penalty(self, flags: Iterable[str]) -> float:
        """Sum of the penalties of `flags` (before the weight); unlisted flags cost nothing."""
        return sum(self.penalties.get(flag, 0.0) for flag in flags)

    def value(self, candidate: RankedCandidate, criteria: RankingCriteria) -> float | None:
        return 0.0 - self.penalty(candidate.flags)

    def describe(self, candidate: RankedCandidate, criteria: RankingCriteria) -> str:
        priced = ", ".join(f"{f} {self.penalties.get(f, 0.0):g}" for f in candidate.flags) or "none"
        return f"{priced} -> {0.0 - self.penalty(candidate.flags):.3f}"


SCORE_TERMS: dict[str, type[ScoreTerm]] = {
    term.name: term for term in (WindowTerm, CapacityTerm, VolumetricCapacityTerm, VolumeTerm, FlagTerm)
}
DEFAULT_TERMS: tuple[ScoreTerm, ...] = (WindowTerm(), CapacityTerm(), VolumeTerm(), FlagTerm())


@dataclass(frozen=True)
class RankingCriteria(MSONable):
    """The target window, the filters and the score terms of a ranking.

    - `t_min_k`, `t_max_k`: the target T(1 bar) window; default -40 C to 85 C (233.15 K to 358.15 K).
    - `min_h2_wt_pct`: candidates releasing less H2 in their representative reaction are filtered out.
    - `max_volume_change_pct`: candidates whose |volume change| exceeds it are filtered out; None means no limit.
    - `require_intended_on_path`: filter out candidates flagged `intended_reaction_not_on_path`.
    - `terms`: the score terms, each with its weight (see the module docstring)."""

    t_min_k: float = zero_Celsius + DEFAULT_T_MIN_C
    t_max_k: float = zero_Celsius + DEFAULT_T_MAX_C
    min_h2_wt_pct: float = 0.0
    max_volume_change_pct: float | None = None
    require_intended_on_path: bool = False
    terms: tuple[ScoreTerm, ...] = DEFAULT_TERMS

    def __post_init__(self) -> None:
        check_positive("t_min_k", self.t_min_k)
        check_positive("t_max_k", self.t_max_k)
        if self.t_min_k > self.t_max_k:
            raise ConfigError(f"t_min_k ({self.t_min_k} K) must not exceed t_max_k ({self.t_max_k} K)")
        check_nonnegative("min_h2_wt_pct", self.min_h2_wt_pct)
        if self.max_volume_change_pct is not None:
            check_nonnegative("max_volume_change_pct", self.max_volume_change_pct)
        if not isinstance(self.require_intended_on_path, bool):
            raise ConfigError(f"require_intended_on_path must be a bool, got {self.require_intended_on_path!r}")
        terms = tuple(self.terms)
        names = [term.name for term in terms]
        if not all(isinstance(term, ScoreTerm) for term in terms) or len(set(names)) != len(names):
            raise ConfigError(f"ranking terms must be distinct ScoreTerm objects, got {names}")
        object.__setattr__(self, "terms", terms)

    @classmethod
    def from_celsius(
        cls, t_min_c: float = DEFAULT_T_MIN_C, t_max_c: float = DEFAULT_T_MAX_C, **kwargs: object
    ) -> RankingCriteria:
        """Criteria with the T(1 bar) window given in degrees Celsius; other fields by keyword."""
        return cls(t_min_k=t_min_c + zero_Celsius, t_max_k=t_max_c + zero_Celsius, **kwargs)

    def with_terms(self, *terms: ScoreTerm) -> RankingCriteria:
        """These criteria with each given term replacing the term of its name (or added after the others)."""
        given = {term.name: term for term in terms}
        kept = tuple(given.pop(term.name, term) for term in self.terms)
        return replace(self, terms=kept + tuple(given.values()))

    def term(self, name: str) -> ScoreTerm:
        """The term of a name; ConfigError naming the terms in use otherwise."""
        for term in self.terms:
            if term.name == name:
                return term
        raise ConfigError(f"no ranking term {name!r}; terms in use: {', '.join(t.name for t in self.terms)}")

    def window_distance_k(self, t_1bar_k: float | None) -> float:
        """Kelvin between T(1 bar) and the window: 0 inside, infinite when there is no T(1 bar)."""
        if t_1bar_k is None or not math.isfinite(t_1bar_k):
            return math.inf
        if t_1bar_k < self.t_min_k:
            return self.t_min_k - t_1bar_k
        if t_1bar_k > self.t_max_k:
            return t_1bar_k - self.t_max_k
        return 0.0

    def probability_in_window(self, t_1bar_k: float | None, sigma_t_1bar_k: float | None) -> float:
        """Probability that the true T(1 bar) lies in the window, taking T(1 bar) as normally distributed with
        standard deviation `sigma_t_1bar_k`; without a sigma (None or 0) it is 1 inside the window and 0 outside."""
        if t_1bar_k is None or not math.isfinite(t_1bar_k):
            return 0.0
        if not sigma_t_1bar_k or not math.isfinite(sigma_t_1bar_k):
            return 1.0 if self.window_distance_k(t_1bar_k) == 0.0 else 0.0
        dist = NormalDist(mu=t_1bar_k, sigma=abs(sigma_t_1bar_k))
        return float(dist.cdf(self.t_max_k) - dist.cdf(self.t_min_k))

    def reasons_filtered(self, candidate: RankedCandidate) -> list[str]:
        """Why a candidate is not eligible under the filters (empty when it is)."""
        reasons = []
        wt_pct, change = _finite(candidate.h2_wt_pct), _finite(candidate.volume_change_pct)
        if wt_pct is not None and wt_pct < self.min_h2_wt_pct:
            reasons.append(f"{wt_pct:.2f} wt% H2 is below the minimum {self.min_h2_wt_pct:g} wt%")
        limit = self.max_volume_change_pct
        if limit is not None and change is not None and abs(change) > limit:
            reasons.append(f"|volume change| {abs(change):.1f} % exceeds the maximum {limit:g} %")
        if self.require_intended_on_path and ReactionFlag.INTENDED_REACTION_NOT_ON_PATH.value in candidate.flags:
            reasons.append("the intended reaction is not on the thermodynamic path (intended_reaction_not_on_path)")
        return reasons

    def describe(self) -> str:
        """The terms and their settings in one line, for reports."""
        parts = []
        for term in self.terms:
            settings = ", ".join(f"{f.name} {getattr(term, f.name):g}" for f in fields(term)
                                 if f.name != "weight" and isinstance(getattr(term, f.name), int | float))  # fmt: skip
            parts.append(f"{term.name} {term.weight:g}" + (f" ({settings})" if settings else ""))
        return "score terms: " + "; ".join(parts)
