"""Ranking of host + additive candidates by the score terms of `screening.screen.criteria`, with the Pareto front
and a per-candidate explanation of every score.

A candidate is one mixture: (host, additive, additive_per_host_mol). Its *representative reaction* is its first
release step (the lowest `step` >= 1, normally step 1), because that is the step a store cycles at the lowest
temperature; a candidate with no release steps is represented by its intended reaction (step 0). The flags of a
candidate are the union of the flags of all its results (so "intended reaction not on path", which belongs to the
step-0 result, counts for the mixture).
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field, replace

from monty.json import MSONable

from screening.errors import ConfigError
from screening.reactions.result import ReactionResult, mixture_label
from screening.screen.criteria import RankingCriteria

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RankedCandidate(MSONable):
    """One host + additive mixture as ranked: its representative reaction's numbers, the weighted contribution of
    every score term (`scores`, by term name), and where it stands. `missing_data` lists what could not be scored
    (such a candidate ranks below all complete ones); `reasons_filtered` lists every reason it is not eligible
    (filters and missing data); `rank` counts from 1 over the whole list, eligible candidates first."""

    host: str
    additive: str
    additive_per_host_mol: float
    reaction: str
    step: int
    n_release_steps: int
    dh_kj_per_mol_h2: float
    sigma_kj_per_mol_h2: float
    ds_j_per_mol_h2_k: float
    t_1bar_k: float | None
    sigma_t_1bar_k: float | None
    h2_wt_pct: float
    h2_kg_per_m3: float
    volume_change_pct: float
    flags: list[str]
    t_1bar_bound_k: float | None = None
    window_distance_k: float = math.inf
    probability_in_window: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)
    missing_data: list[str] = field(default_factory=list)
    reasons_filtered: list[str] = field(default_factory=list)
    pareto_optimal: bool = False
    rank: int = 0
    experimental_phases: list[str] = field(default_factory=list)  # of the representative reaction: measured dHf

    @property
    def label(self) -> str:
        """The mixture in words, e.g. 'LiBH4 + 0.5 MgH2'."""
        return mixture_label(self.host, self.additive, self.additive_per_host_mol)

    @property
    def score(self) -> float:
        """The sum of the weighted score terms (higher is better)."""
        return sum(self.scores.values())

    @property
    def passes_filters(self) -> bool:
        """Whether the candidate is eligible: no filter excludes it and its data are complete."""
        return not self.reasons_filtered

    @property
    def complete_data(self) -> bool:
        """Whether every scored number is known."""
        return not self.missing_data

    @property
    def abs_volume_change_pct(self) -> float:
        """|volume change| in %, the Pareto objective."""
        return abs(self.volume_change_pct)

    @property
    def t_for_window_k(self) -> float | None:
        """T(1 bar), or without a crossing the end of the searched range it lies beyond."""
        return self.t_1bar_k if self.t_1bar_k is not None else self.t_1bar_bound_k

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
        """A short text that reproduces the candidate's score from its stored numbers and these criteria, each term
        as 'input -> value x weight = term'."""
        c = candidate
        lines = [f"{c.label} (rank {c.rank}, step {c.step}: {c.reaction}): score {c.score:.3f}"]
        lines += [term.explain(c, self.criteria) for term in self.criteria.terms]
        lines.append(f"P(T(1 bar) in window): {c.probability_in_window:.3f}")
        if c.reasons_filtered:
            lines.append("not eligible: " + "; ".join(c.reasons_filtered))
        return "\n".join(lines)


def _representative(results: list[ReactionResult]) -> ReactionResult:
    """The first release step (lowest step >= 1), or the intended reaction (step 0) when there are no steps."""
    steps = sorted(results, key=lambda r: r.step)
    return next((res for res in steps if res.step >= 1), steps[0])


def _score_candidate(results: list[ReactionResult], criteria: RankingCriteria) -> RankedCandidate:
    """Score one mixture from all its results; rank and Pareto optimality are set later."""
    rep = _representative(results)
    t_1bar_k = rep.t_1bar_k if rep.t_1bar_k is not None and math.isfinite(rep.t_1bar_k) else None
    candidate = RankedCandidate(
        host=rep.host,
        additive=rep.additive,
        additive_per_host_mol=rep.additive_per_host_mol,
        reaction=rep.reaction,
        step=rep.step,
        n_release_steps=sum(1 for res in results if res.step >= 1),
        dh_kj_per_mol_h2=rep.dh_kj_per_mol_h2,
        sigma_kj_per_mol_h2=rep.sigma_kj_per_mol_h2,
        ds_j_per_mol_h2_k=rep.ds_j_per_mol_h2_k,
        t_1bar_k=t_1bar_k,
        sigma_t_1bar_k=rep.sigma_t_1bar_k,
        h2_wt_pct=rep.h2_wt_pct,
        h2_kg_per_m3=rep.h2_kg_per_m3,
        volume_change_pct=rep.volume_change_pct,
        flags=sorted({flag for res in results for flag in res.flags}),
        t_1bar_bound_k=rep.t_1bar_bound_k,
        experimental_phases=list(rep.experimental_phases),
    )
    missing = [t.missing_reason(candidate) for t in criteria.terms if t.value(candidate, criteria) is None]
    return replace(
        candidate,
        window_distance_k=criteria.window_distance_k(candidate.t_for_window_k),
        probability_in_window=criteria.probability_in_window(t_1bar_k, rep.sigma_t_1bar_k),
        scores={t.name: t.contribution(candidate, criteria) for t in criteria.terms},
        missing_data=missing,
        reasons_filtered=criteria.reasons_filtered(candidate) + missing,
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
