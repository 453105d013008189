"""Relax library phases with an energy source and print lattice errors against experiment.

Usage: python benchmarks/lattice_accuracy.py [--source sevennet] [--tag hydride] [NAME ...]
"""

from __future__ import annotations

import argparse
import time

from screening.energy.cache import ResultCache, default_cache_dir
from screening.energy.phase_results import relax_cached
from screening.energy.relax import RelaxSettings, compare_lattice
from screening.energy.sources import EnergySource
from screening.errors import HydrideScreenError
from structures.library import default_library


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="phases (default: all with an experimental lattice)")
    parser.add_argument("--source", default="sevennet")
    parser.add_argument("--tag", default=None)
    parser.add_argument("--max-atoms", type=int, default=60)
    args = parser.parse_args()
    library = default_library()
    phases = [library.get(n) for n in args.names] or [
        p for p in (library.with_tag(args.tag) if args.tag else library) if p.experimental_lattice or p.is_molecule
    ]
    source, cache = EnergySource(args.source), ResultCache(default_cache_dir())
    print(f"{'phase':<14} {'atoms':>5} {'a %':>7} {'b %':>7} {'c %':>7} {'V %':>7} {'steps':>5} {'s':>6}")
    errors = []
    for phase in phases:
        n_atoms = len(phase.build())
        if n_atoms > args.max_atoms:
            print(f"{phase.name:<14} {n_atoms:>5} skipped (more than {args.max_atoms} atoms)")
            continue
        start = time.perf_counter()
        try:
            result = relax_cached(phase, source, RelaxSettings(), cache).raise_if_rejected()
        except HydrideScreenError as error:
            print(f"{phase.name:<14} {n_atoms:>5} {error}")
            continue
        c = compare_lattice(phase, result)
        errors.append(c.max_abs_error_pct)
        print(
            f"{phase.name:<14} {n_atoms:>5} {c.a_error_pct:>7.2f} {c.b_error_pct:>7.2f} {c.c_error_pct:>7.2f} "
            f"{c.volume_error_pct:>7.2f} {result.steps:>5} {time.perf_counter() - start:>6.1f}"
        )
    if errors:
        within = sum(e < 3.0 for e in errors)
        print(f"{len(errors)} phases; mean max-axis error {sum(errors) / len(errors):.2f} %; {within} within 3 %")


if __name__ == "__main__":
    main()
