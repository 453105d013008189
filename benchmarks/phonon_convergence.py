"""Phonon convergence with an energy source: ZPE, F_vib(300 K), lowest frequency and wall time against the
supercell length and the displacement amplitude, for relaxed library phases.

Usage: python benchmarks/phonon_convergence.py [--source sevennet] [--lengths 5 9 12] [NAME ...]
Defaults: MgH2 over three supercells and three displacements, LiBH4 (24 atoms) at its two smallest
supercells (1x1x1, 1x2x1) and two displacements. Measured on two shared CPU cores: about 15 minutes, of
which the LiBH4 relaxation took 7 (84 steps); LiBH4 2x2x2 phonons alone take 4-6 minutes.
"""

from __future__ import annotations

import argparse
import time

from screening.energy.phonons import PhononSettings, compute_phonons, supercell_matrix_for_length
from screening.energy.relax import relax_phase
from screening.energy.sources import EnergySource
from screening.errors import HydrideScreenError
from structures.library import get_phase

DEFAULT_PLAN = {
    "MgH2": ((5.0, 9.0, 12.0), (0.01, 0.03, 0.06)),
    "LiBH4": ((4.0, 5.0), (0.01, 0.03)),
}
FALLBACK_PHASES = ("LiH", "MgB2")  # used in place of LiBH4 when the library lacks it


def _header(label: str) -> str:
    columns = f"{'cell':>7} {'atoms':>5} {'disp':>5} {'ZPE eV':>9} {'F300 eV':>9} {'min THz':>8} {'imag':>5}"
    return f"{label:<8} {columns} {'s':>7}"


def _row(label: str, result, n_atoms: int) -> str:
    matrix = "x".join(str(result.supercell_matrix[i][i]) for i in range(3))
    return (
        f"{label:<8} {matrix:>7} {n_atoms:>5} "
        f"{result.n_displacements:>5} {result.zero_point_energy_ev_per_formula_unit:>9.4f} "
        f"{result.free_energy_at(300.0):>9.4f} {result.min_frequency_thz:>8.3f} "
        f"{'yes' if result.has_imaginary_modes else 'no':>5} {result.wall_time_s:>7.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="phases (default: MgH2 and LiBH4)")
    parser.add_argument("--source", default="sevennet")
    parser.add_argument("--lengths", nargs="*", type=float, help="min supercell lengths in A (all phases)")
    parser.add_argument("--displacements", nargs="*", type=float, help="amplitudes in A (all phases)")
    args = parser.parse_args()
    source = EnergySource(args.source)
    plan = dict(DEFAULT_PLAN)
    try:
        get_phase("LiBH4")
    except HydrideScreenError:
        del plan["LiBH4"]
        plan.update({name: ((4.0, 6.0, 9.0), (0.01, 0.03)) for name in FALLBACK_PHASES})
    names = args.names or list(plan)
    start_all = time.perf_counter()
    print(f"energy source {source.id}")
    for name in names:
        lengths, displacements = plan.get(name, ((5.0, 9.0), (0.01, 0.03)))
        lengths = tuple(args.lengths or lengths)
        displacements = tuple(args.displacements or displacements)
        start = time.perf_counter()
        try:
            relaxed = relax_phase(get_phase(name), source).raise_if_rejected()
        except HydrideScreenError as error:
            print(f"{name}: {error}")
            continue
        structure = relaxed.structure
        relax_s = time.perf_counter() - start
        print(f"\n{name}: {len(structure)} atoms, relaxed in {relaxed.steps} steps, {relax_s:.1f} s; per formula unit")
        print("supercell length, displacement 0.01 A\n" + _header("L (A)"))
        computed = {}  # (supercell, displacement) -> result, so the displacement scan reuses the first row
        for length in lengths:
            matrix = supercell_matrix_for_length(structure, length)
            if (matrix, 0.01) in computed:
                continue
            result = compute_phonons(structure, source, PhononSettings(min_supercell_length_a=length))
            computed[matrix, 0.01] = result
            print(_row(f"{length:g}", result, len(structure) * matrix[0][0] * matrix[1][1] * matrix[2][2]))
        length = lengths[0]
        matrix = supercell_matrix_for_length(structure, length)
        print(f"displacement amplitude, supercell length {length:g} A\n" + _header("d (A)"))
        for displacement in displacements:
            settings = PhononSettings(min_supercell_length_a=length, displacement_a=displacement)
            result = computed.get((matrix, displacement)) or compute_phonons(structure, source, settings)
            print(_row(f"{displacement:g}", result, len(structure) * matrix[0][0] * matrix[1][1] * matrix[2][2]))
    print(f"\ntotal {time.perf_counter() - start_all:.0f} s")


if __name__ == "__main__":
    main()
