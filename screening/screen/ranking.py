"""Ranking of host + additive candidates by how well their first H2-release step fits a target T(1 bar) window,
by capacity, by volume change and by flags, with the Pareto front and a per-candidate explanation of every score.

A candidate is one mixture: (host, additive, additive_per_host_mol). Its *representative reaction* is its first
release step (the lowest `step` >= 1, normally step 1), because that is the step a store cycles at the lowest
temperature; a candidate with no release steps is represented by its intended reaction (step 0). The flags of a
candidate are the union of the flags of all its results (so "intended reaction not on path", which belongs to the
step-0 result, counts for the mixture).

Score (higher is better) = window + capacity + volume + flags, each term a weight times a value:

- window:   weight_window   x exp(-d / window_scale_k), d = kelvin between T(1 bar) and the window (0 inside,
            infinite without a T(1 bar), giving 0);
- capacity: weight_capacity x wt% H2 / capacity_reference_wt_pct;
- volume:   weight_volume   x -|volume change %| / volume_reference_pct;
- flags:    weight_flags    x -(sum of the flag penalties of the candidate's flags).

A value that is missing (no T(1 bar), NaN wt% or volume change) contributes 0, and the candidate is marked as
missing data: it ranks below every candidate with complete data and carries the reason.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from monty.json import MSONable
from scipy.constants import zero_Celsius
from scipy.stats import norm

from screening.errors import ConfigError
from screening.reactions.result import ReactionFlag, ReactionResult, mixture_label

logger = logging.getLogger(__name__)

DEFAULT_T_MIN_C = -40.0
DEFAULT_T_MAX_C = 85.0

# US DOE technical targets for onboard hydrogen storage for light-duty vehicles, 2025 system gravimetric target
# 1.8 kWh/kg = 0.055 kg H2/kg: a material at this wt% scores 1.0 on capacity (before the weight).
DOE_2025_SYSTEM_WT_PCT = 5.5

# Penalties (subtracted, before weight_flags) for the flags a ReactionResult may carry. A flag that is only a
# restatement of a number already scored (no T(1 bar) in range -> infinite window distance) costs nothing.
DEFAULT_FLAG_PENALTIES: dict[str, float] = {
    ReactionFlag.INTENDED_REACTION_NOT_ON_PATH.value: 0.25,  # the paper's reaction is not what thermodynamics does
    ReactionFlag.ADDITIVE_INERT.value: 0.5,  # the additive adds mass but does not destabilise the host
    ReactionFlag.EXOTHERMIC_WITHOUT_H2.value: 1.0,  # a side reaction sinks energy without releasing H2
    ReactionFlag.UNKNOWN_PHASES_MISSING.value: 0.5,  # the path may change once the missing phases are computed
    ReactionFlag.IMAGINARY_MODES.value: 0.25,  # a phase is dynamically unstable: its free energy is suspect
    ReactionFlag.STATIC_ENERGIES_ONLY.value: 0.1,  # no zero-point energies: ~15-20 kJ/mol H2 less accurate
    ReactionFlag.NO_1_BAR_TEMPERATURE_IN_RANGE.value: 0.0,  # already scored as infinite window distance
    ReactionFlag.HYPOTHETICAL_PRODUCT.value: 0.25,  # the step forms a compound nobody has made: model artefact or lead
}


def _check_nonnegative(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise ConfigError(f"{name} must be a finite number >= 0, got {value!r}")


def _check_positive(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ConfigError(f"{name} must be a finite number > 0, got {value!r}")


@dataclass(frozen=True)
class RankingCriteria(MSONable):
    """What a user wants from a candidate: a T(1 bar) window (kelvin), filters, and the weights and scales of the
    score terms (see the module docstring for the formula).

    - `t_min_k`, `t_max_k`: the target T(1 bar) window; default -40 C to 85 C (233.15 K to 358.15 K).
    - `min_h2_wt_pct`: candidates releasing less H2 in their representative reaction are filtered out.
    - `max_volume_change_pct`: candidates whose |volume change| exceeds it are filtered out; None means no limit.
    - `require_intended_on_path`: filter out candidates flagged `intended_reaction_not_on_path`.
    - `weight_*`: non-negative weights of the window, capacity, volume and flag terms.
    - `window_scale_k`: kelvin outside the window at which the window value has fallen to 1/e.
    - `capacity_reference_wt_pct`: wt% H2 worth a capacity value of 1 (default: DOE 2025 system target).
    - `volume_reference_pct`: |volume change| in % worth a volume value of -1.
    - `flag_penalties`: penalty per flag (>= 0); entries given override `DEFAULT_FLAG_PENALTIES`, and a flag that is
      not listed costs nothing. Keys must be `ReactionFlag` values, so a misspelt flag is an error."""

    t_min_k: float = zero_Celsius + DEFAULT_T_MIN_C
    t_max_k: float = zero_Celsius + DEFAULT_T_MAX_C
    min_h2_wt_pct: float = 0.0
    max_volume_change_pct: float | None = None
    require_intended_on_path: bool = False
    weight_window: float = 1.0
    weight_capacity: float = 1.0
    weight_volume: float = 0.5
    weight_flags: float = 1.0
    window_scale_k: float = 50.0
    capacity_reference_wt_pct: float = DOE_2025_SYSTEM_WT_PCT
    volume_reference_pct: float = 100.0
    flag_penalties: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_FLAG_PENALTIES))

    def __post_init__(self) -> None:
        _check_positive("t_min_k", self.t_min_k)
        _check_positive("t_max_k", self.t_max_k)
        if self.t_min_k > self.t_max_k:
            raise ConfigError(f"t_min_k ({self.t_min_k} K) must not exceed t_max_k ({self.t_max_k} K)")
        _check_nonnegative("min_h2_wt_pct", self.min_h2_wt_pct)
        if self.max_volume_change_pct is not None:
            _check_nonnegative("max_volume_change_pct", self.max_volume_change_pct)
        if not isinstance(self.require_intended_on_path, bool):
            raise ConfigError(f"require_intended_on_path must be a bool, got {self.require_intended_on_path!r}")
        for name in ("weight_window", "weight_capacity", "weight_volume", "weight_flags"):
            _check_nonnegative(name, getattr(self, name))
        for name in ("window_scale_k", "capacity_reference_wt_pct", "volume_reference_pct"):
            _check_positive(name, getattr(self, name))
        if not isinstance(self.flag_penalties, Mapping):
            raise ConfigError(f"flag_penalties must be a mapping flag -> penalty, got {self.flag_penalties!r}")
        known = {flag.value for flag in ReactionFlag}
        penalties = dict(DEFAULT_FLAG_PENALTIES)
        for flag, penalty in self.flag_penalties.items():
            if flag not in known:
                raise ConfigError(f"flag_penalties: unknown flag {flag!r} (known: {', '.join(sorted(known))})")
            _check_nonnegative(f"flag_penalties[{flag!r}]", penalty)
            penalties[str(flag)] = float(penalty)
        object.__setattr__(self, "flag_penalties", penalties)

    @classmethod
    def from_celsius(
        cls, t_min_c: float = DEFAULT_T_MIN_C, t_max_c: float = DEFAULT_T_MAX_C, **kwargs: object
    ) -> RankingCriteria:
        """Criteria with the T(1 bar) window given in degrees Celsius; other fields by keyword."""
        return cls(t_min_k=t_min_c + zero_Celsius, t_max_k=t_max_c + zero_Celsius, **kwargs)

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
        dist = norm(loc=t_1bar_k, scale=abs(sigma_t_1bar_k))
        return float(dist.cdf(self.t_max_k) - dist.cdf(self.t_min_k))

    def flag_penalty(self, flags: Iterable[str]) -> float:
        """Sum of the penalties of `flags` (before `weight_flags`); unlisted flags cost nothing."""
        return sum(self.flag_penalties.get(flag, 0.0) for flag in flags)


@dataclass(frozen=True)
class RankedCandidate(MSONable):
    """One host + additive mixture as ranked: its representative reaction's numbers, the score terms, and where it
    stands. `score` = `score_window` + `score_capacity` + `score_volume` + `score_flags` (each already weighted).
    `missing_data` lists what could not be scored (such a candidate ranks below all complete ones);
    `reasons_filtered` lists every reason it is not eligible (filters and missing data); `rank` counts from 1 over
    the whole list, eligible candidates first."""

    host: str
    additive: str
    additive_per_host_mol: float
    reaction: str
    step: int
    n_release_steps: int
    dh_kj_per_mol_h2: float
    sigma_kj_per_mol_h2: float
    t_1bar_k: float | None
    sigma_t_1bar_k: float | None
    h2_wt_pct: float
    h2_kg_per_m3: float
    volume_change_pct: float
    flags: list[str]
    window_distance_k: float
    probability_in_window: float
    score_window: float
    score_capacity: float
    score_volume: float
    score_flags: float
    score: float
    missing_data: list[str] = field(default_factory=list)
    reasons_filtered: list[str] = field(default_factory=list)
    passes_filters: bool = True
    pareto_optimal: bool = False
    rank: int = 0

    @property
    def label(self) -> str:
        """The mixture in words, e.g. 'LiBH4 + 0.5 MgH2'."""
        return mixture_label(self.host, self.additive, self.additive_per_host_mol)

    @property
    def complete_data(self) -> bool:
        """Whether every scored number (T(1 bar), wt%, volume change) is known."""
        return not self.missing_data

    @property
    def abs_volume_change_pct(self) -> float:
        """|volume change| in %, the Pareto objective."""
        return abs(self.volume_change_pct)

    def sort_key(self) -> tuple:
        """The documented order: complete data first, then eligible, then higher score, higher probability in the
        window, higher wt%, then host, additive, ratio and reaction alphabetically/ascending."""
        wt_pct = self.h2_wt_pct if math.isfinite(self.h2_wt_pct) else -math.inf
        return (
            not self.complete_data,
            not self.passes_filters,
            -self.score,
            -self.probability_in_window,
            -wt_pct,
            self.host,
            self.additive,
            self.additive_per_host_mol,
            self.reaction,
        )


@dataclass(frozen=True)
class RankedList(MSONable):
    """All candidates of a screen in rank order, with the criteria that ranked them."""

    criteria: RankingCriteria
    candidates: list[RankedCandidate]

    def top(self, n: int, host: str | None = None) -> list[RankedCandidate]:
        """The best `n` eligible candidates (passing every filter, complete data), optionally of one host."""
        if not isinstance(n, int) or n < 0:
            raise ConfigError(f"n must be an integer >= 0, got {n!r}")
        eligible = [c for c in self.candidates if c.passes_filters and (host is None or c.host == host)]
        return eligible[:n]

    @property
    def pareto_front(self) -> list[RankedCandidate]:
        """The Pareto-optimal candidates, in rank order."""
        return [c for c in self.candidates if c.pareto_optimal]

    def explain(self, candidate: RankedCandidate) -> str:
        """A short text that reproduces the candidate's score from its stored numbers and these criteria."""
        return explain_score(candidate, self.criteria)


