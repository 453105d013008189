"""Flat rows of the documents a run produces, for CSV, JSON and the command line's tables: one function per
document, one column list per document, one CSV writer. Units are in the column names."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from scipy.constants import zero_Celsius

from screening.reactions.anodes import ConversionAnode
from screening.reactions.result import ReactionResult
from screening.screen.criteria import RankingCriteria
from screening.screen.documents import ScreenRun
from screening.screen.ranking import RankedCandidate

CANDIDATE_COLUMNS = (
    "rank",
    "host",
    "additive",
    "additive_per_host_mol",
    "reaction",
    "step",
    "n_release_steps",
    "dh_kj_per_mol_h2",
    "sigma_kj_per_mol_h2",
    "ds_j_per_mol_h2_k",
    "t_1bar_k",
    "t_1bar_c",
    "sigma_t_1bar_k",
    "t_1bar_bound_k",
    "h2_wt_pct",
    "h2_kg_per_m3",
    "volume_change_pct",
    "window_distance_k",
    "probability_in_window",
)
CANDIDATE_TAIL_COLUMNS = (
    "score",
    "pareto_optimal",
    "passes_filters",
    "flags",
    "missing_data",
    "reasons_filtered",
    "experimental_phases",
)

REACTION_COLUMNS = (
    "host",
    "additive",
    "additive_per_host_mol",
    "step",
    "reaction",
    "h2_released_mol",
    "dh_kj_per_mol_h2",
    "sigma_kj_per_mol_h2",
    "ds_j_per_mol_h2_k",
    "t_1bar_k",
    "sigma_t_1bar_k",
    "t_1bar_bound_k",
    "h2_wt_pct",
    "h2_kg_per_m3",
    "volume_change_pct",
    "energy_source_id",
    "with_vibrations",
    "experimental_phases",
    "flags",
)
RUN_COLUMNS = ("run_id", "config_hash", "code_version", "finished_utc")
ANODE_COLUMNS = ("hydride", "capacity_mah_per_g", "voltage_v", "volume_change_pct", "steps", "flags")


def candidate_columns(criteria: RankingCriteria) -> list[str]:
    """The columns of a ranked candidate under these criteria: its numbers, one `score_<term>` per score term,
    then the total and the verdicts."""
    return [*CANDIDATE_COLUMNS, *(f"score_{term.name}" for term in criteria.terms), *CANDIDATE_TAIL_COLUMNS]


def candidate_row(candidate: RankedCandidate) -> dict[str, Any]:
    """One ranked candidate as a flat row (lists joined with ';', T(1 bar) also in degrees Celsius)."""
    c = candidate
    row: dict[str, Any] = {column: getattr(c, column) for column in CANDIDATE_COLUMNS if column != "t_1bar_c"}
    row["t_1bar_c"] = None if c.t_1bar_k is None else c.t_1bar_k - zero_Celsius
    row |= {f"score_{name}": value for name, value in c.scores.items()}
    row |= {"score": c.score, "pareto_optimal": c.pareto_optimal, "passes_filters": c.passes_filters}
    row |= {
        key: ";".join(getattr(c, key)) for key in ("flags", "missing_data", "reasons_filtered", "experimental_phases")
    }
    return row


def reaction_row(reaction: ReactionResult, run: ScreenRun) -> dict[str, Any]:
    """One release step of a run as a flat row, with the run's provenance."""
    row = {column: getattr(reaction, column) for column in REACTION_COLUMNS}
    row["flags"] = ";".join(reaction.flags)
    row["experimental_phases"] = ";".join(reaction.experimental_phases)
    p = run.provenance
    return row | {"run_id": p.run_id, "config_hash": p.config_hash, "code_version": p.code_version,
                  "finished_utc": run.finished_utc}  # fmt: skip


def anode_row(anode: ConversionAnode) -> dict[str, Any]:
    """One ranked conversion anode as a flat row."""
    return {
        "hydride": anode.hydride,
        "capacity_mah_per_g": anode.capacity_mah_per_g,
        "voltage_v": anode.voltage_v,
        "volume_change_pct": anode.volume_change_pct,
        "steps": len(anode.steps),
        "flags": ";".join(anode.flags),
    }


def run_rows(run: ScreenRun) -> tuple[list[dict[str, Any]], list[str]]:
    """Every reaction (or, in an anode run, every anode) of a run as rows, and their columns."""
    if run.ranked is None:
        return [anode_row(a) for a in run.anodes], list(ANODE_COLUMNS)
    return [reaction_row(r, run) for r in run.reactions], [*REACTION_COLUMNS, *RUN_COLUMNS]


def _cell(value: Any) -> Any:
    """What a CSV cell holds: nothing for an absent value (None); a number that is not one stays 'nan'."""
    return "" if value is None else value


def rows_as_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows as CSV text with a header of `columns` (the header alone when there are no rows)."""
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows({key: _cell(value) for key, value in row.items()} for row in rows)
    return stream.getvalue()
