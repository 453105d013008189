"""Accuracy of reaction enthalpies against the public reference rows, with the default energy model.

For every reference reaction whose phases the library can build, prints dH per mol H2: raw,
corrected (corrections fitted on the whole training set), corrected leave-reaction-out (refit
without every compound of that reaction), each static and with vibrations (phonopy zero point and
298 K thermal enthalpy), and the MgH2 anode voltage. Corrections are fitted only on
screening/data/formation_enthalpies.csv, never on the reference rows. Writes
benchmarks/results/accuracy.json (accuracy_<source>.json for other sources).

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
from screening.thermo.corrections import correction_features, fit_corrections, load_training_set
from screening.thermo.model import EnergyModel
from screening.thermo.phase_set import PhaseSet
from screening.units import EV_TO_KJ_PER_MOL
from structures.library import default_library

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "benchmarks" / "results"


@dataclass
class ReferenceRow:
    """One public reference reaction."""

    id: str
    reaction: str
    dh_kj_per_mol_h2: float


def read_rows(path: Path) -> list[dict[str, str]]:
    """A CSV with '#' comment lines."""
    with path.open() as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def buildable_phases(reaction: str) -> list[str] | None:
    """Library phase names for every solid of the reaction, or None if one is not in the library."""
    library = default_library()
    names = []
    for composition in parse_reaction(reaction).all_comp:
        formula = composition.reduced_formula
        if formula == "H2":
            continue
        try:
            names.append(library.get(formula).name)
        except HydrideScreenError:
            return None
    return names


def metrics(predicted: list[float], reference: list[float], sigmas: list[float] | None = None) -> dict[str, float]:
    """MAE, max error, Spearman rank correlation and, with sigmas, the fraction within one sigma."""
    errors = np.array(predicted) - np.array(reference)
    result = {
        "mae_kj_per_mol_h2": float(np.mean(np.abs(errors))),
        "max_error_kj_per_mol_h2": float(np.max(np.abs(errors))),
        "spearman": float(spearmanr(predicted, reference).statistic),
        "mean_signed_error_kj_per_mol_h2": float(np.mean(errors)),
    }
    if sigmas is not None:
        result["fraction_within_1_sigma"] = float(np.mean(np.abs(errors) <= np.array(sigmas)))
    return result


def evaluate(phase_set: PhaseSet, rows: list[ReferenceRow], training) -> tuple[list[dict], dict]:
    """Every row raw, corrected (fit on all) and leave-reaction-out, plus the fitted scheme."""
    scheme_all = fit_corrections(phase_set, training)
    out = []
    for row in rows:
        fitted = reaction_enthalpy(row.reaction, phase_set, scheme_all)
        own = {phase_set.get(n).formula for n in fitted.phases}
        held_out_scheme = fit_corrections(phase_set, training, exclude_formulas=own, terms=scheme_all.terms)
        held_out = reaction_enthalpy(row.reaction, phase_set, held_out_scheme)
        trained = {
            term for name in held_out_scheme.training_phases for term in correction_features(phase_set.get(name))
        }
        reaction_terms = {term for name in fitted.phases for term in correction_features(phase_set.get(name))}
        out.append(
            {
                "id": row.id,
                "reaction": row.reaction,
                "reference_kj_per_mol_h2": row.dh_kj_per_mol_h2,
                "raw_kj_per_mol_h2": fitted.dh_raw_kj_per_mol_h2,
                "corrected_all_kj_per_mol_h2": fitted.dh_kj_per_mol_h2,
                "corrected_leave_reaction_out_kj_per_mol_h2": held_out.dh_kj_per_mol_h2,
                "sigma_leave_reaction_out_kj_per_mol_h2": held_out.sigma_kj_per_mol_h2,
                "training_compounds_left_out": sorted(own & set(scheme_all.training_phases)),
                "terms_without_data_leave_reaction_out": sorted(reaction_terms - trained),
            }
        )
    return out, {"terms": scheme_all.summary(), "training": scheme_all.training_phases}


def formation_enthalpy_leave_one_out(phase_set: PhaseSet, training) -> list[dict]:
    """Each computed training compound's formation enthalpy predicted by a fit without it (kJ/mol)."""
    terms = fit_corrections(phase_set, training).terms
    computed = {r.name for r in phase_set.results}
    rows = []
    for compound in (t for t in training if t.phase in computed):
        result = phase_set.get(compound.phase)
        raw = phase_set.formation_enthalpy_ev_per_formula_unit(result) * EV_TO_KJ_PER_MOL
        held_out = fit_corrections(phase_set, training, exclude_formulas={result.formula}, terms=terms)
        predicted = raw + held_out.correction_ev(result) * EV_TO_KJ_PER_MOL
        rows.append({"phase": compound.phase, "experiment_kj_per_mol": compound.dhf_kj_per_mol, "raw_kj_per_mol": raw,
                     "leave_one_out_kj_per_mol": predicted})  # fmt: skip
    return rows


