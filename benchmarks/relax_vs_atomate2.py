"""Wall time of the project's relaxation against atomate2's ForceFieldRelaxMaker, as ratios from one process.

Same structures (26 small literature phases of the library, from the H2 molecule to LiBH4, built once), same model
(SevenNet-0 through sevenn's ASE calculator: atomate2's `force_field_name="SevenNet"` loads `7net-0`), same fmax
(0.02 eV/A; atomate2's default of 0.1 is overridden through `relax_kwargs`) and the same cell filter
(FrechetCellFilter, atomate2's default; molecules relax their positions only in both). Each repeat times:

- `project`: `relax_phase(phase, EnergySource("sevennet"), RelaxSettings())`, the model loaded once (the project's
  calculator cache is cleared at the start of every repeat, so each repeat pays one load, as a new process does);
- `atomate2_default`: ForceFieldRelaxMaker with its default optimizer (FIRE), one job per structure in one Flow,
  `jobflow.run_locally` into an in-memory JobStore; jobflow copies the maker for every job, so every job loads
  the model again;
- `atomate2_bfgs`: the same with `optimizer_kwargs={"optimizer": "BFGS"}`;
- with `--levers` (first repeat only), variants of the project's relaxation that try ways to go faster, inside
  this script only: LBFGS, and ASE's own initial BFGS Hessian instead of the project's; and, unless every
  variant is already on one thread, BLAS and torch held to one thread (for the project and for atomate2).

Even repeats run the three main variants in reverse order, so that a drift in the machine's load evens out.

Reported per variant: wall time, model loads and their time, model evaluations and their time, steps (model
evaluations less one per structure), final energy per atom and its difference to `project` in meV/atom, and the
force and stress left at each final structure, evaluated afterwards with one calculator (untimed). The project
stops only when the stress is also below `RelaxSettings.max_stress_gpa` (0.05 GPa), a tighter criterion than
fmax 0.02 eV/A on the filter's cell gradient, which is all atomate2 checks (0.1-0.4 GPa left in its final
structures here).

atomate2 is a benchmark-only dependency: `pip install -e '.[bench]'`. Writes
benchmarks/results/relax_vs_atomate2.json.

With `--torch-threads 1 --blas-threads 1` every variant runs on one thread of each pool (like for like, and far
less sensitive to a loaded machine: two OpenBLAS or torch threads on a busy 2-core machine wait on each other).
The results file was written by `--repeats 2 --levers --torch-threads 1 --blas-threads 1`.

Usage: python benchmarks/relax_vs_atomate2.py [--repeats 2] [--levers] [--torch-threads 1 --blas-threads 1]
       [--phases H2,LiH] [--output PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import os
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from screening.units import EV_PER_A3_TO_GPA

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "benchmarks" / "results" / "relax_vs_atomate2.json"

# Small literature structures of the library: elements, the H2 molecule, binary hydrides, borides, a nitride, a
# silicide and two borohydrides (1 to 24 atoms in the cell).
PHASES = (
    "H2", "Li", "Na", "K", "Mg", "Ca", "Al", "Si", "Ti", "Ni", "Cu",
    "LiH", "NaH", "KH", "MgH2", "CaH2", "AlH3", "TiH2", "YH2", "LaH2",
    "MgB2", "AlB2", "Li3N", "Mg2Si", "NaBH4", "LiBH4",
)  # fmt: skip
FMAX_EV_PER_A = 0.02  # RelaxSettings().fmax_ev_per_a, passed to atomate2
ATOMATE2_FORCE_FIELD = "SevenNet"  # atomate2.forcefields.utils: MLFF.SevenNet -> SevenNetCalculator(model="7net-0")
# ASE's own BFGS start, 70 eV/A^2 on every coordinate (ase.optimize.BFGS(alpha=70.0)): the `ase_hessian` lever shows
# what the project's initial Hessian (RelaxSettings.bfgs_hessian_*) gained over it.
ASE_BFGS_ALPHA_EV_PER_A2 = 70.0
WARM_IMPORTS = (
    "atomate2.forcefields.jobs", "jobflow.managers.local", "maggma.stores", "sevenn.calculator", "ase.filters",
    "ase.optimize", "ase.constraints", "pymatgen.io.ase", "pymatgen.symmetry.analyzer", "screening.energy.relax",
)  # fmt: skip


@dataclass
class StructureRun:
    """One structure relaxed by one variant. `steps` is model evaluations less one (one per optimizer step)."""

    phase: str
    n_atoms: int
    energy_per_atom_ev: float
    model_calls: int
    steps: int
    model_s: float
    own_steps: int  # as the tool reports them (atomate2: trajectory frames)
    own_converged: bool
    note: str = ""
    fmax_left_ev_per_a: float = float("nan")  # the largest row norm of the filter's gradient at the final structure
    max_stress_left_gpa: float = float("nan")
    d_energy_mev_per_atom: float = float("nan")  # against the project's relaxation of the same repeat
    structure: Any = field(default=None, repr=False)

    @property
    def converged(self) -> bool:
        """The final structure meets fmax on the filter's gradient (positions and cell), checked afterwards."""
        return self.fmax_left_ev_per_a <= FMAX_EV_PER_A * 1.001


