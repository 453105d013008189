"""The run report of a hydrogen-storage screen: the ranked table (CSV and HTML) and two figures a materials scientist
reads first, reaction enthalpy against gravimetric capacity with the target window, and the van't Hoff lines of the
top candidates. The HTML page embeds the figures, so the one file can be mailed or archived on its own.

The target window is a T(1 bar) range; on the enthalpy axis it is drawn as dH = T dS at 1 bar with the typical
entropy of H2 release (`H2_RELEASE_ENTROPY_J_PER_MOL_K`), because dS is nearly the same for all metal hydrides.
The van't Hoff lines use each candidate's own dH and dS. "Top candidates" are `RankedList.top(n_top)`: the best
eligible ones (passing every filter, complete data), as in `hydride-screen top`."""

from __future__ import annotations

import base64
import html
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from itertools import cycle
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Annotation
from matplotlib.ticker import FixedLocator
from matplotlib.transforms import Bbox
from monty.json import MSONable
from scipy.constants import R, kilo, zero_Celsius

from screening.errors import ConfigError
from screening.report.tables import candidate_columns, candidate_row, rows_as_csv
from screening.screen.criteria import RankingCriteria
from screening.screen.ranking import RankedCandidate, RankedList

logger = logging.getLogger(__name__)

# Entropy of H2 release from a metal hydride, J/(mol H2 K): dominated by the loss of the standard entropy of H2 gas,
# S°(H2) = 130.7 J/(mol K), so nearly the same for all hydrides (Züttel, Mater. Today 6(9) (2003) 24; Schlapbach &
# Züttel, Nature 414 (2001) 353). With it, T(1 bar) = dH/dS.
H2_RELEASE_ENTROPY_J_PER_MOL_K = 130.0

FIGURE_HEIGHT_IN = 5.0
DH_FIGURE_WIDTH_IN = 8.0  # axes about 6 in wide, the legend right of them
VANT_HOFF_FIGURE_WIDTH_IN = 9.0  # a wider legend: one line per candidate with its dH and dS
WINDOW_COLOUR = "tab:green"
DPI = 150
FONT_SIZE = 10
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")
LINE_STYLES = ("-", "--", ":", "-.")
VANT_HOFF_T_RANGE_K = (200.0, 800.0)  # widened to cover the window and where the lines cross 1 bar
VANT_HOFF_T_LIMITS_K = (150.0, 1500.0)  # but never beyond these, where a store would not work anyway
VANT_HOFF_MAX_LINES = 15  # more lines than this cannot be told apart; the best ones are drawn
VANT_HOFF_LN_P_RANGE = (-8.0, 8.0)  # ln(p/bar): 3e-4 bar to 3e3 bar, everything a store could use
PRESSURE_TICKS_BAR = (1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0, 1e3)
CELSIUS_TICKS = (-150, -100, -50, 0, 25, 50, 85, 100, 150, 200, 300, 400, 500, 600, 800, 1000, 1200, 1500)
# Where a label may go: rings around its marker (radius in points), each tried at these angles in this order.
LABEL_RADII_PT = (8.0, 18.0, 30.0, 44.0, 60.0)
LABEL_ANGLES_DEG = (30.0, -30.0, 150.0, -150.0, 90.0, -90.0, 0.0, 180.0, 60.0, -60.0, 120.0, -120.0)
MARKER_SIZE_PT = 7.0
LEADER_LINE = {"arrowstyle": "-", "color": "0.5", "linewidth": 0.6, "shrinkA": 0.0, "shrinkB": 4.0}
NO_T_1BAR = "none in range"


@dataclass(frozen=True)
class RunReport(MSONable):
    """The files one report wrote; serialised with the paths as strings."""

    html_path: Path
    dh_vs_capacity_png: Path
    vant_hoff_png: Path
    table_csv: Path

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict: every path as a string."""
        paths = {f.name: str(getattr(self, f.name)) for f in fields(self)}
        return {"@module": type(self).__module__, "@class": type(self).__name__, **paths}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunReport:
        """The report from `as_dict`'s output."""
        return cls(**{f.name: Path(d[f.name]) for f in fields(cls)})