def anode_voltage_v(phase_set: PhaseSet) -> float:
    """Average voltage vs Li/Li+ of MgH2 + 2 Li -> Mg + 2 LiH from the same energies (static)."""
    dh_ev = 2 * phase_set.formation_enthalpy_ev_per_formula_unit(phase_set.get("LiH"))
    dh_ev -= phase_set.formation_enthalpy_ev_per_formula_unit(phase_set.get("MgH2"))
    return -dh_ev / 2


def summarise(mode: str, evaluated: list[dict]) -> dict:
    """Metrics of one mode over all rows."""
    reference = [r["reference_kj_per_mol_h2"] for r in evaluated]
    return {
        "mode": mode,
        "raw": metrics([r["raw_kj_per_mol_h2"] for r in evaluated], reference),
        "corrected_all": metrics([r["corrected_all_kj_per_mol_h2"] for r in evaluated], reference),
        "leave_reaction_out": metrics(
            [r["corrected_leave_reaction_out_kj_per_mol_h2"] for r in evaluated],
            reference,
            [r["sigma_leave_reaction_out_kj_per_mol_h2"] for r in evaluated],
        ),
    }


def print_table(mode: str, evaluated: list[dict], summary: dict) -> None:
    """The per-row table and the metrics of one mode."""
    print(f"\n== {mode} (kJ/mol H2) ==")
    print(f"{'id':<14} {'ref':>6} {'raw':>7} {'corr':>7} {'LRO':>7} {'sigma':>6}  reaction")
    for r in evaluated:
        print(
            f"{r['id']:<14} {r['reference_kj_per_mol_h2']:>6.1f} {r['raw_kj_per_mol_h2']:>7.1f} "
            f"{r['corrected_all_kj_per_mol_h2']:>7.1f} {r['corrected_leave_reaction_out_kj_per_mol_h2']:>7.1f} "
            f"{r['sigma_leave_reaction_out_kj_per_mol_h2']:>6.1f}  {r['reaction']}"
            + (f"  [no data: {', '.join(r['terms_without_data_leave_reaction_out'])}]"
               if r["terms_without_data_leave_reaction_out"] else "")
        )  # fmt: skip
    for key in ("raw", "corrected_all", "leave_reaction_out"):
        m = summary[key]
        within = f", within 1 sigma {m['fraction_within_1_sigma']:.0%}" if "fraction_within_1_sigma" in m else ""
        print(
            f"{key:<20} MAE {m['mae_kj_per_mol_h2']:5.1f}  max {m['max_error_kj_per_mol_h2']:5.1f}  "
            f"mean signed {m['mean_signed_error_kj_per_mol_h2']:+5.1f}  Spearman {m['spearman']:.2f}{within}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="sevennet")
    parser.add_argument("--static-only", action="store_true", help="skip phonons (fast mode)")
    parser.add_argument("--reference-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--cache", type=Path, default=default_cache_dir())
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    started = time.perf_counter()

    rows, skipped = [], []
    for raw in read_rows(args.reference_dir / "reference_reactions.csv"):
        (rows if buildable_phases(raw["reaction"]) is not None else skipped).append(
            ReferenceRow(raw["id"], raw["reaction"], float(raw["dH_kJ_per_mol_H2"]))
        )
    library = default_library()
    training = [t for t in load_training_set() if t.phase in library]
    reaction_phases = {library.get(n) for r in rows for n in buildable_phases(r.reaction)}
    model = EnergyModel(EnergySource(args.source), with_vibrations=not args.static_only)
    computed = model.compute(
        reaction_phases, ResultCache(args.cache), progress=lambda name: logging.info("computing %s", name)
    )
    phase_set, failed = computed.phase_set, computed.failed
    results = phase_set.results
    uncomputed = [r for r in rows if set(buildable_phases(r.reaction)) & set(failed)]
    for row in uncomputed:
        logging.warning("row %s skipped: a phase failed (%s)", row.id, ", ".join(sorted(failed)))
    rows = [r for r in rows if r not in uncomputed]
    skipped += uncomputed
    report: dict = {
        "energy_source": model.source.id,
        "failed_phases": failed,
        "skipped_rows": [r.id for r in skipped],
        "modes": {},
    }
    modes = [("static", False)] + ([] if args.static_only else [("with_vibrations", True)])
    for mode, with_vibrations in modes:
        phase_set = PhaseSet.of(results, with_vibrations)
        evaluated, scheme = evaluate(phase_set, rows, training)
        summary = summarise(mode, evaluated)
        print_table(mode, evaluated, summary)
        print(scheme["terms"])
        loo = formation_enthalpy_leave_one_out(phase_set, training)
        errors = [r["leave_one_out_kj_per_mol"] - r["experiment_kj_per_mol"] for r in loo]
        raw_errors = [r["raw_kj_per_mol"] - r["experiment_kj_per_mol"] for r in loo]
        print(f"formation enthalpies ({len(loo)} compounds): raw MAE {np.mean(np.abs(raw_errors)):.1f}, "
              f"leave-one-compound-out MAE {np.mean(np.abs(errors)):.1f} kJ/mol per formula unit")  # fmt: skip
        for r, e in zip(loo, errors, strict=True):
            print(f"  {r['phase']:<10} exp {r['experiment_kj_per_mol']:8.1f} raw {r['raw_kj_per_mol']:8.1f} "
                  f"LOO {r['leave_one_out_kj_per_mol']:8.1f} ({e:+.1f})")  # fmt: skip
        report["modes"][mode] = {
            "rows": evaluated, "summary": summary, "corrections": scheme, "formation_enthalpy_leave_one_out": loo,
            "formation_enthalpy_leave_one_out_mae_kj_per_mol": float(np.mean(np.abs(errors))),
        }  # fmt: skip
    headline = "with_vibrations" if not args.static_only else "static"
    static_set = PhaseSet.of(results, False)
    report["mgh2_anode_voltage_v"] = {"computed": anode_voltage_v(static_set), "reference": 0.5}
    report["headline_mode"] = headline
    report["leave_reaction_out_mae"] = report["modes"][headline]["summary"]["leave_reaction_out"]["mae_kj_per_mol_h2"]
    report["n_rows"] = len(rows)
    report["wall_time_s"] = time.perf_counter() - started
    print(f"\nMgH2 anode voltage {report['mgh2_anode_voltage_v']['computed']:.3f} V (reference ~0.5 V)")
    print(f"rows {len(rows)} (skipped, phases not in the library or not computed: {', '.join(r.id for r in skipped)})")
    print(f"headline ({headline}) leave-reaction-out MAE {report['leave_reaction_out_mae']:.1f} kJ/mol H2")
    print(f"1 eV per formula unit = {EV_TO_KJ_PER_MOL:.3f} kJ/mol; wall time {report['wall_time_s']:.0f} s")
    results = RESULTS_DIR / ("accuracy.json" if args.source == "sevennet" else f"accuracy_{args.source}.json")
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
