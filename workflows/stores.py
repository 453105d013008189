"""The jobflow store of a run: job outputs plus the two results collections (run records and run
results) as additional stores, all in one store location (montydb directory or MongoDB)."""

from __future__ import annotations

from jobflow import JobStore

from screening.errors import ConfigError
from screening.store import RESULTS, RUNS, ResultsStore, StoreLocation

JOBS = "jobs"


def jobs_collection(location: StoreLocation, run_id: str | None = None) -> str:
    """The collection of a run's job documents. montydb reads and decodes every document of a collection
    for each query (no indexes), and jobflow queries once per reference, so on the embedded store each
    run keeps its jobs in its own collection (`jobs_<run id>`) and a run's cost does not grow with the
    history. MongoDB has one `jobs` collection."""
    return f"{JOBS}_{run_id}" if run_id and location.is_embedded else JOBS


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
