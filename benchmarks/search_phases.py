"""The structure searches behind the library's `searched` phases: one search per phase that has no usable
published coordinates, with the settings recorded here, printing each best structure as a `[[phase]]` table
(Wyckoff sites from spglib's symmetrized cell) to paste into `structures/data/searched_phases.toml`.

Usage: python benchmarks/search_phases.py [--source sevennet] [NAME ...]
Searches are cached (`$HYDRIDE_SCREEN_CACHE`), so a second run only prints.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from pymatgen.core import Lattice, Structure
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from screening.energy.search import SEARCH_RELAX_SETTINGS, TIGHT_RELAX_SETTINGS, relax_function, relax_key
from screening.energy.sources import EnergySource
from structures.search import SearchSpec, search

# name: (units per formula unit, formula units per cell, atom cap)
SEARCHES: dict[str, tuple[dict[str, int], tuple[int, ...], int]] = {
    "Li2Ca(NH)2": ({"Li": 2, "Ca": 1, "NH": 2}, (1, 2), 16),
    "MgCa(NH)2": ({"Mg": 1, "Ca": 1, "NH": 2}, (1, 2), 16),
    "Li2Mg(NH)2": ({"Li": 2, "Mg": 1, "NH": 2}, (1, 2), 16),
    "Mg2CoH5": ({"Mg": 2, "CoH5": 1}, (1, 2), 16),
    "Li3AlN2": ({"Li": 3, "Al": 1, "N": 2}, (1, 2), 16),
    "Li2NH": ({"Li": 2, "NH": 1}, (1, 2, 4), 16),
    "Mg(NH2)2": ({"Mg": 1, "NH2": 2}, (1, 2), 16),
    "LiMgN": ({"Li": 1, "Mg": 1, "N": 1}, (1, 2, 4), 16),
    "Mg(BH4)2": ({"Mg": 1, "BH4": 2}, (1, 2), 22),
    "Ca(BH4)2": ({"Ca": 1, "BH4": 2}, (1, 2), 22),
    "Li4BN3H10": ({"Li": 4, "BH4": 1, "NH2": 3}, (1,), 18),
}
RESULTS = Path(__file__).parent / "results" / "search_phases.json"


def li2nh_orderings() -> tuple[tuple[Structure, dict[str, str]], ...]:
    """Non-polar orderings of the N-H bonds in the anti-fluorite Li2NH cell (the library's earlier polar model,
    I4mm, a = 5.0769 / sqrt(2), c = 5.0769 A, N-H 1.03 A along +c on every N): the two N of its body-centred cell
    with H antiparallel along c, antiparallel along a, and a 2 x 1 x 1 cell with a checkerboard of +c / -c."""
    a, c, d = 3.58991, 5.0769, 1.03
    z = d / c
    li = [[0.5, 0.0, 0.25], [0.0, 0.5, 0.25], [0.5, 0.0, 0.75], [0.0, 0.5, 0.75]]
    along_c = Structure(Lattice.tetragonal(a, c), ["N", "N", "H", "H", *["Li"] * 4],
                        [[0, 0, 0], [0.5, 0.5, 0.5], [0, 0, z], [0.5, 0.5, 0.5 - z], *li])  # fmt: skip
    along_a = Structure(Lattice.tetragonal(a, c), ["N", "N", "H", "H", *["Li"] * 4],
                        [[0, 0, 0], [0.5, 0.5, 0.5], [d / a, 0, 0], [0.5 - d / a, 0.5, 0.5], *li])  # fmt: skip
    polar = Structure(Lattice.tetragonal(a, c), ["N", "N", "H", "H", *["Li"] * 4],
                      [[0, 0, 0], [0.5, 0.5, 0.5], [0, 0, z], [0.5, 0.5, 0.5 + z], *li])  # fmt: skip
    checkerboard = polar * (2, 1, 1)
    for i, site in enumerate(checkerboard):
        if site.specie.symbol == "H" and site.frac_coords[0] >= 0.5 - 1e-6:
            n = checkerboard[i].frac_coords - [0, 0, z]
            checkerboard.replace(i, "H", n - [0, 0, z])
    return ((along_c, {}), (along_a, {}), (checkerboard, {}))


ISOTYPES = {"Li2NH": li2nh_orderings}


def toml_entry(name: str, structure: Structure, record: str) -> str:
    """A `[[phase]]` table of a relaxed structure: conventional cell, one site per Wyckoff orbit."""
    analyzer = SpacegroupAnalyzer(structure, symprec=0.05)
    refined = SpacegroupAnalyzer(analyzer.get_refined_structure(), symprec=0.01)
    symmetrized = refined.get_symmetrized_structure()
    lattice = symmetrized.lattice
    parameters = {"a": lattice.a, "b": lattice.b, "c": lattice.c, "alpha": lattice.alpha, "beta": lattice.beta,
                  "gamma": lattice.gamma}  # fmt: skip
    lattice_text = ", ".join(f"{k} = {v:.4f}" for k, v in parameters.items())
    sites = []
    for group, wyckoff in zip(symmetrized.equivalent_sites, symmetrized.wyckoff_symbols, strict=True):
        x, y, z = (round(float(c) % 1.0, 5) for c in group[0].frac_coords)
        sites.append(f'  {{ species = "{group[0].specie.symbol}", wyckoff = "{wyckoff}", coords = [{x}, {y}, {z}] }},')
    return "\n".join([
        "[[phase]]", f'name = "{name}"', f'formula = "{structure.composition.reduced_formula}"',
        'tags = ["complex-hydride", "searched"]', f'space_group = "{refined.get_space_group_symbol()}"',
        f"lattice = {{ {lattice_text} }}", "sites = [", *sites, "]", f'source = "{record}"', "",
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", default=list(SEARCHES))
    parser.add_argument("--source", default="sevennet")
    parser.add_argument("--generated", type=int, default=150)
    parser.add_argument("--relaxed", type=int, default=6)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-atoms", type=int, default=None, help="a smaller atom cap than the table's")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    source = EnergySource(args.source)
    tight = relax_function(source, TIGHT_RELAX_SETTINGS)
    summary = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    for name in args.names:
        units, sizes, cap = SEARCHES[name]
        cap = min(cap, args.max_atoms) if args.max_atoms else cap
        isotypes = ISOTYPES[name]() if name in ISOTYPES else ()
        spec = SearchSpec(units, formula_units=sizes, max_atoms=cap, n_generated=args.generated,
                          n_relaxed=args.relaxed, isotypes=isotypes)  # fmt: skip
        start = time.perf_counter()
        result = search(spec, relax_function(source, SEARCH_RELAX_SETTINGS), relax_key(source, SEARCH_RELAX_SETTINGS))
        best = result.best
        polished = tight(best.structure)
        structure = polished[1] if polished else best.structure
        energy = polished[0] / len(structure) if polished else best.energy_per_atom_ev
        record = (
            f"{result.record()}; best relaxed again with {source.id} (fmax 0.02 eV/A, 0.05 GPa, symmetry kept): "
            f"{energy:.4f} eV/atom"
        )
        summary[name] = {
            "record": record, "seconds": result.seconds + time.perf_counter() - start,
            "hits": [(h.space_group, h.energy_per_atom_ev, h.origin) for h in result.hits],
            "structure": structure.as_dict(),
        }  # fmt: skip
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(summary, indent=1))
        print(toml_entry(name, structure, record), flush=True)
        for hit in result.hits:
            print(f"#   {hit.space_group:<10} {1000 * (hit.energy_per_atom_ev - energy):8.1f} meV/atom  {hit.origin}")


if __name__ == "__main__":
    main()