@dataclass
class VariantRun:
    """All structures relaxed by one variant, with where the time went."""

    name: str
    wall_s: float
    model_loads: int
    model_load_s: float
    model_calls: int
    model_call_s: float
    filter_s: float  # inside FrechetCellFilter, model evaluations excluded (logm/expm of the cell, symmetrising)
    build_s: float  # building structures from the library inside the timed call (relax_phase builds its phase)
    load_average_before: float
    load_average_after: float
    structures: list[StructureRun]

    @property
    def steps(self) -> int:
        """Optimizer steps over all structures."""
        return sum(s.steps for s in self.structures)

    @property
    def other_s(self) -> float:
        """Wall time spent outside model loads, model evaluations, the cell filter and structure building."""
        return self.wall_s - self.model_load_s - self.model_call_s - self.filter_s - self.build_s

    def summary(self) -> dict[str, Any]:
        """The figures of this variant for the JSON file."""
        d_energies = [abs(s.d_energy_mev_per_atom) for s in self.structures if np.isfinite(s.d_energy_mev_per_atom)]
        return {
            "wall_s": round(self.wall_s, 2),
            "steps": self.steps,
            "model_loads": self.model_loads,
            "model_load_s": round(self.model_load_s, 2),
            "model_calls": self.model_calls,
            "model_call_s": round(self.model_call_s, 2),
            "model_call_ms_mean": round(1000 * self.model_call_s / max(self.model_calls, 1), 1),
            "filter_s": round(self.filter_s, 2),
            "build_s": round(self.build_s, 2),
            "other_s": round(self.other_s, 2),
            "converged": sum(s.converged for s in self.structures),
            "not_converged": [s.phase for s in self.structures if not s.converged],
            "max_abs_d_energy_mev_per_atom": round(max(d_energies), 3) if d_energies else None,
            "load_average_before": round(self.load_average_before, 2),
            "load_average_after": round(self.load_average_after, 2),
            "structures": [
                {f.name: _rounded(getattr(s, f.name)) for f in fields(s) if f.name != "structure"}
                | {"converged": s.converged}
                for s in self.structures
            ],
        }


