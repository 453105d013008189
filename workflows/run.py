"""Run a screen on this machine: build its flow, execute it with jobflow's `run_locally` against the
store of the config (connected once, here), and report what was computed and what came out."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from jobflow import Flow, run_locally

from screening.errors import HydrideScreenError
from screening.screen.documents import RunProvenance
from workflows.config import ScreenConfig
from workflows.parallel_phases import compute_in_workers, phase_tasks
from workflows.phase_makers import calculation_cache
from workflows.run_summary import RunSummary
from workflows.screening_maker import ScreeningMaker
from workflows.stores import job_store, results_store_of

logger = logging.getLogger(__name__)

# (jobs finished, jobs in the flow, name of the job just finished)
ProgressCallback = Callable[[int, int, str], None]


def provenance_of(config: ScreenConfig) -> RunProvenance:
    """The provenance of a new run of a screen config (a MongoDB password in it is not kept)."""
    return RunProvenance.new(
        config.plan, config.source.id, config.name, config.shown_tables, config.config_hash, config.inputs_hash
    )


def screening_flow(config: ScreenConfig, provenance: RunProvenance | None = None) -> Flow:
    """The jobflow graph of a screen config."""
    provenance = provenance or provenance_of(config)
    flow = ScreeningMaker.from_config(config).make(
        config.plan, provenance, materials_project=config.materials_project()
    )
    flow.update_metadata({"run_id": provenance.run_id})  # finds a run's jobs in a shared jobs collection (prune)
    return flow


class _JobProgress(logging.Handler):
    """Counts jobflow's 'Finished job' log records and reports them to a progress callback."""

    def __init__(self, total: int, callback: ProgressCallback) -> None:
        super().__init__(logging.INFO)
        self.total, self.done, self.callback = total, 0, callback

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Finished job - "):
            self.done += 1
            self.callback(self.done, self.total, message.removeprefix("Finished job - ").rsplit(" (", 1)[0])


def run_screen_locally(config: ScreenConfig, progress: ProgressCallback | None = None, workers: int = 1) -> RunSummary:
    """Execute a screen with `run_locally` into the config's store; raises when the run did not finish. With
    `workers` > 1 the phases are first computed in that many processes (`workflows.parallel_phases`)."""
    started = time.perf_counter()
    provenance = provenance_of(config)
    flow = screening_flow(config, provenance)
    config.store.prepare()  # after everything that can fail on bad input, so such a run writes nothing
    cache = calculation_cache(None)
    cached_before = len(cache)
    if workers > 1 and not config.source.is_database:
        compute_in_workers(phase_tasks(flow), workers, progress)
    jobflow_logger = logging.getLogger("jobflow.core.job")
    handler = _JobProgress(len(flow.jobs), progress) if progress else None
    if handler:
        jobflow_logger.addHandler(handler)
        jobflow_logger.setLevel(logging.INFO)
    store = job_store(config.store, provenance.run_id)
    try:
        run_locally(flow, store=store, log=False, raise_immediately=True)
    finally:
        if handler:
            jobflow_logger.removeHandler(handler)
    try:
        run = results_store_of(store).load(provenance.run_id)
    except HydrideScreenError as error:
        raise HydrideScreenError(f"run {provenance.run_id} did not finish: {error}") from None
    finally:
        store.close()
    return RunSummary(run, len(cache) - cached_before, len(flow.jobs), time.perf_counter() - started)
