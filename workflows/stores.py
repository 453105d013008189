"""The jobflow store of a run: job outputs plus the two results collections (run records and run
results) as additional stores, all in one store location (montydb directory or MongoDB)."""

from __future__ import annotations

from jobflow import JobStore

from screening.errors import ConfigError
from screening.store import RESULTS, RUNS, ResultsStore, StoreLocation, jobs_collection


def job_store(location: StoreLocation, run_id: str | None = None) -> JobStore:
    """A JobStore whose additional stores are the results collections (connect it once, in the parent)."""
    return JobStore(
        location.collection(jobs_collection(location, run_id)),
        additional_stores={RUNS: location.collection(RUNS), RESULTS: location.collection(RESULTS)},
    )


def results_store_of(store: JobStore) -> ResultsStore:
    """The results collections of a job store (its additional stores `runs` and `results`)."""
    if not {RUNS, RESULTS} <= set(store.additional_stores):
        raise ConfigError(
            f"the job store needs additional stores {RUNS!r} and {RESULTS!r} for screening results; "
            "build it with workflows.stores.job_store or add them to the jobflow(-remote) store config"
        )
    return ResultsStore(store.additional_stores[RUNS], store.additional_stores[RESULTS], "the job store")
