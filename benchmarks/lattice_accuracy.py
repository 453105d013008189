"""Relax library phases with an energy source and print lattice errors against experiment.

Every library phase is covered: measured phases against their experimental lattice; `searched` phases (no
measurement) against the cell their structure search found, marked `searched`, so the column shows how far the
source moves them; those are left out of the summary line, which is about experiment only. The last column says
what the entry's data rest on: a search record, a model or generated structure, a cited source that was found
unverifiable against a second one, or a cited source; a tally of these ends the table.

Usage: python benchmarks/lattice_accuracy.py [--source sevennet] [--tag hydride] [--max-atoms N] [NAME ...]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from screening.energy.cache import ResultCache, default_cache_dir
from screening.energy.phase_results import relax_cached
from screening.energy.relax import LatticeComparison, RelaxationResult, RelaxSettings, compare_lattice
from screening.energy.sources import EnergySource
from screening.errors import HydrideScreenError
from structures.crystallography import strained_lattice_parameters
from structures.library import default_library
from structures.phase import Phase


def provenance(phase: Phase) -> str:
    """What an entry's structure rests on, in a word: its search record, a model or generated structure, or a
    cited source (marked unverified where no second source could be found)."""
    for tag, word in (("searched", "search record"), ("model", "model"), ("generated", "generated")):
        if tag in phase.tags:
            return word
    return "cited, unverified" if phase.source_check.startswith("unverified") else "cited"


def compare_to_searched_cell(phase: Phase, result: RelaxationResult) -> LatticeComparison:
    """Relaxed against the stored (searched, computed) lattice of a phase without a measured one, in percent."""
    stored = phase.recipe.lattice
    relaxed = strained_lattice_parameters(stored, result.initial_structure.lattice, result.structure.lattice)
    before, after = stored.to_lattice(), relaxed.to_lattice()
    return LatticeComparison(
        phase.name,
        *(100.0 * (r / e - 1.0) for r, e in zip(after.abc, before.abc, strict=True)),
        100.0 * (after.volume / before.volume - 1.0),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="phases (default: every library phase)")
    parser.add_argument("--source", default="sevennet")
    parser.add_argument("--tag", default=None)
    parser.add_argument("--max-atoms", type=int, default=None, help="skip cells larger than this (default: none)")
    args = parser.parse_args()
    library = default_library()
    phases = [library.get(n) for n in args.names] or list(library.with_tag(args.tag) if args.tag else library)
    source, cache = EnergySource(args.source), ResultCache(default_cache_dir())
    print(f"{'phase':<14} {'atoms':>5} {'a %':>7} {'b %':>7} {'c %':>7} {'V %':>7} {'steps':>5} {'s':>6}  data")
    errors = []
    tally = Counter(provenance(phase) for phase in phases)
    for phase in phases:
        n_atoms = len(phase.build())
        if args.max_atoms is not None and n_atoms > args.max_atoms:
            print(f"{phase.name:<14} {n_atoms:>5} skipped (more than {args.max_atoms} atoms)")
            continue
        start = time.perf_counter()
        try:
            result = relax_cached(phase, source, RelaxSettings(), cache).raise_if_rejected()
        except HydrideScreenError as error:
            print(f"{phase.name:<14} {n_atoms:>5} {error}")
            continue
        searched = phase.experimental_lattice is None and not phase.is_molecule
        c = compare_to_searched_cell(phase, result) if searched else compare_lattice(phase, result)
        if not searched:
            errors.append(c.max_abs_error_pct)
        print(
            f"{phase.name:<14} {n_atoms:>5} {c.a_error_pct:>7.2f} {c.b_error_pct:>7.2f} {c.c_error_pct:>7.2f} "
            f"{c.volume_error_pct:>7.2f} {result.steps:>5} {time.perf_counter() - start:>6.1f}  {provenance(phase)}"
            + (" (against the searched cell)" if searched else "")
        )
    if errors:
        within = sum(e < 3.0 for e in errors)
        print(f"{len(errors)} phases; mean max-axis error {sum(errors) / len(errors):.2f} %; {within} within 3 %")
    print("data: " + ", ".join(f"{count} {word}" for word, count in tally.most_common()))


if __name__ == "__main__":
    main()
