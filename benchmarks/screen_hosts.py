"""Screen MgH2 and LiBH4 against elements, hydrides, amides and alanates; print the top of each list.

The review's destabilizers (Si, Ge for MgH2; MgH2, CaH2, Al, Cr for LiBH4) must appear with their
metrics; their intended reactions (from the public reference rows) are checked against the path.
Writes benchmarks/results/screen_hosts.json.

Usage: python benchmarks/screen_hosts.py [--static] [--source sevennet] [--top 10]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path

from screening.energy.sources import EnergySource
from screening.screen.criteria import RankingCriteria
from screening.screen.hydrogen import HydrogenStorageScreen
from screening.screen.run import run_screen
from screening.thermo.model import EnergyModel
from structures.materials_project import MaterialsProjectStructures

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "screen_hosts.json"
HOSTS = ("MgH2", "LiBH4")
ADDITIVES = (
    "Si", "Ge", "Al", "Ni", "Cu", "Cr", "Ti", "V", "Fe", "Co", "Zn",
    "CaH2", "MgH2", "LiH", "NaH", "LiNH2", "LiAlH4", "AlH3",
)  # fmt: skip
INTENDED = {
    "MgH2 + Si": "2 MgH2 + Si -> Mg2Si + 2 H2",
    "MgH2 + Ge": "2 MgH2 + Ge -> Mg2Ge + 2 H2",
    "MgH2 + Cu": "3 MgH2 + MgCu2 -> 2 Mg2Cu + 3 H2",
    "LiBH4 + MgH2": "2 LiBH4 + MgH2 -> 2 LiH + MgB2 + 4 H2",
    "LiBH4 + CaH2": "6 LiBH4 + CaH2 -> CaB6 + 6 LiH + 10 H2",
    "LiBH4 + Al": "2 LiBH4 + Al -> 2 LiH + AlB2 + 3 H2",
    "LiBH4 + Cr": "2 LiBH4 + Cr -> CrB2 + 2 LiH + 3 H2",
    "LiBH4 + LiAlH4": "2 LiBH4 + LiAlH4 -> 3 LiH + AlB2 + 4.5 H2",
    "LiBH4 + LiNH2": "LiBH4 + 2 LiNH2 -> Li3BN2 + 4 H2",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default="sevennet")
    parser.add_argument("--static", action="store_true", help="no phonons (fast mode)")
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    started = time.perf_counter()
    model = EnergyModel(EnergySource(args.source), with_vibrations=not args.static)
    criteria = RankingCriteria()
    materials_project = MaterialsProjectStructures() if os.environ.get("MP_API_KEY") else None
    screen = HydrogenStorageScreen(list(HOSTS), list(ADDITIVES), intended=INTENDED, criteria=criteria)
    run = run_screen(
        screen, model, materials_project=materials_project, progress=lambda n: logging.info("computing %s", n)
    )
    ranked, failed = run.ranked, run.failed
    for host in HOSTS:
        print(f"\n== {host}: top {args.top} (T(1 bar) window {criteria.t_min_k:.0f}-{criteria.t_max_k:.0f} K) ==")
        print(f"{'#':>2} {'additive':<8} {'ratio':>6} {'dH':>6} {'sigma':>5} {'T1bar K':>8} {'wt%':>5} {'dV%':>6} "
              f"{'score':>6}  first step; flags")  # fmt: skip
        for c in ranked.top(args.top, host=host):
            t = f"{c.t_1bar_k:8.0f}" if c.t_1bar_k is not None else "       -"
            print(
                f"{c.rank:>2} {c.additive:<8} {c.additive_per_host_mol:>6.3g} {c.dh_kj_per_mol_h2:>6.1f} "
                f"{c.sigma_kj_per_mol_h2:>5.1f} {t} {c.h2_wt_pct:>5.2f} {c.volume_change_pct:>+6.1f} {c.score:>6.3f}"
                f"  {c.reaction}; {', '.join(c.flags) or '-'}"
            )
    print("\nreview destabilizers:")
    for host, additive in [("MgH2", "Si"), ("MgH2", "Ge"), ("LiBH4", "MgH2"), ("LiBH4", "CaH2"), ("LiBH4", "Al"),
                           ("LiBH4", "Cr")]:  # fmt: skip
        c = next((c for c in ranked.candidates if (c.host, c.additive) == (host, additive)), None)
        if c is None or c.step < 1:
            print(f"  {host} + {additive}: no release step ({failed.get(f'{host} + {additive}', 'see log')})")
            continue
        print(
            f"  {c.label}: rank {c.rank}, dH {c.dh_kj_per_mol_h2:.1f} kJ/mol H2, "
            f"{c.h2_wt_pct:.2f} wt%, {c.reaction}; flags: {', '.join(c.flags) or '-'}"
        )
    print(f"\nphases not computed: {failed or 'none'}; wall time {time.perf_counter() - started:.0f} s")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"ranked": ranked.as_dict(), "failed": failed}, indent=1, default=str))


if __name__ == "__main__":
    main()