def explain_score(candidate: RankedCandidate, criteria: RankingCriteria) -> str:
    """How `candidate.score` follows from its numbers: each term as 'input -> value x weight = term'."""
    c, k = candidate, criteria
    if not math.isfinite(c.window_distance_k):
        window = f"window: no T(1 bar), distance inf -> 0.000 x {k.weight_window:g} = {c.score_window:.3f}"
    else:
        value = math.exp(-c.window_distance_k / k.window_scale_k)
        where = f"T(1 bar) {c.t_1bar_k:.1f} K" if c.t_1bar_k is not None else "no crossing, end of searched range"
        window = (
            f"window: {where}, {c.window_distance_k:.1f} K outside "
            f"[{k.t_min_k:.2f}, {k.t_max_k:.2f}] K -> exp(-{c.window_distance_k:.1f}/{k.window_scale_k:g}) = "
            f"{value:.3f} x {k.weight_window:g} = {c.score_window:.3f}"
        )
    if math.isfinite(c.h2_wt_pct):
        capacity = (
            f"capacity: {c.h2_wt_pct:.2f} wt% -> {c.h2_wt_pct / k.capacity_reference_wt_pct:.3f} "
            f"(/ {k.capacity_reference_wt_pct:g}) x {k.weight_capacity:g} = {c.score_capacity:.3f}"
        )
    else:
        capacity = f"capacity: wt% missing -> 0.000 x {k.weight_capacity:g} = {c.score_capacity:.3f}"
    if math.isfinite(c.volume_change_pct):
        volume = (
            f"volume: {c.volume_change_pct:+.1f} % -> {0.0 - abs(c.volume_change_pct) / k.volume_reference_pct:.3f} "
            f"(/ {k.volume_reference_pct:g}) x {k.weight_volume:g} = {c.score_volume:.3f}"
        )
    else:
        volume = f"volume: change missing -> 0.000 x {k.weight_volume:g} = {c.score_volume:.3f}"
    priced = ", ".join(f"{f} {k.flag_penalties.get(f, 0.0):g}" for f in c.flags) or "none"
    flags = f"flags: {priced} -> {0.0 - k.flag_penalty(c.flags):.3f} x {k.weight_flags:g} = {c.score_flags:.3f}"
    lines = [f"{c.label} (rank {c.rank}, step {c.step}: {c.reaction}): score {c.score:.3f}", window, capacity]
    lines += [volume, flags, f"P(T(1 bar) in window): {c.probability_in_window:.3f}"]
    if c.reasons_filtered:
        lines.append("not eligible: " + "; ".join(c.reasons_filtered))
    return "\n".join(lines)