class Meter:
    """Counts and times model loads and evaluations of sevenn's calculator, FrechetCellFilter and structure
    building, by wrapping the classes' methods for the duration of a `with` block (this script only)."""

    def __init__(self) -> None:
        self.loads = 0
        self.load_s = 0.0
        self.calls = 0
        self.call_s = 0.0
        self.filter_s = 0.0
        self.build_s = 0.0
        self.calls_by_formula: dict[str, list[float]] = {}  # first formula each calculator saw: [calls, seconds]
        self._depth = 0  # nesting of filter methods, so a model call inside one is not counted twice

    def snapshot(self) -> tuple[int, float, int, float, float, float]:
        """The totals so far."""
        return self.loads, self.load_s, self.calls, self.call_s, self.filter_s, self.build_s

    @contextlib.contextmanager
    def installed(self) -> Iterator[Meter]:
        """Wrap the methods; restore them on exit."""
        from ase.filters import FrechetCellFilter
        from sevenn.calculator import SevenNetCalculator

        from structures.phase import Phase

        meter = self
        originals = [
            (SevenNetCalculator, "__init__"),
            (SevenNetCalculator, "calculate"),
            (FrechetCellFilter, "get_forces"),
            (FrechetCellFilter, "get_positions"),
            (FrechetCellFilter, "set_positions"),
            (Phase, "build"),
        ]
        saved = [(cls, name, cls.__dict__.get(name), getattr(cls, name)) for cls, name in originals]

        def timed_init(original: Callable) -> Callable:
            def wrapper(calc: Any, *args: Any, **kwargs: Any) -> None:
                start = time.perf_counter()
                original(calc, *args, **kwargs)
                meter.loads += 1
                meter.load_s += time.perf_counter() - start
                calc._bench_formula = None

            return wrapper

        def timed_calculate(original: Callable) -> Callable:
            def wrapper(calc: Any, atoms: Any = None, *args: Any, **kwargs: Any) -> None:
                start = time.perf_counter()
                original(calc, atoms, *args, **kwargs)
                elapsed = time.perf_counter() - start
                meter.calls += 1
                meter.call_s += elapsed
                if meter._depth:
                    meter.filter_s -= elapsed
                formula = getattr(calc, "_bench_formula", None) or atoms.get_chemical_formula()
                calc._bench_formula = formula
                counts = meter.calls_by_formula.setdefault(formula, [0, 0.0])
                counts[0] += 1
                counts[1] += elapsed

            return wrapper

        def timed_filter(original: Callable) -> Callable:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter()
                meter._depth += 1
                try:
                    return original(*args, **kwargs)
                finally:
                    meter._depth -= 1
                    if not meter._depth:
                        meter.filter_s += time.perf_counter() - start

            return wrapper

        def timed_build(original: Callable) -> Callable:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    meter.build_s += time.perf_counter() - start

            return wrapper

        wrappers = [timed_init, timed_calculate, timed_filter, timed_filter, timed_filter, timed_build]
        try:
            for (cls, name, _, method), wrap in zip(saved, wrappers, strict=True):
                setattr(cls, name, wrap(method))
            yield self
        finally:
            for cls, name, own, _ in saved:
                if own is None:
                    delattr(cls, name)
                else:
                    setattr(cls, name, own)


def _rounded(value: Any) -> Any:
    return round(value, 6) if isinstance(value, float) else value


def _bare(structure: Any) -> Any:
    """The structure without the ASE calculator that pymatgen's AseAtomsAdaptor attaches to it (`structure.calc`):
    kept, it would hold every loaded model in memory, and copying it copies the model."""
    from pymatgen.core import Structure

    return Structure(structure.lattice, structure.species, structure.frac_coords)


def _formula(structure: Any) -> str:
    from pymatgen.io.ase import AseAtomsAdaptor

    return AseAtomsAdaptor.get_atoms(structure).get_chemical_formula()


def _variant(name: str, meter: Meter, run: Callable[[], list[StructureRun]]) -> VariantRun:
    before = meter.snapshot()
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    structures = run()
    wall = time.perf_counter() - start
    after = meter.snapshot()
    loads, load_s, calls, call_s, filter_s, build_s = (a - b for a, b in zip(after, before, strict=True))
    print(f"  {name}: {wall:.1f} s, {int(calls)} model calls, load average {os.getloadavg()[0]:.1f}", flush=True)
    return VariantRun(
        name, wall, int(loads), load_s, int(calls), call_s, filter_s, build_s, load_before, os.getloadavg()[0],
        structures,
    )  # fmt: skip


def run_project(names: list[str], meter: Meter, settings: Any = None) -> list[StructureRun]:
    """The project's way: `relax_phase` on every phase with one energy source, the model loaded once."""
    from screening.energy import sources
    from screening.energy.relax import RelaxSettings, relax_phase
    from screening.energy.sources import EnergySource
    from structures.library import get_phase

    sources._load_calculator.cache_clear()  # one model load per repeat, as in a new process
    source = EnergySource("sevennet")
    settings = settings or RelaxSettings()
    runs = []
    for name in names:
        calls_before, call_s_before = meter.calls, meter.call_s
        result = relax_phase(get_phase(name), source, settings)
        calls = meter.calls - calls_before
        runs.append(
            StructureRun(
                phase=name,
                n_atoms=len(result.structure),
                energy_per_atom_ev=result.energy_per_atom_ev,
                model_calls=calls,
                steps=calls - 1,
                model_s=meter.call_s - call_s_before,
                own_steps=result.steps,
                own_converged=not result.rejected_reason,
                note=result.rejected_reason,
                structure=_bare(result.structure),
            )
        )
    return runs


