"""Submit a screen to a cluster through jobflow-remote, and follow what was submitted.

The flow is the one `run` executes locally (`ScreeningMaker`), with `phases_per_job` phases per relaxation and
phonon job: every job on a cluster is a process that imports the code and loads the energy model before it
computes, so a job per phase would load the model once per phase. Each job is routed by kind (relax, phonons,
analysis) to a worker with resources, from the project's `metadata.hydride_screen`. The results reach the project's
job store as job outputs (additional stores `runs` and `results`), where `top`, `show`, `runs`, `export` and
`report` read them with `--store mongodb://...`.

A screen is identified by its inputs hash (config, energy source, code and data files, as `run` reuses runs by):
a screen whose run is stored, or whose flow is still in the queue, is not submitted again."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

from monty.json import MontyDecoder, MSONable

from screening.errors import ConfigError, UnknownPhaseError
from screening.screen.documents import RunRecord
from workflows.config import ScreenConfig
from workflows.hpc_project import METADATA_KEY, HpcProject, JobKind, open_project
from workflows.phase_makers import PhononGroupMaker, PhononMaker, RelaxGroupMaker, RelaxMaker
from workflows.run import provenance_of
from workflows.screening_maker import ScreeningMaker
from workflows.stores import results_store_of

if TYPE_CHECKING:
    from jobflow import Flow, Job
    from jobflow_remote.jobs.jobcontroller import JobController

logger = logging.getLogger(__name__)

# Flows still going: a screen with one of these is not submitted again. A FAILED flow is (its computed phases
# come from the cache), and so is a COMPLETED one whose results are no longer in the store.
ACTIVE_FLOW_STATES = ("WAITING", "READY", "RUNNING", "PAUSED")
FAILED_JOB_STATES = ("FAILED", "REMOTE_ERROR", "STOPPED", "USER_STOPPED")


def job_kind(job: Job) -> JobKind:
    """Whether a job of a screen relaxes, adds phonons, or analyses (by the maker that made it)."""
    maker = getattr(job, "maker", None)
    if isinstance(maker, RelaxMaker | RelaxGroupMaker):
        return JobKind.relax
    if isinstance(maker, PhononMaker | PhononGroupMaker):
        return JobKind.phonons
    return JobKind.analysis


def screen_identity(config: ScreenConfig) -> dict[str, str]:
    """What makes two submissions the same screen: the inputs hash that `run` reuses stored runs by (config,
    energy source, code and data files), with the readable parts beside it in the flow's metadata."""
    return {
        "inputs_hash": config.inputs_hash,
        "config_hash": config.config_hash,
        "code_version": version("hydride-screen"),
        "energy_source_id": config.source.id,
    }


@dataclass
class Submission(MSONable):
    """What `submit` did: `submitted` a new flow of `jobs` jobs, or nothing because the screen is `stored` (its
    run is in the store) or `queued` (its flow is still in the queue)."""

    state: str
    run_id: str
    screen_name: str
    project: str
    jobs: int = 0
    flow_id: str = ""
    workers: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        """One line for the terminal and logs."""
        where = f"jobflow-remote project {self.project!r}"
        run = f"run {self.run_id} of screen {self.screen_name!r}"
        if self.state == "stored":
            return f"nothing submitted: {run} is already in the store of {where}"
        if self.state == "queued":
            return f"nothing submitted: {run} is still in the queue of {where}"
        routes = ", ".join(f"{kind} -> {worker}" for kind, worker in self.workers.items())
        return f"submitted run {self.run_id} ({self.screen_name}): {self.jobs} jobs to {where} ({routes})"


def screening_flow_for(config: ScreenConfig, hpc: HpcProject, worker: str | None = None) -> tuple[Flow, dict]:
    """The screen's flow with the project's grouping, every job routed to its worker with its resources, and the
    screen's identity in the flow's metadata; and which worker each kind of job goes to."""
    from jobflow_remote import set_run_config

    provenance = provenance_of(config)
    maker = replace(ScreeningMaker.from_config(config), phases_per_job=hpc.settings.phases_per_job)
    flow = maker.make(config.plan, provenance, materials_project=config.materials_project())
    workers = {}
    for job in flow.jobs:
        kind = job_kind(job)
        route = hpc.route(kind, worker)
        set_run_config(job, worker=route.worker, resources=route.resources, exec_config=route.exec_config)
        workers[kind.value] = route.worker
    flow.name = f"{config.name} {provenance.run_id}"
    flow.metadata[METADATA_KEY] = {
        "run_id": provenance.run_id,
        "screen_name": config.name,
        "started_utc": provenance.started_utc,
        **screen_identity(config),
    }
    return flow, workers


