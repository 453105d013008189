"""Accuracy of reaction enthalpies against the public reference rows, as a user of the default model gets them
and as it predicts reactions it has never seen.

For every reference reaction, dH per mol H2 (kJ), static and with vibrations (phonopy zero point and 298 K
thermal enthalpy):
- raw: the energy model alone;
- model-only: corrections fitted on every training compound, no measured values (what a model-only run reports);
- model-only, leave-reaction-out: corrections (form chosen by leave-one-compound-out) fitted without any
  compound of the row, no measured values;
- experimental-first, as used: measured formation enthalpies wherever the library's polymorph was measured,
  corrections fitted on all of them for the rest (what a screen reports);
- experimental-first, predictive: the row's own compounds taken from the model and left out of every fit and
  of the measured values, the rest as used (how well a reaction without measured data is predicted);
with the sigma of each and where every energy came from. Summaries for all rows, E rows (experimental
reference values) and T rows (the review's DFT values), and by chemistry. Measured values and the corrections'
training set are screening/data/formation_enthalpies.csv only, never the reference rows. Also: the formation
enthalpies of the training compounds left out one at a time for every correction form, and the effect of
dropping each term of the full form. Writes benchmarks/results/accuracy.json (accuracy_<source>.json for
other sources).

Usage: python benchmarks/accuracy.py [--source sevennet] [--static-only] [--reference-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from screening.energy.cache import ResultCache, default_cache_dir
from screening.energy.sources import EnergySource
from screening.errors import HydrideScreenError
from screening.reactions.enthalpy import parse_reaction, reaction_enthalpy
from screening.thermo.corrections import (
    CorrectionForm,
    TrainingData,
    calibrated_scatter_ev,
    form_terms,
    leave_one_out,
    load_training_set,
)
from screening.thermo.model import EnergyModel
from screening.thermo.phase_set import PhaseSet
from screening.thermo.thermochemistry import ThermochemistryMode, build_thermochemistry
from screening.units import EV_TO_KJ_PER_MOL
from structures.library import default_library

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "benchmarks" / "results"
# Chemistry of a row, from its reactants, first match wins.
CHEMISTRIES = (
    ("complex TM hydrides", lambda reactants: bool({"Ni", "Fe", "Co"} & reactants["elements"]) and reactants["H"]),
    ("amides", lambda reactants: "N" in reactants["elements"]),
    ("borohydrides", lambda reactants: "B" in reactants["elements"]),
    ("alanates", lambda reactants: "Al" in reactants["hydride_elements"]),
    ("Mg alloys", lambda reactants: True),
)
MODES = ("raw", "model_only", "model_only_lro", "as_used", "predictive")


@dataclass
class ReferenceRow:
    """One public reference reaction."""

    id: str
    reaction: str
    dh_kj_per_mol_h2: float
    kind: str  # E: experimental, T: theoretical (the review's DFT value)

    @property
    def chemistry(self) -> str:
        """Mg alloys, borohydrides, amides, alanates or complex TM hydrides."""
        reactants = parse_reaction(self.reaction).reactants
        elements = {el.symbol for c in reactants for el in c}
        hydrides = {el.symbol for c in reactants if "H" in {e.symbol for e in c} for el in c}
        facts = {"elements": elements, "hydride_elements": hydrides, "H": "H" in elements}
        return next(name for name, matches in CHEMISTRIES if matches(facts))


def read_rows(path: Path) -> list[dict[str, str]]:
    """A CSV with '#' comment lines."""
    with path.open() as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def missing_phases(reaction: str) -> list[str]:
    """The solids of the reaction that the library cannot build."""
    library = default_library()
    missing = []
    for composition in parse_reaction(reaction).all_comp:
        formula = composition.reduced_formula
        if formula == "H2":
            continue
        try:
            library.get(formula)
        except HydrideScreenError:
            missing.append(formula)
    return missing


def compounds_of(reaction: str) -> set[str]:
    """Reduced formulas of the reaction's compounds (elements and H2 are references, never fitted)."""
    return {c.reduced_formula for c in parse_reaction(reaction).all_comp if len(c) > 1}


def evaluate_row(row: ReferenceRow, phase_set: PhaseSet, as_used, model_only) -> dict:
    """One row in every mode, with sigmas and energy origins."""
    own = compounds_of(row.reaction)
    chemistry = {
        "raw": None,
        "model_only": model_only,
        "model_only_lro": build_thermochemistry(phase_set, ThermochemistryMode.MODEL_ONLY, exclude_formulas=own),
        "as_used": as_used,
        "predictive": build_thermochemistry(phase_set, exclude_formulas=own),
    }
    out = {"id": row.id, "reaction": row.reaction, "kind": row.kind, "chemistry": row.chemistry,
           "reference_kj_per_mol_h2": row.dh_kj_per_mol_h2}  # fmt: skip
    for mode, thermo in chemistry.items():
        dh = reaction_enthalpy(row.reaction, phase_set, thermo)
        out[f"{mode}_kj_per_mol_h2"] = dh.dh_kj_per_mol_h2
        out[f"{mode}_sigma_kj_per_mol_h2"] = dh.sigma_kj_per_mol_h2
        if mode in ("as_used", "predictive"):
            out[f"{mode}_energy_origins"] = list(dh.energy_origins)
            out[f"{mode}_uncalibrated_terms"] = list(dh.uncalibrated_terms)
    return out