def run_atomate2(
    names: list[str], structures: dict[str, Any], meter: Meter, optimizer: str | None
) -> list[StructureRun]:
    """atomate2's way: a Flow of one ForceFieldRelaxMaker job per structure, run by jobflow into memory."""
    from atomate2.forcefields.jobs import ForceFieldRelaxMaker
    from jobflow import Flow, JobStore, run_locally
    from maggma.stores import MemoryStore

    from structures.library import get_phase

    optimizer_kwargs = {"optimizer": optimizer} if optimizer else {}
    makers = {
        relax_cell: ForceFieldRelaxMaker(
            force_field_name=ATOMATE2_FORCE_FIELD,
            relax_cell=relax_cell,
            relax_kwargs={"fmax": FMAX_EV_PER_A},
            optimizer_kwargs=dict(optimizer_kwargs),
        )
        for relax_cell in (True, False)
    }
    jobs = {name: makers[not get_phase(name).is_molecule].make(structures[name]) for name in names}
    store = JobStore(MemoryStore(), additional_stores={"data": MemoryStore()})
    meter.calls_by_formula.clear()
    with tempfile.TemporaryDirectory(prefix="relax-vs-atomate2-") as scratch, contextlib.chdir(scratch):
        responses = run_locally(Flow(list(jobs.values())), store=store, log=False)  # atomate2 writes files here
    runs = []
    for name, job in jobs.items():
        calls, seconds = meter.calls_by_formula.get(_formula(structures[name]), [0, 0.0])
        response = responses.get(job.uuid, {}).get(1)
        if response is None or response.output is None:
            runs.append(StructureRun(name, len(structures[name]), float("nan"), calls, calls - 1, seconds, 0, False,
                                     "job failed"))  # fmt: skip
            continue
        doc = response.output
        runs.append(
            StructureRun(
                phase=name,
                n_atoms=len(doc.output.structure),
                energy_per_atom_ev=float(doc.output.energy_per_atom),
                model_calls=calls,
                steps=calls - 1,
                model_s=seconds,
                own_steps=int(doc.output.n_steps or 0),
                own_converged=bool(doc.is_force_converged) and str(doc.state.value) == "successful",
                structure=_bare(doc.output.structure),
            )
        )
    return runs


# ----- levers: ways the project's relaxation could go faster, tried here without touching the project -----


@contextlib.contextmanager
def blas_one_thread() -> Iterator[None]:
    """numpy and scipy's BLAS held to one thread: FrechetCellFilter calls logm/expm_frechet on 3x3 matrices several
    times a step, and with 2 OpenBLAS threads on a loaded 2-core machine each 3x3 solve can take milliseconds."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


@contextlib.contextmanager
def torch_one_thread() -> Iterator[None]:
    """torch's intra-op pool held to one thread (its default is one per core; on a loaded machine 2 threads wait)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@contextlib.contextmanager
def ase_initial_hessian() -> Iterator[None]:
    """The project's relaxation started from ASE's BFGS Hessian (the same value on every coordinate) instead of
    its own (softer atoms, a cell block from a typical stiffness), as it was before that lever was made."""
    from screening.energy import relax

    original = relax._bfgs_initial_hessian
    relax._bfgs_initial_hessian = lambda atoms, settings: (
        np.eye(len(original(atoms, settings))) * (ASE_BFGS_ALPHA_EV_PER_A2)
    )
    try:
        yield
    finally:
        relax._bfgs_initial_hessian = original


