"""Validate the structure search: from the formula alone, does it find the known structures it is not given?

For LiBH4 (Pnma), NaAlH4 (I4_1/a), LiNH2 (I-4), Mg2FeH6 (Fm-3m) and NaBH4 (P4_2/nmc, the ordered low-temperature
phase) it runs `structures.search.search` with the same settings for each (no space group, no isotype, cells of
1, 2 or 4 formula units up to 24 atoms), relaxes the best hit tightly, relaxes the library's experimental structure
with the same tight settings, and prints the energy difference (meV/atom, negative: the search went lower), the
space group found, whether it matches the experimental structure (StructureMatcher), and the time. The 'model gap'
column says where a miss comes from: the experimental structure's energy in the rigid-unit model that ranks the
candidates, minus that of the best hit (eV per formula unit). Negative: the model prefers the experimental structure,
so the generator never produced it; positive: the model ranks it wrongly. 'kept' is the experimental structure's
rank among the hits the search kept (0: not among them), so a search that went below it still says whether it found
it.

The 24 lowest candidates in the rigid-unit model get 15 relaxation steps and the 8 lowest after them are relaxed
fully (--screened 0: the 8 lowest in the rigid-unit model are, results in structure_search_unscreened.json).

Usage: python benchmarks/structure_search.py [--source sevennet] [--screened 24] [--relaxed 8] [--generated 150]
       [--chains 6] [NAME ...]
Searches and relaxations are cached (`$HYDRIDE_SCREEN_CACHE`), so a second run only prints.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from screening.energy.cache import ResultCache, default_cache_dir
from screening.energy.phase_results import relax_cached
from screening.energy.search import (
    SEARCH_RELAX_SETTINGS,
    SEARCH_SCREEN_SETTINGS,
    TIGHT_RELAX_SETTINGS,
    relax_function,
    relax_key,
)
from screening.energy.sources import EnergySource
from structures.library import default_library, get_phase
from structures.search import SearchSpec, rigid_unit_energy_per_fu, search

TARGETS = {
    "LiBH4": {"Li": 1, "BH4": 1},
    "NaAlH4": {"Na": 1, "AlH4": 1},
    "LiNH2": {"Li": 1, "NH2": 1},
    "Mg2FeH6": {"Mg": 2, "FeH6": 1},
    "NaBH4": {"Na": 1, "BH4": 1},
}
RESULTS = Path(__file__).parent / "results" / "structure_search.json"
IONIC_TAGS = {"hydride", "nitride", "complex-hydride"}


def library_prior() -> tuple[tuple[int, float], ...]:
    """Space-group counts of the training set: the library's ionic phases with measured structures (hydrides,
    nitrides, complex hydrides; no model or searched ones), the five validation phases held out."""
    counts = Counter(
        SpacegroupAnalyzer(phase.build(), symprec=0.01).get_space_group_number()
        for phase in default_library()
        if IONIC_TAGS & set(phase.tags) and not {"model", "searched"} & set(phase.tags) and phase.name not in TARGETS
    )
    return tuple(sorted((number, float(n)) for number, n in counts.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", default=list(TARGETS))
    parser.add_argument("--source", default="sevennet")
    parser.add_argument("--generated", type=int, default=150)
    parser.add_argument("--relaxed", type=int, default=8)
    steps = SEARCH_SCREEN_SETTINGS.max_steps
    parser.add_argument("--screened", type=int, default=24,
                        help=f"candidates given {steps} steps before the --relaxed lowest are (0: none)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--prior", choices=("none", "library"), default="none",
                        help="draw half the space groups by their frequency in the library's ionic phases")  # fmt: skip
    parser.add_argument("--chains", type=int, default=0, help="basin-hopping chains of 200 hops (off by default)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on a busy 2-core box)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    source = EnergySource(args.source)
    cache = ResultCache(default_cache_dir())
    matcher = StructureMatcher(ltol=0.2, stol=0.3, angle_tol=5)
    tight = relax_function(source, TIGHT_RELAX_SETTINGS)
    header = f"{'phase':<9} {'dE meV/atom':>11} {'found':<12} {'expected':<10} {'match':<5} {'relaxed':>7} {'s':>7}"
    print(f"{header} {'model gap':>9} {'kept':>4}")
    rows = []
    prior = library_prior() if args.prior == "library" else ()
    variant = "_prior" * bool(prior) + "_chains" * bool(args.chains) + "_unscreened" * (args.screened <= args.relaxed)
    results = RESULTS.with_name(f"structure_search{variant}.json")
    if prior:
        print("space-group prior (number: count):", ", ".join(f"{g}: {n:.0f}" for g, n in prior))
    for name in args.names:
        spec = SearchSpec(
            TARGETS[name], formula_units=(1, 2, 4), max_atoms=24, n_generated=args.generated,
            n_relaxed=args.relaxed, n_screened=args.screened, n_chains=args.chains, seed=args.seed,
            space_group_prior=prior,
        )  # fmt: skip
        screen = SEARCH_SCREEN_SETTINGS if args.screened > args.relaxed else None
        result = search(
            spec, relax_function(source, SEARCH_RELAX_SETTINGS), relax_key(source, SEARCH_RELAX_SETTINGS, screen),
            screen=None if screen is None else relax_function(source, screen),
        )  # fmt: skip
        start = time.perf_counter()
        polished = tight(result.best.structure) or (result.best.energy_per_atom_ev * len(result.best.structure),
                                                   result.best.structure)  # fmt: skip
        seconds = result.seconds + time.perf_counter() - start  # the search as first run, plus the final relaxation
        found_ev = polished[0] / len(polished[1])
        phase = get_phase(name)
        experimental = relax_cached(phase, source, TIGHT_RELAX_SETTINGS, cache)
        reference_ev = experimental.energy_per_atom_ev
        found_sg = SpacegroupAnalyzer(polished[1], symprec=0.05).get_space_group_symbol()
        reference_sg = SpacegroupAnalyzer(experimental.structure, symprec=0.05).get_space_group_symbol()
        match = matcher.fit(polished[1], experimental.structure)
        # the experimental structure's rank among the kept hits (0 when none is it): found, if not lowest
        kept = next((i for i, hit in enumerate(result.hits, 1) if matcher.fit(hit.structure, phase.build())), 0)
        delta = 1000 * (found_ev - reference_ev)
        model_found, model_experiment = (rigid_unit_energy_per_fu(s, spec) for s in (polished[1], phase.build()))
        gap = None if model_found is None or model_experiment is None else model_experiment - model_found
        rows.append({
            "phase": name, "delta_mev_per_atom": delta, "found_space_group": found_sg,
            "experimental_space_group": reference_sg, "matches_experiment": bool(match),
            "experiment_rank_in_kept": kept, "relaxed": result.n_relaxed, "screened": result.n_screened,
            "rejected": result.n_rejected, "seconds": seconds, "origin": result.best.origin,
            "energy_source": source.id, "cache_key": result.cache_key, "model_gap_ev_per_fu": gap,
        })  # fmt: skip
        print(
            f"{name:<9} {delta:>11.1f} {found_sg:<12} {reference_sg:<10} {'yes' if match else 'no':<5} "
            f"{result.n_relaxed:>7} {seconds:>7.0f} {'-' if gap is None else f'{gap:+.3f}':>9} {kept:>4}",
            flush=True,
        )
        stored = json.loads(results.read_text()) if results.is_file() else {}
        stored[name] = rows[-1]  # one row per phase, kept across runs of single phases
        results.parent.mkdir(exist_ok=True)
        results.write_text(json.dumps(stored, indent=1))
    within = sum(abs(r["delta_mev_per_atom"]) <= 5.0 or r["delta_mev_per_atom"] < 0 for r in rows)
    print(f"{within} of {len(rows)} within 5 meV/atom of the relaxed experimental structure (or below it)")


if __name__ == "__main__":
    main()