def submit_screen(config: ScreenConfig, project: str | None = None, worker: str | None = None) -> Submission:
    """Submit a screen to a jobflow-remote project, unless its run is stored or its flow is still queued. The
    runner of the project (`jf runner start`) then takes the jobs to the workers."""
    hpc = open_project(project)
    if worker is not None:
        hpc.check_worker(worker)
    identity = screen_identity(config)
    with hpc.controller() as controller:
        _check_initialised(hpc, controller)
        stored = _stored_run(controller, identity)
        if stored is not None:
            return Submission("stored", stored.run_id, config.name, hpc.name)
        queued = controller.get_flows_info(
            metadata={f"{METADATA_KEY}.{key}": value for key, value in identity.items()},
            states=[_flow_state(s) for s in ACTIVE_FLOW_STATES],
            sort=[("created_on", -1)],
        )
        if queued:
            return Submission("queued", queued[0].flow_metadata[METADATA_KEY]["run_id"], config.name, hpc.name)
    flow, workers = screening_flow_for(config, hpc, worker)
    from jobflow_remote import submit_flow

    with hpc.reachable("queue database"):
        db_ids = submit_flow(flow, worker=workers[JobKind.analysis.value], project=hpc.name)
    run_id = flow.metadata[METADATA_KEY]["run_id"]
    logger.info("submitted run %s as flow %s (jobs %s)", run_id, flow.uuid, ", ".join(db_ids))
    return Submission("submitted", run_id, config.name, hpc.name, len(db_ids), flow.uuid, workers)


def _stored_run(controller: JobController, identity: dict[str, str]) -> RunRecord | None:
    """The newest stored run of this screen in the project's job store, if any."""
    records = results_store_of(controller.jobstore).records()
    same = [r for r in records if all(getattr(r, key) == value for key, value in identity.items())]
    return same[0] if same else None


def _check_initialised(hpc: HpcProject, controller: JobController) -> None:
    if controller.auxiliary.find_one({"next_id": {"$exists": True}}) is None:
        raise ConfigError(
            f"the queue database of jobflow-remote project {hpc.name!r} is not initialised: run "
            f"`jf -p {hpc.name} admin reset` once"
        )


def _flow_state(name: str) -> Any:
    from jobflow_remote.jobs.state import FlowState

    return FlowState(name)


# --- status ---------------------------------------------------------------------------------------------------


@dataclass
class FailedJob(MSONable):
    """A job the queue could not complete, with the last line of its error."""

    db_id: str
    name: str
    state: str
    reason: str
    phases: list[str] = field(default_factory=list)


@dataclass
class ScreenStatus(MSONable):
    """A submitted screen as the queue and the store see it: the flow's state, its jobs by state, jobs that failed
    (with reasons), phases that a completed job could not use (with reasons), and the stored run once finished."""

    run_id: str
    screen_name: str
    project: str
    flow_id: str
    flow_state: str
    submitted_utc: str
    jobs_total: int
    jobs_by_state: dict[str, int]
    failed_jobs: list[FailedJob] = field(default_factory=list)
    failed_phases: dict[str, str] = field(default_factory=dict)
    stored: RunRecord | None = None

    @property
    def jobs_completed(self) -> int:
        """Jobs in the COMPLETED state."""
        return self.jobs_by_state.get("COMPLETED", 0)

    def line(self) -> str:
        """One line: run, screen, state, progress."""
        others = ", ".join(
            f"{n} {state.lower()}" for state, n in sorted(self.jobs_by_state.items()) if state != "COMPLETED"
        )
        found = ""
        if self.stored is not None:
            what = "candidates" if self.stored.kind != "anode" else "anodes"
            found = f"; stored: {self.stored.n_candidates} {what}, {self.stored.n_failed} failed"
        return (
            f"run {self.run_id} ({self.screen_name}): {self.flow_state.lower()}, {self.jobs_completed} of "
            f"{self.jobs_total} jobs completed" + (f" ({others})" if others else "") + found
        )

    def lines(self) -> list[str]:
        """The line, then every failed job and every phase not used, with its reason."""
        lines = [self.line()]
        for job in self.failed_jobs:
            phases = f" [{', '.join(job.phases)}]" if job.phases else ""
            lines.append(f"  failed job {job.db_id} {job.name}{phases} ({job.state.lower()}): {job.reason}")
        lines += [f"  phase not used: {name}: {reason}" for name, reason in self.failed_phases.items()]
        return lines