def metrics(rows: list[dict], mode: str) -> dict[str, float]:
    """MAE, max error, mean signed error, Spearman rank correlation and the fraction within one sigma."""
    predicted = np.array([r[f"{mode}_kj_per_mol_h2"] for r in rows])
    reference = np.array([r["reference_kj_per_mol_h2"] for r in rows])
    sigmas = np.array([r[f"{mode}_sigma_kj_per_mol_h2"] for r in rows])
    errors = predicted - reference
    return {
        "n": len(rows),
        "mae_kj_per_mol_h2": float(np.mean(np.abs(errors))),
        "max_error_kj_per_mol_h2": float(np.max(np.abs(errors))),
        "mean_signed_error_kj_per_mol_h2": float(np.mean(errors)),
        "spearman": float(spearmanr(predicted, reference).statistic) if len(rows) > 2 else float("nan"),
        "fraction_within_1_sigma": float(np.mean(np.abs(errors) <= sigmas)) if mode != "raw" else float("nan"),
    }


def summaries(rows: list[dict]) -> dict[str, dict[str, dict[str, float]]]:
    """Metrics of every mode for all rows, E rows, T rows and each chemistry."""
    groups = {"all": rows}
    groups |= {f"{kind} rows": [r for r in rows if r["kind"] == kind] for kind in ("E", "T")}
    for name, _ in CHEMISTRIES:
        groups[name] = [r for r in rows if r["chemistry"] == name]
    return {group: {mode: metrics(members, mode) for mode in MODES} for group, members in groups.items() if members}


def formation_enthalpies_left_out(phase_set: PhaseSet) -> dict:
    """Per correction form, each training compound predicted by a fit without it (kJ/mol per f.u.); and per
    term of the full form, how the leave-one-compound-out MAE changes when that term alone is dropped."""
    data = TrainingData.of(phase_set, load_training_set())
    present = sorted({t for f in data.features for t in f})
    report: dict = {"compounds": data.phases, "forms": {}, "drop_one_term": {}}
    for form in (f for f in CorrectionForm if f is not CorrectionForm.AUTO):
        terms = form_terms(form, present)
        scatter = calibrated_scatter_ev(data, terms)
        residuals, _ = leave_one_out(data, terms, scatter)
        report["forms"][form.value] = {
            "mae_kj_per_mol": float(np.mean(np.abs(residuals))) * EV_TO_KJ_PER_MOL,
            "scatter_kj_per_mol_per_atom": scatter * EV_TO_KJ_PER_MOL,
            "residuals_kj_per_mol": dict(zip(data.phases, (residuals * EV_TO_KJ_PER_MOL).tolist(), strict=True)),
        }
    full = report["forms"]["full"]["mae_kj_per_mol"]
    for term in present:
        terms = [t for t in present if t != term]
        residuals, _ = leave_one_out(data, terms, calibrated_scatter_ev(data, terms))
        report["drop_one_term"][term] = float(np.mean(np.abs(residuals))) * EV_TO_KJ_PER_MOL - full
    report["raw_mae_kj_per_mol"] = float(np.mean(np.abs(data.targets_ev))) * EV_TO_KJ_PER_MOL
    return report