def levers(
    names: list[str], structures: dict[str, Any], meter: Meter, threads_limited: bool = False
) -> list[tuple[str, Callable]]:
    """The lever variants, as (name, run): the project's relaxation under a change made in this script only, and
    atomate2 under the thread limits, which it could use as well (they are settings of the process, not of the
    relaxation). With every variant already on one thread, only the levers that are not thread limits."""
    from screening.energy.relax import RelaxSettings

    def project(*contexts: Callable[[], contextlib.AbstractContextManager], settings: Any = None) -> Callable:
        def run() -> list[StructureRun]:
            with contextlib.ExitStack() as stack:
                for context in contexts:
                    stack.enter_context(context())
                return run_project(names, meter, settings)

        return run

    def atomate2(optimizer: str | None, *contexts: Callable[[], contextlib.AbstractContextManager]) -> Callable:
        def run() -> list[StructureRun]:
            with contextlib.ExitStack() as stack:
                for context in contexts:
                    stack.enter_context(context())
                return run_atomate2(names, structures, meter, optimizer)

        return run

    if threads_limited:
        return [
            ("project_lbfgs", project(settings=RelaxSettings(optimizer="LBFGS"))),
            ("project_ase_hessian", project(ase_initial_hessian)),
        ]
    return [
        ("project_blas1", project(blas_one_thread)),
        ("project_blas1_torch1", project(blas_one_thread, torch_one_thread)),
        ("project_blas1_lbfgs", project(blas_one_thread, settings=RelaxSettings(optimizer="LBFGS"))),
        ("project_blas1_ase_hessian", project(blas_one_thread, ase_initial_hessian)),
        ("atomate2_bfgs_blas1", atomate2("BFGS", blas_one_thread)),
        ("atomate2_default_blas1_torch1", atomate2(None, blas_one_thread, torch_one_thread)),
        ("atomate2_bfgs_blas1_torch1", atomate2("BFGS", blas_one_thread, torch_one_thread)),
    ]


# ----- checks and output -----


def check_final_structures(variants: list[VariantRun], molecules: set[str]) -> None:
    """Force and stress left at every final structure, with the project's calculator (untimed), and each energy
    against the project's relaxation of the same structure."""
    from ase.filters import FrechetCellFilter
    from pymatgen.io.ase import AseAtomsAdaptor

    from screening.energy.sources import EnergySource

    calculator = EnergySource("sevennet").calculator()
    reference = {s.phase: s.energy_per_atom_ev for s in variants[0].structures}
    for variant in variants:
        for run in variant.structures:
            run.d_energy_mev_per_atom = 1000.0 * (run.energy_per_atom_ev - reference[run.phase])
            if run.structure is None:
                continue
            atoms = AseAtomsAdaptor.get_atoms(run.structure)
            atoms.calc = calculator
            if run.phase in molecules:
                gradient = atoms.get_forces()
                run.max_stress_left_gpa = 0.0
            else:
                gradient = FrechetCellFilter(atoms).get_forces()
                run.max_stress_left_gpa = float(np.abs(atoms.get_stress()).max()) * EV_PER_A3_TO_GPA
            run.fmax_left_ev_per_a = float(np.linalg.norm(gradient, axis=1).max())