def _representative(results: list[ReactionResult]) -> ReactionResult:
    """The first release step (lowest step >= 1), or the intended reaction (step 0) when there are no steps."""
    steps = sorted(results, key=lambda r: r.step)
    for res in steps:
        if res.step >= 1:
            return res
    return steps[0]


def _score_candidate(results: list[ReactionResult], criteria: RankingCriteria) -> RankedCandidate:
    """Score one mixture from all its results; rank and Pareto optimality are set later."""
    rep = _representative(results)
    flags = sorted({flag for res in results for flag in res.flags})
    t_1bar_k = rep.t_1bar_k if rep.t_1bar_k is not None and math.isfinite(rep.t_1bar_k) else None

    missing = []
    # Without a crossing, the end of the searched range bounds T(1 bar): scoring the distance to that bound
    # keeps an AlH3-like step (H2 released below 100 K) or a too-stable one comparable with the rest.
    t_for_window = t_1bar_k if t_1bar_k is not None else rep.t_1bar_bound_k
    if t_for_window is None:
        missing.append(f"no T(1 bar) for step {rep.step} ({rep.reaction}): window distance is infinite")
    if not math.isfinite(rep.h2_wt_pct):
        missing.append(f"wt% H2 of step {rep.step} is not a number: capacity scored as 0")
    if not math.isfinite(rep.volume_change_pct):
        missing.append(f"volume change of step {rep.step} is not a number: volume scored as 0")

    distance_k = criteria.window_distance_k(t_for_window)
    score_window = criteria.weight_window * math.exp(-distance_k / criteria.window_scale_k)
    score_capacity = (
        criteria.weight_capacity * rep.h2_wt_pct / criteria.capacity_reference_wt_pct
        if math.isfinite(rep.h2_wt_pct)
        else 0.0
    )
    score_volume = (
        0.0 - criteria.weight_volume * abs(rep.volume_change_pct) / criteria.volume_reference_pct
        if math.isfinite(rep.volume_change_pct)
        else 0.0
    )
    score_flags = 0.0 - criteria.weight_flags * criteria.flag_penalty(flags)  # "0.0 -": no -0.000 in text

    filtered = []
    if math.isfinite(rep.h2_wt_pct) and rep.h2_wt_pct < criteria.min_h2_wt_pct:
        filtered.append(f"{rep.h2_wt_pct:.2f} wt% H2 is below the minimum {criteria.min_h2_wt_pct:g} wt%")
    if (
        criteria.max_volume_change_pct is not None
        and math.isfinite(rep.volume_change_pct)
        and abs(rep.volume_change_pct) > criteria.max_volume_change_pct
    ):
        limit = criteria.max_volume_change_pct
        filtered.append(f"|volume change| {abs(rep.volume_change_pct):.1f} % exceeds the maximum {limit:g} %")
    if criteria.require_intended_on_path and ReactionFlag.INTENDED_REACTION_NOT_ON_PATH.value in flags:
        filtered.append("the intended reaction is not on the thermodynamic path (intended_reaction_not_on_path)")
    filtered += missing

    return RankedCandidate(
        host=rep.host,
        additive=rep.additive,
        additive_per_host_mol=rep.additive_per_host_mol,
        reaction=rep.reaction,
        step=rep.step,
        n_release_steps=sum(1 for res in results if res.step >= 1),
        dh_kj_per_mol_h2=rep.dh_kj_per_mol_h2,
        sigma_kj_per_mol_h2=rep.sigma_kj_per_mol_h2,
        t_1bar_k=t_1bar_k,
        sigma_t_1bar_k=rep.sigma_t_1bar_k,
        h2_wt_pct=rep.h2_wt_pct,
        h2_kg_per_m3=rep.h2_kg_per_m3,
        volume_change_pct=rep.volume_change_pct,
        flags=flags,
        window_distance_k=distance_k,
        probability_in_window=criteria.probability_in_window(t_1bar_k, rep.sigma_t_1bar_k),
        score_window=score_window,
        score_capacity=score_capacity,
        score_volume=score_volume,
        score_flags=score_flags,
        score=score_window + score_capacity + score_volume + score_flags,
        missing_data=missing,
        reasons_filtered=filtered,
        passes_filters=not filtered,
    )


