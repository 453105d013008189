"""Wall time of repeated runs of one screen into one store: the first run (cold or warm, depending on the
calculation cache), then re-runs that compute nothing. Shows that a re-run costs seconds and that the
cost does not grow with the number of runs already stored.

    python benchmarks/run_times.py [SCREEN.toml] [--runs 4] [--store DIR]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
import warnings
from pathlib import Path

from screening.store import StoreLocation
from workflows.config import DEFAULT_SCREEN, ScreenConfig
from workflows.run import run_screen_locally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("screen", nargs="?", type=Path, default=DEFAULT_SCREEN)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--store", type=Path, default=None, help="store directory (default: a new temporary one)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    logging.basicConfig(level=logging.ERROR)
    store = args.store or Path(tempfile.mkdtemp(prefix="hydride-screen-bench-"))
    started = time.perf_counter()
    config = ScreenConfig.from_file(args.screen).with_store(StoreLocation(str(store)))
    print(f"config checked (energy source loaded) in {time.perf_counter() - started:.1f} s; store {store}")
    print(f"{'run':>3} {'wall s':>7} {'jobs':>5} {'computed':>8}  run id")
    for index in range(1, args.runs + 1):
        s = run_screen_locally(config)
        print(f"{index:>3} {s.wall_s:7.1f} {s.jobs:>5} {s.calculations_computed:>8}  {s.run.run_id}")


if __name__ == "__main__":
    main()
