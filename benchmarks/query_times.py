"""Wall time of the query commands (`runs`, `top`, `show`) on a store of 20 runs, each a new process as a user
types it, including Python's start-up and imports. The store holds 20 copies (distinct run ids) of one real
run: an EMT screen of AlH3 against six metals, computed once (seconds) into a temporary store.

    python benchmarks/query_times.py [--runs 20] [--repeats 5]

Prints the median and the range of each command's wall time, and whether the command imported torch, jobflow or
phonopy (a query needs none of them).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path
from uuid import uuid4

from screening.energy.cache import ResultCache
from screening.energy.sources import EnergySource
from screening.screen.hydrogen import HydrogenStorageScreen
from screening.screen.run import run_screen
from screening.store import ResultsStore, StoreLocation
from screening.thermo.model import EnergyModel

QUERIES = {"runs": ["runs"], "top": ["top"], "show": ["show", "AlH3 + Ni"], "top --json": ["top", "--json"]}
HEAVY = ("torch", "jobflow", "phonopy")


def fill_store(store: Path, n_runs: int) -> None:
    """One EMT screen computed, then stored `n_runs` times under new run ids."""
    screen = HydrogenStorageScreen(["AlH3"], ["Ni", "Cu", "Pd", "Ag", "Pt", "Au"])
    model = EnergyModel(EnergySource("emt"), with_vibrations=False, with_corrections=False)
    run = run_screen(screen, model, cache=ResultCache(store.parent / "cache"))
    with ResultsStore.at(StoreLocation(str(store)), create=True) as results:
        for _ in range(n_runs):
            results.save(replace(run, provenance=replace(run.provenance, run_id=uuid4().hex[:12])))


COMMAND = Path(sys.executable).parent / "hydride-screen"  # the console script a user types
# the same command in-process, printing at exit which modules it imported
PROBE = (
    "import sys\nfrom workflows.cli import app\n"
    "try:\n    app()\nfinally:\n    print(sorted(sys.modules), file=sys.stderr)"
)


def wall_s(args: list[str], store: Path) -> float:
    """Wall seconds of one `hydride-screen` process."""
    start = time.perf_counter()
    result = subprocess.run([str(COMMAND), *args, "--store", str(store)], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {result.stderr[-500:]}")
    return time.perf_counter() - start


def heavy_imports(args: list[str], store: Path) -> set[str]:
    """Which of the heavy packages the command imports."""
    result = subprocess.run([sys.executable, "-c", PROBE, *args, "--store", str(store)], capture_output=True, text=True)
    return {name for name in HEAVY if f"'{name}'" in result.stderr}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="runs in the store")
    parser.add_argument("--repeats", type=int, default=5, help="timed processes per command (after one warm-up)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    logging.basicConfig(level=logging.ERROR)
    store = Path(tempfile.mkdtemp(prefix="hydride-screen-queries-")) / "store"
    fill_store(store, args.runs)
    print(f"store of {args.runs} runs: {store}")
    print(f"{'command':<12} {'median s':>8} {'min s':>6} {'max s':>6}  heavy imports")
    for name, command in QUERIES.items():
        imported = heavy_imports(command, store)  # also the warm-up: file system caches
        walls = [wall_s(command, store) for _ in range(args.repeats)]
        print(f"{name:<12} {statistics.median(walls):8.2f} {min(walls):6.2f} {max(walls):6.2f}  "
              f"{', '.join(sorted(imported)) or 'none'}")  # fmt: skip


if __name__ == "__main__":
    main()