def _dominates(a: RankedCandidate, b: RankedCandidate) -> bool:
    """Whether `a` is at least as good as `b` in every objective (window distance and |volume change| lower,
    wt% higher) and strictly better in one."""
    a_obj = (a.window_distance_k, -a.h2_wt_pct, a.abs_volume_change_pct)
    b_obj = (b.window_distance_k, -b.h2_wt_pct, b.abs_volume_change_pct)
    return all(x <= y for x, y in zip(a_obj, b_obj, strict=True)) and a_obj != b_obj


def pareto_optimal_mask(candidates: list[RankedCandidate]) -> list[bool]:
    """For each candidate, whether no other candidate dominates it (exact pairwise check, O(n^2)); candidates with
    equal objectives do not dominate each other, so both stay on the front."""
    return [not any(_dominates(other, cand) for other in candidates if other is not cand) for cand in candidates]


def rank_candidates(results: list[ReactionResult], criteria: RankingCriteria | None = None) -> RankedList:
    """Group results into mixtures (host, additive, additive_per_host_mol), score each from its representative
    reaction, mark the Pareto front among the eligible ones (passing the filters, complete data) and sort by
    `RankedCandidate.sort_key`, so the order never depends on the order of `results`.

    Two results of one mixture with the same step are ambiguous and raise ConfigError."""
    criteria = criteria or RankingCriteria()
    groups: dict[tuple[str, str, float], list[ReactionResult]] = defaultdict(list)
    for res in results:
        key = (res.host, res.additive, float(res.additive_per_host_mol))
        if any(other.step == res.step for other in groups[key]):
            raise ConfigError(
                f"two results for {res.host} + {res.additive_per_host_mol:g} {res.additive} with step {res.step}"
            )
        groups[key].append(res)

    scored = [_score_candidate(group, criteria) for group in groups.values()]
    eligible = [c for c in scored if c.passes_filters]
    on_front = {id(c) for c, optimal in zip(eligible, pareto_optimal_mask(eligible), strict=True) if optimal}
    scored = [replace(c, pareto_optimal=id(c) in on_front) for c in scored]
    scored.sort(key=RankedCandidate.sort_key)
    ranked = [replace(c, rank=i) for i, c in enumerate(scored, start=1)]
    logger.info(
        "ranked %d candidates: %d eligible, %d on the Pareto front, %d with missing data",
        len(ranked),
        len(eligible),
        len(on_front),
        sum(not c.complete_data for c in ranked),
    )
    return RankedList(criteria=criteria, candidates=ranked)
