"""The run report: the dH band of the target window, van't Hoff pressures, the PNG figures, the CSV table and the
self-contained HTML page, on hand-made release steps with literature-like numbers, and the edge cases (no
candidates, no T(1 bar), NaN capacity, more top places than candidates)."""

import csv
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread
from scipy.constants import zero_Celsius
from tests_support import release_step

from screening.reactions.result import ReactionFlag, ReactionResult
from screening.report.page import (
    H2_RELEASE_ENTROPY_J_PER_MOL_K,
    RunReport,
    _dh_vs_capacity_figure,
    _vant_hoff_figure,
    dh_window_kj_per_mol_h2,
    vant_hoff_ln_p,
    write_report,
)
from screening.screen.criteria import RankingCriteria
from screening.screen.ranking import RankedList, rank_candidates

CRITERIA = RankingCriteria.from_celsius(-40.0, 85.0, max_volume_change_pct=30.0)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def step(
    host: str,
    additive: str,
    ratio: float,
    dh: float,
    ds: float,
    wt_pct: float,
    *,
    volume_change_pct: float = -15.0,
    t_1bar_k: float | None = None,
    t_1bar_bound_k: float | None = None,
    flags: list[str] | None = None,
) -> ReactionResult:
    """A first release step with T(1 bar) = dH/dS unless given; the rest is plausible filler."""
    t_1bar = dh * 1000.0 / ds if t_1bar_k is None and t_1bar_bound_k is None else t_1bar_k
    base = release_step(host, additive, ratio, t_1bar_k=t_1bar, wt_pct=wt_pct, volume_change_pct=volume_change_pct)
    return replace(
        base,
        reaction=f"{host} + {ratio:g} {additive} -> products + H2",
        dh_kj_per_mol_h2=dh,
        ds_j_per_mol_h2_k=ds,
        sigma_t_1bar_k=5000.0 / ds,
        flags=flags or [],
        t_1bar_bound_k=t_1bar_bound_k,
    )


RESULTS = [
    step("MgH2", "Si", 0.5, 36.4, 123.0, 5.0),
    step("Mg(NH2)2", "LiH", 2.0, 39.0, 112.0, 5.6),
    step("LiBH4", "MgH2", 0.5, 46.0, 98.0, 11.4, volume_change_pct=-35.0),  # filtered out: volume change
    step("NaAlH4", "TiCl3", 0.02, 37.0, 122.0, 3.7, flags=[ReactionFlag.STATIC_ENERGIES_ONLY.value]),
    step("MgH2", "Cu", 0.5, 72.0, 134.0, 2.6),
]


@pytest.fixture(scope="module")
def ranked() -> RankedList:
    return rank_candidates(RESULTS, CRITERIA)


@pytest.fixture(scope="module")
def report(ranked: RankedList, tmp_path_factory: pytest.TempPathFactory) -> RunReport:
    return write_report(ranked, tmp_path_factory.mktemp("report") / "run", title="Additives <MgH2> & co", n_top=3)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def test_dh_band_is_window_temperatures_times_130_j_per_mol_k():
    assert H2_RELEASE_ENTROPY_J_PER_MOL_K == 130.0
    low, high = dh_window_kj_per_mol_h2(CRITERIA.t_min_k, CRITERIA.t_max_k)
    assert low == pytest.approx((zero_Celsius - 40.0) * 0.130)  # 30.3 kJ/mol H2
    assert high == pytest.approx((zero_Celsius + 85.0) * 0.130)  # 46.6 kJ/mol H2


def test_dh_band_uses_the_entropy_given():
    assert dh_window_kj_per_mol_h2(300.0, 400.0, ds_j_per_mol_h2_k=100.0) == pytest.approx((30.0, 40.0))


def test_vant_hoff_pressure_is_1_bar_at_dh_over_ds_and_rises_with_temperature():
    ln_p = vant_hoff_ln_p(36.4, 123.0, np.array([250.0, 36400.0 / 123.0, 350.0]))
    assert ln_p[1] == pytest.approx(0.0, abs=1e-12)
    assert ln_p[0] < 0.0 < ln_p[2]


def test_writes_all_four_files_into_a_new_folder(report: RunReport):
    assert report.html_path.name == "report.html" and report.table_csv.name == "ranked.csv"
    for path in (report.html_path, report.dh_vs_capacity_png, report.vant_hoff_png, report.table_csv):
        assert path.is_file() and path.parent.name == "run"


@pytest.mark.parametrize("figure", ["dh_vs_capacity_png", "vant_hoff_png"])
def test_figures_are_150_dpi_pngs_of_a_few_inches(report: RunReport, figure: str):
    path = getattr(report, figure)
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert path.stat().st_size > 20_000
    height, width, channels = imread(path).shape
    assert channels in (3, 4)
    assert 700 <= height <= 900 and 1000 <= width <= 1500  # 5 in tall, 7 to 10 in wide at 150 dpi


def test_html_has_title_and_every_top_candidate(report: RunReport, ranked: RankedList):
    page = report.html_path.read_text(encoding="utf-8")
    assert "<h1>Additives &lt;MgH2&gt; &amp; co</h1>" in page
    for candidate in ranked.top(3):
        assert candidate.label in page


def test_html_escapes_special_characters(report: RunReport):
    page = report.html_path.read_text(encoding="utf-8")
    assert "<MgH2>" not in page
    assert "-&gt; products + H2" in page  # reactions are text too


def test_html_states_the_window_in_kelvin_and_celsius(report: RunReport):
    page = report.html_path.read_text(encoding="utf-8")
    assert "233.15 K to 358.15 K" in page
    assert "-40 to 85 °C" in page


def test_html_embeds_both_figures_and_loads_nothing_else(report: RunReport):
    page = report.html_path.read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == 2
    assert "http" not in page and "<script" not in page and "<link" not in page