def print_repeat(index: int, variants: list[VariantRun]) -> None:
    """One table per repeat: the variants, then the structures of the main three."""
    print(f"\nrepeat {index}  (load average before/after each variant)")
    print(f"{'variant':<28} {'wall s':>7} {'steps':>6} {'loads':>5} {'load s':>7} {'calls':>6} {'model s':>8} "
          f"{'ms/call':>8} {'filter s':>8} {'build s':>7} {'other s':>7} {'conv':>5} {'max|dE|':>8}  load")  # fmt: skip
    for v in variants:
        s = v.summary()
        print(f"{v.name:<28} {v.wall_s:7.1f} {v.steps:6d} {v.model_loads:5d} {v.model_load_s:7.1f} "
              f"{v.model_calls:6d} {v.model_call_s:8.1f} {s['model_call_ms_mean']:8.1f} {v.filter_s:8.1f} "
              f"{v.build_s:7.1f} {v.other_s:7.1f} {s['converged']:>2}/{len(v.structures):<2} "
              f"{s['max_abs_d_energy_mev_per_atom'] or 0:8.3f}  "
              f"{v.load_average_before:.1f}/{v.load_average_after:.1f}")  # fmt: skip
    main = variants[:3]
    print(f"\n{'phase':<7} {'atoms':>5} " + " ".join(f"{v.name[:17]:>17} steps dE(meV) F_left" for v in main))
    for rows in zip(*(v.structures for v in main), strict=True):
        cells = []
        for r in rows:
            flag = "" if r.converged else "*"
            cells.append(f"{r.energy_per_atom_ev:17.5f} {r.steps:5d} {r.d_energy_mev_per_atom:7.3f} "
                         f"{r.fmax_left_ev_per_a:6.3f}{flag}")  # fmt: skip
        print(f"{rows[0].phase:<7} {rows[0].n_atoms:5d} " + " ".join(cells))
    print("(* fmax 0.02 eV/A not met by the filter's gradient at the final structure)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--levers", action="store_true", help="also time the lever variants (first repeat only)")
    parser.add_argument("--torch-threads", type=int, default=None, help="for every variant; default: torch's")
    parser.add_argument("--blas-threads", type=int, default=None, help="for every variant; default: OpenBLAS's")
    parser.add_argument("--phases", default=",".join(PHASES), help="comma-separated library names")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    logging.basicConfig(level=logging.ERROR)
    started = time.perf_counter()
    # Everything imported before any clock starts: no variant pays for another's imports.
    for module in WARM_IMPORTS:
        importlib.import_module(module)
    import torch

    from structures.library import get_phase

    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    if args.blas_threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.blas_threads, user_api="blas")  # for the whole process
    names = args.phases.split(",")
    structures = {name: get_phase(name).build() for name in names}
    molecules = {name for name in names if get_phase(name).is_molecule}
    print(f"imports and {len(names)} structures built in {time.perf_counter() - started:.1f} s; "
          f"torch threads {torch.get_num_threads()}; load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    meter = Meter()
    repeats: list[list[VariantRun]] = []
    with meter.installed():
        for index in range(1, args.repeats + 1):
            main_three = [
                ("project", lambda: run_project(names, meter)),
                ("atomate2_default", lambda: run_atomate2(names, structures, meter, None)),
                ("atomate2_bfgs", lambda: run_atomate2(names, structures, meter, "BFGS")),
            ]
            order = main_three if index % 2 else main_three[::-1]  # even repeats reversed: load drift evens out
            timed = {name: _variant(name, meter, run) for name, run in order}
            variants = [timed[name] for name, _ in main_three]
            if args.levers and index == 1:
                threads_limited = args.torch_threads == 1 and args.blas_threads == 1
                variants += [
                    _variant(name, meter, run) for name, run in levers(names, structures, meter, threads_limited)
                ]
            check_final_structures(variants, molecules)
            print_repeat(index, variants)
            repeats.append(variants)
            write_results(args.output, names, repeats)  # after every repeat: a long run leaves what it measured


def _speedup(repeat: list[VariantRun], slower: str, faster: str) -> float:
    by_name = {v.name: v for v in repeat}
    return by_name[slower].wall_s / by_name[faster].wall_s


def write_results(path: Path, names: list[str], repeats: list[list[VariantRun]]) -> None:
    """Print the speedups (medians over repeats) and write them with every figure to `path`."""
    import torch
    from threadpoolctl import threadpool_info

    speedups = {
        f"speedup_vs_{other}": round(statistics.median(_speedup(r, other, "project") for r in repeats), 2)
        for other in ("atomate2_default", "atomate2_bfgs")
    }
    per_repeat = {
        f"speedup_vs_{other}_per_repeat": [round(_speedup(r, other, "project"), 2) for r in repeats]
        for other in ("atomate2_default", "atomate2_bfgs")
    }
    first = repeats[0]
    lever_speedups = {
        v.name: {f"vs_{other}": round(_speedup(first, other, v.name), 2) for other in ("atomate2_default",
                                                                                       "atomate2_bfgs")}
        for v in first[3:]
    }  # fmt: skip
    same_threads = (  # both sides under the same thread limits
        ("project_blas1", "atomate2_bfgs_blas1"),
        ("project_blas1_torch1", "atomate2_default_blas1_torch1"),
        ("project_blas1_torch1", "atomate2_bfgs_blas1_torch1"),
    )
    for faster, slower in same_threads:
        if faster in lever_speedups and slower in lever_speedups:
            lever_speedups[faster][f"vs_{slower}"] = round(_speedup(first, slower, faster), 2)
    print()
    for key, value in speedups.items():
        print(f"{key}: {value}  (per repeat: {', '.join(map(str, per_repeat[key + '_per_repeat']))})")
    for name, values in lever_speedups.items():
        print(f"  lever {name}: " + ", ".join(f"{value}x {key}" for key, value in values.items()))
    result = {
        **speedups,
        **per_repeat,
        "lever_speedups_first_repeat": lever_speedups,
        "fmax_ev_per_a": FMAX_EV_PER_A,
        "phases": names,
        "environment": {
            "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "blas_threads": [f"{i['internal_api']} {i['num_threads']}" for i in threadpool_info()
                             if i["user_api"] == "blas"],
            "versions": {package: version(package) for package in ("atomate2", "jobflow", "sevenn", "torch", "ase")},
        },
        "repeats": [{v.name: v.summary() for v in r} for r in repeats],
    }  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