def _prepare_folder(output_dir: Path, files: list[Path], overwrite: bool) -> None:
    """The report's folder, made if need be; ConfigError for a file in its place, a link among the report's
    files, or an earlier report's file without `overwrite`."""
    if output_dir.exists() and not output_dir.is_dir():
        raise ConfigError(f"{output_dir} is a file, not a folder for the report")
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot make the report folder {output_dir}: {error.strerror}") from None
    for path in files:
        if path.is_symlink():
            raise ConfigError(f"{path} is a symbolic link; the report does not write through links")
        if path.exists() and not overwrite:
            raise ConfigError(f"{path} exists from an earlier report; give another folder or --overwrite")


def dh_window_kj_per_mol_h2(
    t_min_k: float, t_max_k: float, ds_j_per_mol_h2_k: float = H2_RELEASE_ENTROPY_J_PER_MOL_K
) -> tuple[float, float]:
    """The dH band (kJ/mol H2) whose T(1 bar) = dH/dS lies in [t_min_k, t_max_k], for an entropy of release dS."""
    return t_min_k * ds_j_per_mol_h2_k / kilo, t_max_k * ds_j_per_mol_h2_k / kilo


def vant_hoff_ln_p(dh_kj_per_mol_h2: float, ds_j_per_mol_h2_k: float, t_k: np.ndarray) -> np.ndarray:
    """Equilibrium ln(p/bar) of H2 release at temperatures `t_k`: ln p = -dH/(R T) + dS/R."""
    return -dh_kj_per_mol_h2 * kilo / (R * np.asarray(t_k, dtype=float)) + ds_j_per_mol_h2_k / R


def write_report(
    ranked: RankedList,
    output_dir: Path,
    title: str,
    n_top: int = 10,
    subtitle: str = "",
    overwrite: bool = False,
) -> RunReport:
    """Write dh_vs_capacity.png, vant_hoff.png, ranked.csv and a self-contained report.html into `output_dir`
    (created if needed), labelling and plotting the best `n_top` eligible candidates. Files of an earlier report
    there are replaced only with `overwrite`; a symbolic link in their place is never written through."""
    output_dir = Path(output_dir)
    report = RunReport(
        html_path=output_dir / "report.html",
        dh_vs_capacity_png=output_dir / "dh_vs_capacity.png",
        vant_hoff_png=output_dir / "vant_hoff.png",
        table_csv=output_dir / "ranked.csv",
    )
    _prepare_folder(output_dir, [getattr(report, f.name) for f in fields(report)], overwrite)
    top = ranked.top(n_top)
    _save(_dh_vs_capacity_figure(ranked, top), report.dh_vs_capacity_png)
    _save(_vant_hoff_figure(ranked.criteria, top), report.vant_hoff_png)
    rows = [candidate_row(c) for c in ranked.candidates]
    report.table_csv.write_text(rows_as_csv(rows, candidate_columns(ranked.criteria)), encoding="utf-8")
    report.html_path.write_text(_html_page(ranked, top, title, subtitle, report), encoding="utf-8")
    logger.info("report of %d candidates (%d top) written to %s", len(ranked.candidates), len(top), output_dir)
    return report