def test_html_lists_filtered_out_candidates_with_their_reason(report: RunReport):
    page = report.html_path.read_text(encoding="utf-8")
    assert "LiBH4 + 0.5 MgH2" in page
    assert "no: |volume change| 35.0 % exceeds the maximum 30 %" in page


def test_csv_has_header_and_one_row_per_candidate_in_rank_order(report: RunReport, ranked: RankedList):
    rows = read_rows(report.table_csv)
    assert [int(row["rank"]) for row in rows] == [c.rank for c in ranked.candidates] == [1, 2, 3, 4, 5]
    assert [(row["host"], row["additive"], float(row["additive_per_host_mol"])) for row in rows] == [
        (c.host, c.additive, c.additive_per_host_mol) for c in ranked.candidates
    ]


def test_csv_carries_the_numbers_of_each_candidate(report: RunReport):
    row = next(r for r in read_rows(report.table_csv) if r["host"] == "NaAlH4")
    assert float(row["dh_kj_per_mol_h2"]) == 37.0
    assert float(row["sigma_kj_per_mol_h2"]) == 5.0
    assert float(row["ds_j_per_mol_h2_k"]) == 122.0
    assert float(row["t_1bar_k"]) == pytest.approx(37000.0 / 122.0)
    assert float(row["t_1bar_c"]) == pytest.approx(37000.0 / 122.0 - zero_Celsius)
    assert float(row["h2_wt_pct"]) == 3.7
    assert float(row["h2_kg_per_m3"]) == 80.0
    assert float(row["volume_change_pct"]) == -15.0
    assert row["flags"] == "static_energies_only"
    assert row["passes_filters"] == "True"


def test_csv_joins_several_flags_with_semicolons(tmp_path: Path):
    flags = [ReactionFlag.IMAGINARY_MODES.value, ReactionFlag.STATIC_ENERGIES_ONLY.value]
    results = [step("MgH2", "Si", 0.5, 36.4, 123.0, 5.0, flags=flags)]
    report = write_report(rank_candidates(results, CRITERIA), tmp_path, title="flags")
    assert read_rows(report.table_csv)[0]["flags"] == "imaginary_modes;static_energies_only"


def test_figure_labels_exactly_the_top_candidates(ranked: RankedList):
    fig = _dh_vs_capacity_figure(ranked, ranked.top(3))
    assert [text.get_text() for text in fig.axes[0].texts] == [c.label for c in ranked.top(3)]


def test_vant_hoff_draws_one_line_per_top_candidate(ranked: RankedList):
    fig = _vant_hoff_figure(CRITERIA, ranked.top(3))
    lines = [line for line in fig.axes[0].get_lines() if len(line.get_xdata()) > 2]
    assert len(lines) == 3
    legend = [text.get_text() for text in fig.legends[0].get_texts()]
    assert any("MgH2 + 0.5 Si: ΔH 36.4" in entry for entry in legend)


def test_vant_hoff_draws_at_most_15_lines_and_says_so():
    results = [step(f"H{i}H2", "Si", 0.5, 30.0 + i, 120.0, 5.0) for i in range(20)]
    ranked = rank_candidates(results, CRITERIA)
    fig = _vant_hoff_figure(CRITERIA, ranked.top(20))
    assert len([line for line in fig.axes[0].get_lines() if len(line.get_xdata()) > 2]) == 15
    assert "the best 15 of 20 top candidates" in fig.legends[0].get_title().get_text()


def test_empty_ranked_list_writes_a_page_saying_no_candidates(tmp_path: Path):
    report = write_report(RankedList(criteria=CRITERIA, candidates=[]), tmp_path, title="nothing")
    assert "No candidates" in report.html_path.read_text(encoding="utf-8")
    assert read_rows(report.table_csv) == []
    assert report.table_csv.read_text(encoding="utf-8").startswith("rank,host,additive,")
    for png in (report.dh_vs_capacity_png, report.vant_hoff_png):
        assert png.read_bytes()[:8] == PNG_MAGIC


def test_candidate_without_t_1bar_is_reported_with_an_empty_temperature(tmp_path: Path):
    results = [*RESULTS, step("AlH3", "LiH", 0.1, 7.0, 130.0, 9.5, t_1bar_bound_k=150.0)]
    report = write_report(rank_candidates(results, CRITERIA), tmp_path, title="AlH3")
    row = next(r for r in read_rows(report.table_csv) if r["host"] == "AlH3")
    assert row["t_1bar_k"] == row["t_1bar_c"] == ""
    assert "none in range" in report.html_path.read_text(encoding="utf-8")


def test_candidate_with_nan_capacity_stays_in_the_table(tmp_path: Path):
    results = [*RESULTS, step("NaAlH4", "Si", 0.5, 25.0, 118.0, math.nan)]
    report = write_report(rank_candidates(results, CRITERIA), tmp_path, title="nan")
    row = next(r for r in read_rows(report.table_csv) if r["additive"] == "Si" and r["host"] == "NaAlH4")
    assert math.isnan(float(row["h2_wt_pct"]))
    assert row["passes_filters"] == "False"


def test_n_top_larger_than_the_list_shows_every_eligible_candidate(tmp_path: Path, ranked: RankedList):
    report = write_report(ranked, tmp_path, title="all", n_top=50)
    page = report.html_path.read_text(encoding="utf-8")
    assert f"Top {len(ranked.top(50))} eligible candidates" in page
    assert len(ranked.top(50)) == 4


def test_run_report_round_trips_through_json_with_string_paths(report: RunReport):
    as_dict = report.as_dict()
    assert as_dict["html_path"] == str(report.html_path)
    assert RunReport.from_dict(json.loads(json.dumps(as_dict))) == report
