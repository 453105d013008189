"""Phase calculations of a local run spread over worker processes before the flow runs.

A screen's cost is its relaxations and phonons, one phase at a time. On a small CPU the model's own threads
share a call badly (most of a small cell's call is per-call overhead, not arithmetic), so `workers` processes of
one thread each, every one with its own model, compute the phases side by side. They run the flow's own phase
makers (`RelaxMaker.outcome`, `PhononMaker.outcome`), whose results land in the calculation cache; the flow
then finds every one of them there. Cache files are written atomically, so two processes never see half a file.
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
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def _one_thread_environment() -> Iterator[None]:
    """Workers started inside this block load numpy's BLAS and torch with one thread each."""
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    os.environ.update(dict.fromkeys(THREAD_VARIABLES, "1"))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _one_thread() -> None:
    """Each worker computes with one torch thread (the workers, not the threads, use the cores)."""
    import torch

    torch.set_num_threads(1)
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
    """Compute the tasks the cache does not hold in `workers` processes of one thread each; the number that
    finished. A task that raises is logged and left to the flow, which computes it again and reports its error
    where the run expects it. Fewer than two such tasks are left to the flow: a worker's start-up (imports and a
    model load, about 10 s) would cost more than it saves. An interrupt stops the workers at once."""
    pending = [task for task in tasks if not task.is_cached()]
    if workers < 2 or len(pending) < 2:
        return 0
    done = 0
    context = multiprocessing.get_context("spawn")  # fork would copy a loaded model and torch's thread pools
    with _one_thread_environment(), context.Pool(min(workers, len(pending)), initializer=_one_thread) as pool:
        for name, error in pool.imap_unordered(_compute, pending):
            if error:
                logger.warning("phase %s failed in a worker (%s); the flow computes it again", name, error)
                continue
            done += 1
            if progress:
                progress(done, len(pending), f"{name} (in a worker)")
    return done
