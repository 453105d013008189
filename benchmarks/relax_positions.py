"""Fixed-cell position relaxations behind library entries whose measured cell is kept but whose atomic positions
were computed (because the published ones were not at hand): relax the positions of the entry's structure at its
experimental cell with the space group kept, and print the new Wyckoff coordinates, site by site, in the entry's
own setting, with the shift of every site.

Usage: python benchmarks/relax_positions.py [--source sevennet] NAME [NAME ...]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from screening.energy.relax import RelaxSettings, relax_structure
from screening.energy.sources import EnergySource
from structures.library import get_phase

FIXED_CELL = RelaxSettings(fmax_ev_per_a=0.02, max_steps=400, relax_cell=False, keep_symmetry=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="+")
    parser.add_argument("--source", default="sevennet")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    source = EnergySource(args.source)
    for name in args.names:
        phase = get_phase(name)
        start = time.perf_counter()
        primitive = phase.build()
        result = relax_structure(primitive, source, FIXED_CELL)
        moved = result.structure.cart_coords - primitive.cart_coords
        conventional = phase.recipe.build_conventional()
        print(f"# {name}: {source.id}, fixed cell, symmetry kept, {result.steps} steps, "
              f"{result.energy_per_atom_ev:.4f} eV/atom, {result.rejected_reason or 'converged'}, "
              f"{time.perf_counter() - start:.0f} s")  # fmt: skip
        for site in phase.recipe.sites:
            cart = conventional.lattice.get_cartesian_coords(site.coords)
            frac_in_primitive = primitive.lattice.get_fractional_coords(cart)
            gaps = primitive.frac_coords - frac_in_primitive
            gaps -= np.round(gaps)
            index = int(np.argmin(np.linalg.norm(primitive.lattice.get_cartesian_coords(gaps), axis=1)))
            new = conventional.lattice.get_fractional_coords(cart + moved[index])
            coords = ", ".join(f"{x:.4f}" for x in new)
            print(f'  {{ species = "{site.species}", wyckoff = "{site.wyckoff}", coords = [{coords}] }},'
                  f"  # moved {np.linalg.norm(moved[index]):.3f} A")  # fmt: skip


if __name__ == "__main__":
    main()
