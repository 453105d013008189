"""Phase calculations of a local run spread over worker processes before the flow runs.

A screen's cost is its relaxations and phonons, one phase at a time. On a small CPU the model's own threads
share a call badly (most of a small cell's call is per-call overhead, not arithmetic), so `workers` processes,
each with its own model and its share of the cores (one thread each on 2 cores), compute the phases side by
side. They run the flow's own phase makers (`RelaxMaker.outcome`, `PhononMaker.outcome`), whose results land in
the calculation cache; the flow then finds every one of them there. Cache files are written atomically, so two
processes never see half a file.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from jobflow import Flow, OutputReference

from screening.energy.phase_results import relax_cache_key
from screening.energy.phonons import phonon_cache_key
from screening.energy.relax import RelaxationResult
from screening.energy.sources import EnergySource
from structures.phase import Phase
from workflows.phase_makers import PhononMaker, RelaxMaker, calculation_cache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PhaseTask:
    """What the flow computes for one phase: its relaxation and, unless the run is static, its phonons."""

    phase: Phase
    relax_maker: RelaxMaker
    phonon_maker: PhononMaker | None = None

    def compute(self) -> None:
        """Relax (and add phonons) through the makers, so the results are cached under the flow's own keys."""
        outcome = self.relax_maker.outcome(self.phase)
        if self.phonon_maker is not None:
            self.phonon_maker.outcome(outcome)

    def is_cached(self) -> bool:
        """True when the cache holds everything this task computes (read from the cache; no model is loaded)."""
        source = self.relax_maker.source or EnergySource()
        key = relax_cache_key(self.phase, source, self.relax_maker.settings)
        relaxed = calculation_cache(self.relax_maker.cache_dir).get(key, RelaxationResult)
        if relaxed is None or self.phonon_maker is None or relaxed.rejected_reason:
            return relaxed is not None
        phonon_source = self.phonon_maker.source or EnergySource()
        phonons = phonon_cache_key(relaxed.structure, phonon_source, self.phonon_maker.settings, self.phase.is_molecule)
        return phonons in calculation_cache(self.phonon_maker.cache_dir)


def phase_tasks(flow: Flow) -> list[PhaseTask]:
    """The per-phase jobs of a screening flow as tasks, largest cell first (the longest tasks start first, so the
    workers finish together). Group jobs (`phases_per_job` > 1, for clusters) are left to the flow."""
    relaxations: dict[str, tuple[Phase, RelaxMaker]] = {}
    phonons: dict[str, PhononMaker] = {}
    for job in flow.jobs:
        maker, args = job.maker, job.function_args
        if isinstance(maker, RelaxMaker) and args and isinstance(args[0], Phase):
            relaxations[job.uuid] = (args[0], maker)
        elif isinstance(maker, PhononMaker) and args and isinstance(args[0], OutputReference):
            phonons[args[0].uuid] = maker
    tasks = [PhaseTask(phase, maker, phonons.get(uuid)) for uuid, (phase, maker) in relaxations.items()]
    return sorted(tasks, key=lambda task: -len(task.phase.build()))


# Thread pools of the numerical libraries, read once when they load; a spawned worker inherits these from its parent.
# BLAS stays on one thread: the relaxations' small solves only wait on a second one (docs/performance.md).
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def threads_per_worker(workers: int) -> int:
    """The cores shared out between the workers: one thread each on 2 cores, more where there are more cores."""
    return max(1, (os.cpu_count() or 1) // workers)


@contextlib.contextmanager
def _worker_environment(threads: int) -> Iterator[None]:
    """Workers started inside this block load torch (OpenMP) with `threads` threads and BLAS with one."""
    wanted = dict.fromkeys(BLAS_THREAD_VARIABLES, "1") | {"OMP_NUM_THREADS": str(threads)}
    saved = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _set_threads(threads: int) -> None:
    """A worker computes with its share of the cores (the workers, not one process's threads, use them)."""
    import torch

    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)


def _compute(task: PhaseTask) -> tuple[str, str]:
    """A task in a worker: the phase's name and '' or, when it raised, the error (the flow reports it later)."""
    try:
        task.compute()
    except Exception as error:  # any error: the flow redoes this phase and raises it in its place
        return task.phase.name, f"{type(error).__name__}: {error}"
    return task.phase.name, ""


def compute_in_workers(
    tasks: list[PhaseTask], workers: int, progress: Callable[[int, int, str], None] | None = None
) -> int:
    """Compute the tasks the cache does not hold in `workers` processes (`threads_per_worker` each); the number that
    finished. A task that raises is logged and left to the flow, which computes it again and reports its error
    where the run expects it. Fewer than two such tasks are left to the flow: a worker's start-up (imports and a
    model load, about 10 s) would cost more than it saves. An interrupt stops the workers at once."""
    pending = [task for task in tasks if not task.is_cached()]
    if workers < 2 or len(pending) < 2:
        return 0
    done = 0
    context = multiprocessing.get_context("spawn")  # fork would copy a loaded model and torch's thread pools
    workers = min(workers, len(pending))
    threads = threads_per_worker(workers)
    with (
        _worker_environment(threads),
        context.Pool(workers, initializer=_set_threads, initargs=(threads,)) as pool,
    ):
        for name, error in pool.imap_unordered(_compute, pending):
            if error:
                logger.warning("phase %s failed in a worker (%s); the flow computes it again", name, error)
                continue
            done += 1
            if progress:
                progress(done, len(pending), f"{name} (in a worker)")
    return done
