"""Wall time, peak memory and the cost breakdown of the default screen computed from nothing (a new calculation
cache and store), with phonons or static, in one process or with phases in worker processes; then, optionally,
what adding additives to the warm screen costs per new phase.

    python benchmarks/screen_times.py [--static] [--workers 2] [--extend B,Ti,Mn] [--cache DIR] [--output PATH]

With one process (`--workers 1`) the time is split by wrapping, for the run only: the model's evaluations (its
neighbour list apart), model loads, phonopy's own work, symmetry analysis, building structures, the calculation
cache, and the rest (jobflow, the store, serialization, thermodynamics). With workers the phases are computed in
other processes, so only the total and the peak memory are reported.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import resource
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class Clock:
    """Seconds spent inside wrapped functions, per category; nested wrapped calls count for the innermost only."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._stack: list[list[float]] = []  # per open call: [start, seconds of wrapped calls nested inside it]

    def wrap(self, category: str, function: Callable) -> Callable:
        clock = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            clock._stack.append([time.perf_counter(), 0.0])
            try:
                return function(*args, **kwargs)
            finally:
                start, nested = clock._stack.pop()
                elapsed = time.perf_counter() - start
                clock.seconds[category] = clock.seconds.get(category, 0.0) + elapsed - nested
                clock.calls[category] = clock.calls.get(category, 0) + 1
                if clock._stack:
                    clock._stack[-1][1] += elapsed

        return timed

    @contextlib.contextmanager
    def installed(self) -> Iterator[Clock]:
        """Wrap the functions of every category for the block; restore them after."""
        import phonopy
        import sevenn.calculator
        from ase.constraints import FixSymmetry
        from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

        from screening.energy.cache import ResultCache
        from structures.phase import Phase

        targets = [
            ("model evaluation", sevenn.calculator.SevenNetCalculator, "calculate"),
            ("neighbour lists", sevenn.calculator, "unlabeled_atoms_to_graph"),
            ("model load", sevenn.calculator.SevenNetCalculator, "__init__"),
            ("phonopy", phonopy.Phonopy, "generate_displacements"),
            ("phonopy", phonopy.Phonopy, "produce_force_constants"),
            ("phonopy", phonopy.Phonopy, "symmetrize_force_constants"),
            ("phonopy", phonopy.Phonopy, "run_mesh"),
            ("phonopy", phonopy.Phonopy, "run_thermal_properties"),
            ("symmetry", SpacegroupAnalyzer, "__init__"),
            ("symmetry", FixSymmetry, "__init__"),
            ("symmetry", FixSymmetry, "adjust_positions"),
            ("symmetry", FixSymmetry, "adjust_forces"),
            ("symmetry", FixSymmetry, "adjust_stress"),
            ("symmetry", FixSymmetry, "adjust_cell"),
            ("building structures", Phase, "build"),
            ("calculation cache", ResultCache, "get"),
            ("calculation cache", ResultCache, "put"),
        ]
        saved = [(owner, name, getattr(owner, name)) for _, owner, name in targets]
        for category, owner, name in targets:
            setattr(owner, name, self.wrap(category, getattr(owner, name)))
        try:
            yield self
        finally:
            for owner, name, original in saved:
                setattr(owner, name, original)


def peak_rss_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of the largest child process, in MB (Linux reports KiB)."""
    return (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    )


def screen_config(store: Path, static: bool, extra_additives: list[str] = ()) -> Any:
    """The default screen (static: without phonons) into `store`, with `extra_additives` added."""
    import tomllib

    from workflows.config import DEFAULT_SCREEN, ScreenConfig

    tables = tomllib.loads(DEFAULT_SCREEN.read_text())
    tables["energy"]["phonons"] = not static
    tables["screen"]["additives"] = [*tables["screen"]["additives"], *extra_additives]
    tables["store"] = {"path": str(store)}
    return ScreenConfig(tables)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--static", action="store_true", help="without phonons")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--extend", default="", help="additives added afterwards, comma-separated (warm cache)")
    parser.add_argument("--cache", type=Path, default=None, help="cache root (default: a new, empty one)")
    parser.add_argument("--output", type=Path, default=None, help="JSON file for the figures")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    logging.basicConfig(level=logging.ERROR)
    work = Path(tempfile.mkdtemp(prefix="hydride-screen-times-"))
    os.environ["HYDRIDE_SCREEN_CACHE"] = str(args.cache or work / "cache")
    started = time.perf_counter()
    from workflows.run import run_screen_locally

    config = screen_config(work / "store", args.static)
    print(f"imports and config in {time.perf_counter() - started:.1f} s; cache {os.environ['HYDRIDE_SCREEN_CACHE']}")
    clock = Clock()
    with clock.installed() if args.workers == 1 else contextlib.nullcontext():
        summary = run_screen_locally(config, workers=args.workers)
    own_mb, child_mb = peak_rss_mb()
    figures: dict[str, Any] = {
        "screen": config.name,
        "phonons": not args.static,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "wall_s": round(summary.wall_s, 1),
        "jobs": summary.jobs,
        "calculations_computed": summary.calculations_computed,
        "peak_rss_mb": round(own_mb),
        "peak_rss_largest_child_mb": round(child_mb),
    }
    print(f"{'static' if args.static else 'with phonons'}, {args.workers} worker(s): {summary.wall_s:.1f} s, "
          f"{summary.jobs} jobs, {summary.calculations_computed} calculations; peak RSS {own_mb:.0f} MB "
          f"(largest child process {child_mb:.0f} MB)")  # fmt: skip
    if args.workers == 1:
        breakdown = {name: round(seconds, 1) for name, seconds in sorted(clock.seconds.items(), key=lambda i: -i[1])}
        breakdown["rest (jobflow, store, serialization, thermodynamics)"] = round(
            summary.wall_s - sum(clock.seconds.values()), 1
        )
        figures["breakdown_s"] = breakdown
        figures["model_calls"] = clock.calls.get("model evaluation", 0)
        outside = summary.wall_s - clock.seconds.get("model evaluation", 0.0) - clock.seconds.get("model load", 0.0)
        figures["outside_model_pct"] = round(100 * outside / summary.wall_s, 1)
        for name, seconds in breakdown.items():
            print(f"  {name:<55} {seconds:7.1f} s  {100 * seconds / summary.wall_s:5.1f} %")
        print(f"  outside model evaluation and loading: {figures['outside_model_pct']} % "
              f"({figures['model_calls']} model calls)")  # fmt: skip
    if args.extend:
        extra = [name.strip() for name in args.extend.split(",") if name.strip()]
        results = Path(os.environ["HYDRIDE_SCREEN_CACHE"]) / "results"
        relaxed_before = set(results.glob("relax-*.json"))
        extended = run_screen_locally(screen_config(work / "store", args.static, extra), workers=args.workers)
        new_phases = len(set(results.glob("relax-*.json")) - relaxed_before)
        per_phase = extended.wall_s / max(1, new_phases)
        figures["extended"] = {
            "additives_added": extra,
            "wall_s": round(extended.wall_s, 1),
            "jobs": extended.jobs,
            "calculations_computed": extended.calculations_computed,
            "new_phases": new_phases,
            "wall_s_per_new_phase": round(per_phase, 1),
        }
        print(f"with {len(extra)} more additives ({', '.join(extra)}): {extended.wall_s:.1f} s, {extended.jobs} jobs, "
              f"{new_phases} new phases ({extended.calculations_computed} calculations), "
              f"{per_phase:.1f} s per new phase")  # fmt: skip
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(figures, indent=1) + "\n")
        print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
