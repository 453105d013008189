"""Several models as a second opinion: does the mean of several energy models beat one, and does their spread
predict the error? Reads the per-row results that benchmarks/accuracy.py wrote for each source (run it first
with --source for each, e.g. --static-only for the extra models) and compares them on the rows all share,
for raw enthalpies and for the predictive (leave-reaction-out, model-only corrected) ones.

Usage: python benchmarks/model_ensemble.py [--sources sevennet sevennet-mf sevennet-l3i5] [--mode static]
       [--results-dir benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

RESULTS_DIR = Path(__file__).resolve().parent / "results"
QUANTITIES = {"raw": "raw_kj_per_mol_h2", "predictive": "model_only_lro_kj_per_mol_h2"}


def rows_of(source: str, mode: str, results_dir: Path = RESULTS_DIR) -> dict[str, dict]:
    """The rows accuracy.py wrote for one source, by row id."""
    path = results_dir / ("accuracy.json" if source == "sevennet" else f"accuracy_{source}.json")
    return {r["id"]: r for r in json.loads(path.read_text())["modes"][mode]["rows"]}


def compare(sources: list[str], mode: str, results_dir: Path = RESULTS_DIR) -> dict:
    """Per quantity that every source's rows carry: each model's MAE, the MAE of the models' mean, and how the
    spread relates to the error."""
    by_source = {s: rows_of(s, mode, results_dir) for s in sources}
    ids = sorted(set.intersection(*(set(rows) for rows in by_source.values())))
    reference = np.array([by_source[sources[0]][i]["reference_kj_per_mol_h2"] for i in ids])
    report: dict = {"sources": sources, "mode": mode, "rows": ids}
    for name, key in QUANTITIES.items():
        if not all(key in by_source[s][i] for s in sources for i in ids):
            continue
        values = np.array([[by_source[s][i][key] for i in ids] for s in sources])
        mean, spread = values.mean(axis=0), values.std(axis=0, ddof=1)
        error_first, error_mean = np.abs(values[0] - reference), np.abs(mean - reference)
        report[name] = {
            "mae_by_source_kj_per_mol_h2": {
                s: float(np.mean(np.abs(v - reference))) for s, v in zip(sources, values, strict=True)
            },
            "mae_of_mean_kj_per_mol_h2": float(np.mean(error_mean)),
            "mean_spread_kj_per_mol_h2": float(np.mean(spread)),
            "spearman_spread_vs_error_of_mean": float(spearmanr(spread, error_mean).statistic),
            "spearman_spread_vs_error_of_first": float(spearmanr(spread, error_first).statistic),
            "fraction_of_mean_within_spread": float(np.mean(error_mean <= spread)),
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", nargs="+", default=["sevennet", "sevennet-mf", "sevennet-l3i5"])
    parser.add_argument("--mode", default="static", choices=["static", "with_vibrations"])
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args()
    report = compare(args.sources, args.mode, args.results_dir)
    print(f"{len(report['rows'])} shared rows, {args.mode} energies (kJ/mol H2)")
    for name in (q for q in QUANTITIES if q in report):
        r = report[name]
        maes = ", ".join(f"{s} {m:.1f}" for s, m in r["mae_by_source_kj_per_mol_h2"].items())
        print(f"{name}: MAE {maes}; mean of the models {r['mae_of_mean_kj_per_mol_h2']:.1f}; mean spread "
              f"{r['mean_spread_kj_per_mol_h2']:.1f}; Spearman(spread, |error of mean|) "
              f"{r['spearman_spread_vs_error_of_mean']:.2f}, (spread, |error of {args.sources[0]}|) "
              f"{r['spearman_spread_vs_error_of_first']:.2f}; mean within one spread "
              f"{r['fraction_of_mean_within_spread']:.0%}")  # fmt: skip
    (args.results_dir / "model_ensemble.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