def print_mode(mode: str, rows: list[dict], summary: dict, left_out: dict, scheme_text: str) -> None:
    """The per-row table, the summaries and the training compounds left out, for one energy mode."""
    print(f"\n== {mode} (kJ/mol H2; model = model-only, LRO = its leave-reaction-out; "
          "used = experimental-first as used, pred = predictive) ==")  # fmt: skip
    print(f"{'id':<14} {'kind':<4} {'ref':>6} {'raw':>7} {'model':>7} {'LRO':>7} {'used':>7} {'+-':>5} "
          f"{'pred':>7} {'+-':>5}  measured phases (as used)")  # fmt: skip
    for r in rows:
        measured = [o.split(":")[0] for o in r["as_used_energy_origins"] if ": experiment" in o]
        print(
            f"{r['id']:<14} {r['kind']:<4} {r['reference_kj_per_mol_h2']:>6.1f} {r['raw_kj_per_mol_h2']:>7.1f} "
            f"{r['model_only_kj_per_mol_h2']:>7.1f} {r['model_only_lro_kj_per_mol_h2']:>7.1f} "
            f"{r['as_used_kj_per_mol_h2']:>7.1f} "
            f"{r['as_used_sigma_kj_per_mol_h2']:>5.1f} {r['predictive_kj_per_mol_h2']:>7.1f} "
            f"{r['predictive_sigma_kj_per_mol_h2']:>5.1f}  {', '.join(measured) or '-'}"
        )
    for group, by_mode in summary.items():
        print(f"-- {group} ({by_mode['raw']['n']} rows)")
        for name, m in by_mode.items():
            within = "" if name == "raw" else f"  within 1 sigma {m['fraction_within_1_sigma']:.0%}"
            print(f"   {name:<15} MAE {m['mae_kj_per_mol_h2']:5.1f}  max {m['max_error_kj_per_mol_h2']:5.1f}  "
                  f"mean signed {m['mean_signed_error_kj_per_mol_h2']:+6.1f}  "
                  f"Spearman {m['spearman']:5.2f}{within}")  # fmt: skip
    print(f"formation enthalpies of {len(left_out['compounds'])} training compounds (kJ/mol per f.u.): raw MAE "
          f"{left_out['raw_mae_kj_per_mol']:.1f}; leave-one-compound-out MAE by form: "
          + ", ".join(f"{f} {v['mae_kj_per_mol']:.1f}" for f, v in left_out["forms"].items()))  # fmt: skip
    effects = sorted(left_out["drop_one_term"].items(), key=lambda item: item[1])
    print("dropping one term from the full form changes that MAE by: " + ", ".join(f"{t} {d:+.1f}" for t, d in effects))
    print(scheme_text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="sevennet")
    parser.add_argument("--static-only", action="store_true", help="skip phonons (fast mode)")
    parser.add_argument("--reference-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--cache", type=Path, default=default_cache_dir())
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    started = time.perf_counter()

    rows, skipped = [], {}
    for raw in read_rows(args.reference_dir / "reference_reactions.csv"):
        row = ReferenceRow(raw["id"], raw["reaction"], float(raw["dH_kJ_per_mol_H2"]), raw["kind"])
        if missing := missing_phases(row.reaction):
            skipped[row.id] = f"not in the phase library: {', '.join(missing)}"
        else:
            rows.append(row)
    library = default_library()
    reaction_phases = {library.get(c.reduced_formula) for r in rows for c in parse_reaction(r.reaction).all_comp
                       if c.reduced_formula != "H2"}  # fmt: skip
    model = EnergyModel(EnergySource(args.source), with_vibrations=not args.static_only)
    computed = model.compute(
        reaction_phases, ResultCache(args.cache), progress=lambda name: logging.info("computing %s", name)
    )
    failed = computed.failed
    for row in list(rows):
        if lost := sorted(compounds_of(row.reaction) & {library.get(n).formula for n in failed if n in library}):
            skipped[row.id] = f"phase failed: {', '.join(lost)}"
            rows.remove(row)
    report: dict = {"energy_source": model.source.id, "failed_phases": failed, "skipped_rows": skipped, "modes": {}}
    modes = [("static", False)] + ([] if args.static_only else [("with_vibrations", True)])
    for mode, with_vibrations in modes:
        phase_set = PhaseSet.of(computed.phase_set.results, with_vibrations)
        as_used = build_thermochemistry(phase_set)
        model_only = build_thermochemistry(phase_set, ThermochemistryMode.MODEL_ONLY)
        evaluated = [evaluate_row(row, phase_set, as_used, model_only) for row in rows]
        summary = summaries(evaluated)
        left_out = formation_enthalpies_left_out(phase_set)
        print_mode(mode, evaluated, summary, left_out, as_used.corrections.summary())
        report["modes"][mode] = {"rows": evaluated, "summary": summary, "formation_enthalpies_left_out": left_out,
                                 "corrections": as_used.corrections.summary(),
                                 "experimental_formulas": as_used.experimental_formulas}  # fmt: skip
    headline = "static" if args.static_only else "with_vibrations"
    summary = report["modes"][headline]["summary"]
    report |= {
        "headline_mode": headline,
        "leave_reaction_out_mae": summary["all"]["predictive"]["mae_kj_per_mol_h2"],
        "model_only_leave_reaction_out_mae": summary["all"]["model_only_lro"]["mae_kj_per_mol_h2"],
        "model_only_mae": summary["all"]["model_only"]["mae_kj_per_mol_h2"],
        "as_used_mae": summary["all"]["as_used"]["mae_kj_per_mol_h2"],
        "as_used_mae_experimental_rows": summary.get("E rows", {}).get("as_used", {}).get("mae_kj_per_mol_h2"),
        "within_1_sigma": summary["all"]["predictive"]["fraction_within_1_sigma"],
        "as_used_within_1_sigma": summary["all"]["as_used"]["fraction_within_1_sigma"],
        "n_rows": len(rows),
        "wall_time_s": time.perf_counter() - started,
    }
    print(f"\nrows {len(rows)}; skipped: " + "; ".join(f"{k} ({v})" for k, v in skipped.items()))
    print(f"headline ({headline}): predictive leave-reaction-out MAE {report['leave_reaction_out_mae']:.1f}, "
          f"as used {report['as_used_mae']:.1f} (E rows {report['as_used_mae_experimental_rows']:.1f}), "
          f"within 1 sigma {report['within_1_sigma']:.0%} kJ/mol H2; "
          f"wall time {report['wall_time_s']:.0f} s")  # fmt: skip
    results = RESULTS_DIR / ("accuracy.json" if args.source == "sevennet" else f"accuracy_{args.source}.json")
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