def _new_figure(width_in: float) -> tuple[Figure, Axes]:
    """A figure with an Agg canvas (no pyplot state), constrained layout and one axes with a light grid."""
    fig = Figure(figsize=(width_in, FIGURE_HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.grid(True, color="0.88", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=FONT_SIZE)
    return fig, ax


def _save(fig: Figure, path: Path) -> None:
    """Write `fig` as PNG (its layout as it is, no re-cropping) and free its artists."""
    fig.savefig(path, dpi=DPI)
    fig.clear()


def _legend_outside(fig: Figure, handles: list[Any], title: str | None = None) -> None:
    """The legend right of the axes (and of any right-hand axis), so it never covers data."""
    fig.legend(
        handles=handles,
        loc="outside right upper",
        fontsize=FONT_SIZE - 1,
        title=title,
        title_fontsize=FONT_SIZE - 1,
        alignment="left",
        frameon=False,
    )


def _no_candidates_note(ax: Axes, text: str) -> None:
    """`text` in the middle of an axes that has nothing to show."""
    ax.text(
        0.5,
        0.6,
        text,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=FONT_SIZE + 2,
        color="0.3",
        bbox={"boxstyle": "round,pad=0.4", "facecolor": "white", "edgecolor": "0.7"},
    )


def _celsius_range(criteria: RankingCriteria) -> str:
    return f"{criteria.t_min_k - zero_Celsius:g} to {criteria.t_max_k - zero_Celsius:g} °C"


def _dh_vs_capacity_figure(ranked: RankedList, top: list[RankedCandidate]) -> Figure:
    """dH against wt% H2 of every candidate, coloured by host, hollow when filtered out, the top ones labelled,
    and the target window as a dH band."""
    fig, ax = _new_figure(DH_FIGURE_WIDTH_IN)
    criteria = ranked.criteria
    dh_low, dh_high = dh_window_kj_per_mol_h2(criteria.t_min_k, criteria.t_max_k)
    ax.axhspan(dh_low, dh_high, color=WINDOW_COLOUR, alpha=0.15, linewidth=0)
    handles: list[Any] = [
        Patch(
            color=WINDOW_COLOUR,
            alpha=0.3,
            label=f"target T(1 bar)\n{_celsius_range(criteria)}\nas ΔH = T·ΔS with\n"
            f"ΔS = {H2_RELEASE_ENTROPY_J_PER_MOL_K:g} J/(mol H₂·K)",
        )
    ]
    plotted = [c for c in ranked.candidates if math.isfinite(c.h2_wt_pct) and math.isfinite(c.dh_kj_per_mol_h2)]
    for c in ranked.candidates:
        if c not in plotted:
            logger.info("%s not drawn in dH vs capacity: wt%% or dH is not a number", c.label)
    hosts = sorted({c.host for c in plotted})
    for host, colour, marker in zip(hosts, _colours(len(hosts)), cycle(MARKERS), strict=False):
        for passes in (True, False):
            group = [c for c in plotted if c.host == host and c.passes_filters is passes]
            if group:
                ax.errorbar(
                    [c.h2_wt_pct for c in group],
                    [c.dh_kj_per_mol_h2 for c in group],
                    yerr=[_finite_or_zero(c.sigma_kj_per_mol_h2) for c in group],
                    fmt=marker,
                    markersize=MARKER_SIZE_PT,
                    color=colour,
                    markerfacecolor=colour if passes else "white",
                    markeredgewidth=1.3,
                    elinewidth=1.0,
                    capsize=2.5,
                )
        handles.append(Line2D([], [], marker=marker, linestyle="", color=colour, markersize=MARKER_SIZE_PT, label=host))
    if any(not c.passes_filters for c in plotted):
        handles.append(
            Line2D([], [], marker="o", linestyle="", color="0.3", markerfacecolor="white", label="filtered out")
        )
    ax.set_xlabel("H₂ capacity of the first release step (wt% H₂)", fontsize=FONT_SIZE + 1)
    ax.set_ylabel("reaction enthalpy ΔH (kJ/mol H₂)", fontsize=FONT_SIZE + 1)
    ax.set_title("Reaction enthalpy vs capacity (error bars ±1σ)", fontsize=FONT_SIZE + 1)
    if plotted:
        ax.margins(x=0.08, y=0.08)
        ax.set_xlim(left=min(0.0, ax.get_xlim()[0]))
    else:
        _no_candidates_note(ax, "no candidates" if not ranked.candidates else "no candidate with finite ΔH and wt%")
        ax.set_xlim(0.0, 10.0)
        ax.set_ylim(0.0, 100.0)
    _legend_outside(fig, handles)
    fig.draw_without_rendering()  # lay the figure out once, then freeze it: labels are placed in display units
    fig.set_layout_engine("none")
    half = MARKER_SIZE_PT / 2 * fig.dpi / 72.0
    marks = []
    for c in plotted:
        x, y = ax.transData.transform((c.h2_wt_pct, c.dh_kj_per_mol_h2))
        error = ax.transData.transform((c.h2_wt_pct, c.dh_kj_per_mol_h2 + _finite_or_zero(c.sigma_kj_per_mol_h2)))
        extent = max(half, error[1] - y)
        marks.append(Bbox.from_extents(x - half, y - extent, x + half, y + extent))
    labelled = [c for c in top if c in plotted]
    _place_labels(fig, ax, [(c.h2_wt_pct, c.dh_kj_per_mol_h2, c.label) for c in labelled], marks)
    return fig


def _vant_hoff_figure(criteria: RankingCriteria, top: list[RankedCandidate]) -> Figure:
    """ln(p/bar) against 1000/T of the top candidates, with the 1 bar line and the target window."""
    fig, ax = _new_figure(VANT_HOFF_FIGURE_WIDTH_IN)
    drawn = []
    crossings_k = {}  # where a line crosses p = 1 bar: T = dH/dS, when both are positive
    for c in top[:VANT_HOFF_MAX_LINES]:
        ds = c.ds_j_per_mol_h2_k
        if not (math.isfinite(c.dh_kj_per_mol_h2) and math.isfinite(ds)):
            logger.info("%s not drawn in the van't Hoff plot: dH or dS is not a number", c.label)
            continue
        drawn.append(c)
        if c.dh_kj_per_mol_h2 > 0 and ds > 0:
            crossings_k[id(c)] = c.dh_kj_per_mol_h2 * kilo / ds
    t_low, t_high = _vant_hoff_t_range_k(criteria, list(crossings_k.values()))
    t_k = 1000.0 / np.linspace(1000.0 / t_high, 1000.0 / t_low, 400)
    ax.axvspan(1000.0 / criteria.t_max_k, 1000.0 / criteria.t_min_k, color=WINDOW_COLOUR, alpha=0.15, linewidth=0)
    ax.axhline(0.0, color="0.25", linewidth=1.0, linestyle="--")
    handles: list[Any] = [
        Patch(color=WINDOW_COLOUR, alpha=0.3, label=f"target window\n{_celsius_range(criteria)}"),
        Line2D([], [], color="0.25", linewidth=1.0, linestyle="--", label="p = 1 bar"),
    ]
    colours = _colours(min(len(drawn), 10))
    for i, c in enumerate(drawn):
        ds = c.ds_j_per_mol_h2_k
        ln_p = vant_hoff_ln_p(c.dh_kj_per_mol_h2, ds, t_k)
        off_scale = np.all(ln_p > VANT_HOFF_LN_P_RANGE[1]) or np.all(ln_p < VANT_HOFF_LN_P_RANGE[0])
        (line,) = ax.plot(
            1000.0 / t_k,
            ln_p,
            color=colours[i % len(colours)],
            linestyle=LINE_STYLES[(i // len(colours)) % len(LINE_STYLES)],
            linewidth=1.8,
            label=f"{c.rank}. {c.label}: ΔH {c.dh_kj_per_mol_h2:.1f}, ΔS {ds:.0f}"
            + (" (off scale)" if off_scale else ""),
        )
        handles.append(line)
        if id(c) in crossings_k:
            ax.plot(1000.0 / crossings_k[id(c)], 0.0, "o", color=line.get_color(), markersize=4.5, zorder=3)
    ax.set_xlim(1000.0 / t_high, 1000.0 / t_low)
    ax.set_ylim(*VANT_HOFF_LN_P_RANGE)
    ax.set_xlabel("1000/T (1/K)", fontsize=FONT_SIZE + 1)
    ax.set_ylabel("ln(p / bar)", fontsize=FONT_SIZE + 1)
    ax.set_title("Van't Hoff lines of the top candidates: ln p = −ΔH/(RT) + ΔS/R", fontsize=FONT_SIZE + 1, pad=10)
    _celsius_axis(ax, t_low, t_high)
    pressure = ax.secondary_yaxis("right", functions=(np.exp, _log))
    pressure.yaxis.set_major_locator(FixedLocator(PRESSURE_TICKS_BAR))
    pressure.set_yticklabels([f"{p:g}" for p in PRESSURE_TICKS_BAR])
    pressure.set_ylabel("p (bar)", fontsize=FONT_SIZE + 1)
    pressure.tick_params(labelsize=FONT_SIZE)
    if not drawn:
        _no_candidates_note(ax, "no candidates" if not top else "no top candidate with finite ΔH and ΔS")
    title = "ΔH in kJ/mol H₂, ΔS in J/(mol H₂·K)"
    if len(top) > VANT_HOFF_MAX_LINES:
        title += f"\nthe best {VANT_HOFF_MAX_LINES} of {len(top)} top candidates"
        logger.info("van't Hoff plot: only the best %d of %d top candidates drawn", VANT_HOFF_MAX_LINES, len(top))
    _legend_outside(fig, handles, title=title if drawn else None)
    return fig


def _vant_hoff_t_range_k(criteria: RankingCriteria, crossings_k: list[float]) -> tuple[float, float]:
    """200 K to 800 K, widened to hold the target window and the lines' 1 bar crossings with some room, within
    `VANT_HOFF_T_LIMITS_K`."""
    t_low = min([VANT_HOFF_T_RANGE_K[0], 0.9 * criteria.t_min_k, *(0.9 * t for t in crossings_k)])
    t_high = max([VANT_HOFF_T_RANGE_K[1], 1.1 * criteria.t_max_k, *(1.1 * t for t in crossings_k)])
    return max(t_low, VANT_HOFF_T_LIMITS_K[0]), min(t_high, VANT_HOFF_T_LIMITS_K[1])


def _celsius_axis(ax: Axes, t_low: float, t_high: float) -> None:
    """A top axis in °C for the 1000/T axis, with round ticks spaced so their labels do not collide."""
    celsius = ax.secondary_xaxis("top", functions=(_inverse_k_to_celsius, _celsius_to_inverse_k))
    x_low, x_high = 1000.0 / t_high, 1000.0 / t_low
    ticks: list[float] = []
    for t_c in sorted(CELSIUS_TICKS, reverse=True):  # hottest first: those crowd together at small 1000/T
        x = 1000.0 / (t_c + zero_Celsius)
        if x_low <= x <= x_high and all(abs(x - 1000.0 / (t + zero_Celsius)) > 0.07 * (x_high - x_low) for t in ticks):
            ticks.append(t_c)
    celsius.xaxis.set_major_locator(FixedLocator(ticks))
    celsius.set_xticklabels([f"{t:g}" for t in ticks])
    celsius.set_xlabel("T (°C)", fontsize=FONT_SIZE + 1)
    celsius.tick_params(labelsize=FONT_SIZE)


def _inverse_k_to_celsius(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return 1000.0 / np.asarray(x, dtype=float) - zero_Celsius


def _celsius_to_inverse_k(t_c: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return 1000.0 / (np.asarray(t_c, dtype=float) + zero_Celsius)


def _log(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(p)


def _colours(n: int) -> list[tuple[float, ...]]:
    """`n` distinct colours: tab10 up to 10, tab20 beyond (then repeating)."""
    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(max(n, 1))]


def _finite_or_zero(x: float) -> float:
    return x if math.isfinite(x) else 0.0


def _place_labels(fig: Figure, ax: Axes, labels: list[tuple[float, float, str]], marks: list[Bbox]) -> None:
    """Annotate each (x, y, text), in order, where its box overlaps least with the axes' outside, the labels already
    placed and the other `marks` (display boxes of markers with error bars): the nearest clear offset wins, and
    labels set farther out than the first ring get a leader line to their point."""
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    pt = fig.dpi / 72.0
    tries = [
        (radius * math.cos(math.radians(angle)), radius * math.sin(math.radians(angle)), radius > LABEL_RADII_PT[0])
        for radius in LABEL_RADII_PT
        for angle in LABEL_ANGLES_DEG
    ]
    placed: list[Bbox] = []
    for x, y, text in labels:
        own = ax.transData.transform((x, y))
        obstacles = placed + marks
        probe = _annotate(ax, x, y, text, 0.0, 0.0, leader=False)
        width, height = probe.get_window_extent(renderer).size + 2.0 * pt  # room for the white box behind the text
        probe.remove()

        costs = []
        for dx, dy, _ in tries:
            x0 = own[0] + dx * pt - (0.0 if dx > 0.5 else width if dx < -0.5 else width / 2)
            box = Bbox.from_bounds(x0, own[1] + dy * pt - height / 2, width, height)
            outside = box.width * box.height - _overlap_area(box, frame)
            costs.append(10.0 * outside + sum(_overlap_area(box, other) for other in obstacles))
        best = next((i for i, c in enumerate(costs) if c == 0.0), int(np.argmin(costs)))
        if costs[best] > 0.0:
            logger.debug("no free place for the label %s: it overlaps %.0f px²", text, costs[best])
        note = _annotate(ax, x, y, text, *tries[best])
        placed.append(note.get_window_extent(renderer).padded(pt))


def _overlap_area(a: Bbox, b: Bbox) -> float:
    """Area (display units²) of the intersection of two boxes."""
    return max(0.0, min(a.x1, b.x1) - max(a.x0, b.x0)) * max(0.0, min(a.y1, b.y1) - max(a.y0, b.y0))


def _annotate(ax: Axes, x: float, y: float, text: str, dx: float, dy: float, leader: bool) -> Annotation:
    """`text` at (dx, dy) points from the data point (x, y), aligned away from it, with a leader line if asked."""
    return ax.annotate(
        text,
        (x, y),
        xytext=(dx, dy),
        textcoords="offset points",
        ha="left" if dx > 0.5 else "right" if dx < -0.5 else "center",
        va="center",
        fontsize=FONT_SIZE - 1,
        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.75},
        arrowprops=LEADER_LINE if leader else None,
    )


HTML_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 78em; }
h1 { margin-bottom: 0.2em; } p.subtitle { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.8em 0 1.6em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; vertical-align: top; }
th { background: #f0f0f0; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.filtered td { color: #777; } figure { margin: 1em 0; } img { max-width: 100%; height: auto; }
figcaption { color: #444; font-size: 0.9em; max-width: 60em; }
"""


def _html_page(ranked: RankedList, top: list[RankedCandidate], title: str, subtitle: str, report: RunReport) -> str:
    """The whole report as one HTML page with the figures inline as base64 PNGs."""
    k = ranked.criteria
    dh_low, dh_high = dh_window_kj_per_mol_h2(k.t_min_k, k.t_max_k)
    max_dv = "none" if k.max_volume_change_pct is None else f"{k.max_volume_change_pct:g} %"
    criteria = [
        f"target T(1 bar) window: {k.t_min_k:.2f} K to {k.t_max_k:.2f} K ({_celsius_range(k)}); "
        f"with ΔS = {H2_RELEASE_ENTROPY_J_PER_MOL_K:g} J/(mol H₂·K) that is "
        f"ΔH = {dh_low:.1f} to {dh_high:.1f} kJ/mol H₂",
        f"filters: wt% H₂ ≥ {k.min_h2_wt_pct:g}; |volume change| ≤ {max_dv}; "
        f"intended reaction required on the path: {'yes' if k.require_intended_on_path else 'no'}",
        k.describe(),
    ]
    n_eligible = sum(c.passes_filters for c in ranked.candidates)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{HTML_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="subtitle">{html.escape(subtitle)}</p>' if subtitle else "",
        "<h2>Criteria</h2><ul>",
        *(f"<li>{html.escape(line)}</li>" for line in criteria),
        "</ul>",
    ]
    if not ranked.candidates:
        parts.append("<p><strong>No candidates</strong>: this run ranked no host + additive mixture.</p>")
    else:
        parts += [
            f"<h2>Top {len(top)} eligible candidates</h2>",
            f"<p>{len(ranked.candidates)} candidates, {n_eligible} eligible (passing every filter, complete data). "
            "Numbers are those of each mixture's first H₂-release step. “measured ΔHf” names the phases of that "
            "step whose formation enthalpy is a measured value; every other compound's comes from the energy model "
            "(elements are the references).</p>",
            _html_table(top, eligibility=False) if top else "<p>No candidate passes the filters.</p>",
            "<h2>All candidates</h2>",
            _html_table(ranked.candidates, eligibility=True),
        ]
    parts += [
        "<h2>Figures</h2>",
        _html_figure(
            report.dh_vs_capacity_png,
            "Reaction enthalpy ΔH (±1σ) vs gravimetric capacity of every candidate's first release step, coloured "
            "by host; hollow markers are filtered out; the top candidates are labelled. The green band is the "
            f"target window as ΔH = T·ΔS with ΔS = {H2_RELEASE_ENTROPY_J_PER_MOL_K:g} J/(mol H₂·K), the typical "
            "entropy of H₂ release (≈ S°(H₂) = 130.7 J/(mol·K); Züttel, Mater. Today 6 (2003) 24).",
        ),
        _html_figure(
            report.vant_hoff_png,
            "Van't Hoff lines ln(p/bar) = −ΔH/(RT) + ΔS/R of the top candidates, with each reaction's own ΔH and ΔS; "
            "a line crosses p = 1 bar (dot) at ΔH/ΔS. The lines take ΔH and ΔS as independent of temperature, so "
            "a crossing can differ somewhat from the tabulated T(1 bar), which follows ΔG(T). The green band is the "
            "target window.",
        ),
        "</body></html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"


def _html_figure(png: Path, caption: str) -> str:
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(png.name)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def _html_table(candidates: Sequence[RankedCandidate], eligibility: bool) -> str:
    """Candidates as an HTML table; with `eligibility`, a column that says whether and why not each is eligible."""
    head = ["rank", "mixture", "first release step", "ΔH (kJ/mol H₂)", "T(1 bar) (K)", "T(1 bar) (°C)", "wt% H₂"]
    head += ["kg H₂/m³", "ΔV (%)", "score", "P(in window)", "measured ΔHf", "flags"]
    head += ["eligible"] if eligibility else []
    rows = ["<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    for c in candidates:
        t_k, t_c = (
            (NO_T_1BAR, NO_T_1BAR) if c.t_1bar_k is None else (f"{c.t_1bar_k:.0f}", f"{c.t_1bar_k - zero_Celsius:.0f}")
        )
        cells = [
            (str(c.rank), True),
            (c.label + (" (Pareto)" if c.pareto_optimal else ""), False),
            (f"step {c.step}: {c.reaction}", False),
            (f"{_fixed(c.dh_kj_per_mol_h2, 1)} ± {_fixed(c.sigma_kj_per_mol_h2, 1)}", True),
            (t_k, True),
            (t_c, True),
            (_fixed(c.h2_wt_pct, 2), True),
            (_fixed(c.h2_kg_per_m3, 1), True),
            (_fixed(c.volume_change_pct, 1, sign=True), True),
            (f"{c.score:.3f}", True),
            (f"{c.probability_in_window:.2f}", True),
            (", ".join(c.experimental_phases) or "none", False),
            (", ".join(c.flags), False),
        ]
        if eligibility:
            cells.append(("yes" if c.passes_filters else "no: " + "; ".join(c.reasons_filtered), False))
        row_class = "" if c.passes_filters else ' class="filtered"'
        tds = "".join(
            f'<td class="num">{html.escape(v)}</td>' if num else f"<td>{html.escape(v)}</td>" for v, num in cells
        )
        rows.append(f"<tr{row_class}>{tds}</tr>")
    rows.append("</tbody></table>")
    return "\n".join(rows)


def _fixed(x: float, digits: int, sign: bool = False) -> str:
    """`x` with `digits` decimals (a + sign if asked), or 'n/a' when it is not a number."""
    return f"{x:+.{digits}f}" if sign and math.isfinite(x) else f"{x:.{digits}f}" if math.isfinite(x) else "n/a"
