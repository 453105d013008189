"""Which public reference reactions the library can compute: for each row of reference_reactions.csv and
reference_anodes.csv, every solid must be a library phase (by formula). Prints each row as computable (with the
phases that are not measured structures: `searched`, `model`, `generated`) or with the formulas it lacks and the
reason recorded here. Needs no energy model.

Usage: python benchmarks/reference_coverage.py [--reference-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from screening.errors import HydrideScreenError
from screening.reactions.enthalpy import parse_reaction
from structures.library import default_library

ROOT = Path(__file__).resolve().parents[1]
NOT_MEASURED = ("searched", "model", "generated")
# Why a phase is not in the library (checked against the library on every run: a listed formula that has
# since been added is reported as computable).
MISSING_BECAUSE = {
    "Mg2Al3": (
        "beta-Mg2Al3 (cubic, Fd-3m) has over a thousand atoms in its cell, with partly occupied and disordered "
        "sites; no ordered approximant small enough to relax and published with coordinates was at hand, and the "
        "structure search (ions and rigid anions, at most a few dozen atoms) cannot stand in for a complex "
        "intermetallic of that size"
    ),
}


def read_rows(path: Path) -> list[dict[str, str]]:
    """A CSV with '#' comment lines."""
    with path.open() as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def coverage(reaction: str) -> tuple[list[str], list[str]]:
    """(library phase names with their non-measured tags, formulas missing from the library) of a reaction."""
    library = default_library()
    found, missing = [], []
    for composition in parse_reaction(reaction).all_comp:
        formula = composition.reduced_formula
        if formula == "H2":
            continue
        try:
            phase = library.get(formula)
        except HydrideScreenError:
            missing.append(formula)
            continue
        tags = [t for t in phase.tags if t in NOT_MEASURED]
        found.append(f"{phase.name} ({', '.join(tags)})" if tags else phase.name)
    return found, missing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference-dir", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    rows = [(f"reactions/{r['id']}", r["reaction"]) for r in read_rows(args.reference_dir / "reference_reactions.csv")]
    rows += [(f"anodes/{r['id']}", r["reaction"]) for r in read_rows(args.reference_dir / "reference_anodes.csv")]
    computable = 0
    for row_id, reaction in rows:
        found, missing = coverage(reaction)
        if missing:
            reasons = "; ".join(f"{f}: {MISSING_BECAUSE.get(f, 'not in the library')}" for f in missing)
            print(f"{row_id:<22} NOT computable: {reasons}")
            continue
        computable += 1
        unmeasured = [name for name in found if "(" in name]
        print(f"{row_id:<22} computable" + (f"; not measured: {', '.join(unmeasured)}" if unmeasured else ""))
    print(f"{computable} of {len(rows)} reference rows computable")


if __name__ == "__main__":
    main()