def screen_status(run_id: str | None = None, project: str | None = None) -> list[ScreenStatus]:
    """The submitted screens of a project, newest first; only the run `run_id` (a unique prefix is enough) when
    given, and UnknownPhaseError when no submitted run has it."""
    import re

    hpc = open_project(project)
    with hpc.controller() as controller:
        pattern = {"$regex": f"^{re.escape(run_id)}"} if run_id else {"$exists": True}
        flows = controller.get_flows_info(metadata={f"{METADATA_KEY}.run_id": pattern}, sort=[("created_on", -1)])
        if run_id and not flows:
            raise UnknownPhaseError(f"no submitted run {run_id!r} in jobflow-remote project {hpc.name!r}")
        if run_id and len({f.flow_metadata[METADATA_KEY]["run_id"] for f in flows}) > 1:
            found = ", ".join(f.flow_metadata[METADATA_KEY]["run_id"] for f in flows)
            raise ConfigError(f"run id {run_id!r} is ambiguous: {found}")
        records = {r.run_id: r for r in results_store_of(controller.jobstore).records()}
        return [_status_of(flow, controller, records, hpc.name) for flow in flows]


def _status_of(flow: Any, controller: JobController, records: dict[str, RunRecord], project: str) -> ScreenStatus:
    meta = flow.flow_metadata[METADATA_KEY]
    jobs = controller.get_jobs_info(flow_ids=[flow.flow_id], sort=[("db_id", 1)])
    by_state: dict[str, int] = {}
    for info in jobs:
        by_state[info.state.value] = by_state.get(info.state.value, 0) + 1
    failed = [
        FailedJob(info.db_id, info.name, info.state.value, _reason(info), list((info.metadata or {}).get("phases", [])))
        for info in jobs
        if info.state.value in FAILED_JOB_STATES
    ]
    completed = [info.uuid for info in jobs if info.state.value == "COMPLETED"]
    return ScreenStatus(
        run_id=meta["run_id"],
        screen_name=meta["screen_name"],
        project=project,
        flow_id=flow.flow_id,
        flow_state=flow.state.value,
        submitted_utc=meta.get("started_utc", ""),
        jobs_total=len(jobs),
        jobs_by_state=by_state,
        failed_jobs=failed,
        failed_phases=_phase_failures(controller, completed),
        stored=records.get(meta["run_id"]),
    )


def _reason(info: Any) -> str:
    """The last line of a failed job's error (the exception, after its traceback), or the remote error's."""
    for text in (info.error, getattr(info.remote, "error", None)):
        lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
        if lines:
            return lines[-1]
    return "no error recorded (see `jf job info` for the job)"


def _phase_failures(controller: JobController, job_uuids: list[str]) -> dict[str, str]:
    """Phases that completed jobs could not use, by name, with the reason their outcome gives."""
    if not job_uuids:
        return {}
    criteria = {"uuid": {"$in": job_uuids}, "output.@class": "PhaseFailure"}
    failures = {}
    for document in controller.jobstore.query(criteria, properties=["output"], load=False):
        outputs = document["output"] if isinstance(document["output"], list) else [document["output"]]
        for output in outputs:
            if isinstance(output, dict) and output.get("@class") == "PhaseFailure":
                failure = MontyDecoder().process_decoded(output)
                failures[failure.name] = failure.reason
    return failures
