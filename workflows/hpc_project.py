"""The jobflow-remote project a screen is submitted to: its workers, its queue database, its job store, and what
hydride-screen reads from the project's `metadata.hydride_screen` (how many phases one job computes, and which
worker and resources each kind of job gets). jobflow-remote is the `hpc` extra: it is imported here, lazily, so
that without it only the HPC commands fail, with one clear error."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from screening.errors import ConfigError
from screening.store import MONGO_TIMEOUT_MS

if TYPE_CHECKING:
    from jobflow_remote.config.base import Project
    from jobflow_remote.jobs.jobcontroller import JobController

METADATA_KEY = "hydride_screen"
INSTALL_HINT = "pip install 'hydride-screen[hpc]'"


class JobKind(StrEnum):
    """What a job of a screen does, for routing: relaxations and phonons call the energy model (minutes to hours
    per group, the GPU if there is one); analysis jobs (phase set, release paths, rank, record) take seconds."""

    relax = "relax"
    phonons = "phonons"
    analysis = "analysis"


class JobRoute(BaseModel):
    """Where one kind of job runs: a worker of the project (default: the project's first), scheduler resources
    merged over that worker's own `resources`, and a named `exec_config` of the project."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    worker: str | None = None
    resources: dict[str, Any] = Field(default_factory=dict)
    exec_config: str | None = None


class HpcSettings(BaseModel):
    """The project's `metadata.hydride_screen` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    phases_per_job: int = Field(8, ge=1)
    jobs: dict[JobKind, JobRoute] = Field(default_factory=dict)


def jobflow_remote_installed() -> None:
    """ConfigError unless jobflow-remote (the `hpc` extra) can be imported."""
    try:
        import jobflow_remote  # noqa: F401
    except ImportError:
        raise ConfigError(f"submitting to a cluster needs jobflow-remote: {INSTALL_HINT}") from None


def _quick_to_fail(spec: Any) -> Any:
    """A copy of a store specification whose MongoDB stores give up after MONGO_TIMEOUT_MS when the server cannot
    be reached (unless the project sets its own timeout)."""
    if isinstance(spec, list):
        return [_quick_to_fail(item) for item in spec]
    if not isinstance(spec, dict):
        return spec
    spec = {key: _quick_to_fail(value) for key, value in spec.items()}
    if spec.get("type", spec.get("@class")) in ("MongoStore", "MongoURIStore"):
        kwargs = dict(spec.get("mongoclient_kwargs") or {})
        kwargs.setdefault("serverSelectionTimeoutMS", MONGO_TIMEOUT_MS)
        spec["mongoclient_kwargs"] = kwargs
    return spec


def _server_of(spec: dict[str, Any]) -> str:
    """host:port of a store specification, for messages (never its credentials)."""
    if "host" in spec and "://" not in str(spec["host"]):
        return f"{spec['host']}:{spec.get('port', 27017)}"
    return "its MongoDB server"


@dataclass
class HpcProject:
    """A jobflow-remote project, checked for hydride-screen: it has workers, its settings parse, and their routes
    name its workers and exec_configs."""

    project: Project
    settings: HpcSettings

    @property
    def name(self) -> str:
        """The project's name."""
        return self.project.name

    @property
    def workers(self) -> list[str]:
        """The project's worker names, in the order of its file."""
        return list(self.project.workers)

    def check_worker(self, worker: str, where: str = "--worker") -> None:
        """ConfigError unless the project has this worker."""
        if worker not in self.project.workers:
            known = ", ".join(self.workers) or "none"
            raise ConfigError(
                f"{where}: jobflow-remote project {self.name!r} has no worker {worker!r} (its workers: {known})"
            )

    def route(self, kind: JobKind, worker: str | None = None) -> JobRoute:
        """Where a job of this kind runs: `worker` when given (every job to it), else the project's route for the
        kind, else its first worker; resources are the route's merged over the worker's own."""
        route = self.settings.jobs.get(kind, JobRoute())
        name = worker or route.worker or self.workers[0]
        resources = {**(self.project.workers[name].resources or {}), **route.resources}
        return JobRoute(worker=name, resources=resources, exec_config=route.exec_config)

    def quick(self) -> Project:
        """A copy of the project whose MongoDB stores fail fast when their server cannot be reached."""
        quick = self.project.model_copy(deep=True)
        quick.queue.store = _quick_to_fail(quick.queue.store)
        quick.jobstore = _quick_to_fail(quick.jobstore)
        return quick

    @contextmanager
    def reachable(self, what: str) -> Iterator[None]:
        """pymongo's errors as one ConfigError naming the project and the server."""
        from pymongo.errors import PyMongoError

        try:
            yield
        except PyMongoError as error:
            server = _server_of(self.project.queue.store)
            reason = str(error).split(" (configured timeouts")[0].split(", Timeout:")[0].splitlines()[0]
            raise ConfigError(
                f"cannot reach the {what} of jobflow-remote project {self.name!r} at {server}: {reason}"
            ) from None

    @contextmanager
    def controller(self) -> Iterator[JobController]:
        """The project's JobController (queue database and job store connected), closed on exit."""
        from jobflow_remote.jobs.jobcontroller import JobController

        with self.reachable("queue database"):
            controller = JobController.from_project(self.quick())
            controller.jobs.database.command("ping")
        try:
            with self.reachable("queue database"):
                yield controller
        finally:
            controller.close()


def open_project(name: str | None = None) -> HpcProject:
    """The jobflow-remote project `name` (default: jobflow-remote's default project, or the only one), checked;
    ConfigError for a missing extra, an unknown or unreadable project, or settings that name unknown workers."""
    jobflow_remote_installed()
    from jobflow_remote import SETTINGS
    from jobflow_remote.config.base import ConfigError as JobflowRemoteConfigError
    from jobflow_remote.config.manager import ConfigManager

    folder = Path(SETTINGS.projects_folder)
    try:
        manager = ConfigManager()
    except JobflowRemoteConfigError as error:  # e.g. two project files with the same name
        raise ConfigError(f"jobflow-remote projects in {folder}: {error}") from None
    try:
        project = manager.get_project(name)
    except JobflowRemoteConfigError:
        raise ConfigError(_why_no_project(name, folder, list(manager.projects_data))) from None
    try:
        settings = HpcSettings.model_validate((project.metadata or {}).get(METADATA_KEY) or {})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        raise ConfigError(
            f"jobflow-remote project {project.name!r}: metadata.{METADATA_KEY}.{where}: {message}"
        ) from None
    hpc = HpcProject(project, settings)
    if not project.workers:
        raise ConfigError(f"jobflow-remote project {project.name!r} has no workers")
    for kind, route in settings.jobs.items():
        if route.worker is not None:
            hpc.check_worker(route.worker, f"metadata.{METADATA_KEY}.jobs.{kind}.worker")
        if route.exec_config is not None and route.exec_config not in project.exec_config:
            raise ConfigError(
                f"metadata.{METADATA_KEY}.jobs.{kind}.exec_config: jobflow-remote project {project.name!r} has no "
                f"exec_config {route.exec_config!r}"
            )
    return hpc


def _why_no_project(name: str | None, folder: Path, known: list[str]) -> str:
    """Why jobflow-remote has no such project, in one line: none configured, several and no default, or a file
    that exists but does not validate (jobflow-remote skips those silently)."""
    if name is None:
        if not known:
            return (
                f"no jobflow-remote project in {folder}: copy docs/hpc/hydride-screen.yaml there and edit it "
                "(JFREMOTE_PROJECTS_FOLDER sets the folder)"
            )
        return f"give --project: jobflow-remote has several projects ({', '.join(known)}) and no default project"
    for path in sorted(folder.glob(f"{name}.*")):
        problem = _project_file_problem(path)
        if problem:
            return f"jobflow-remote project file {path} is not valid: {problem}"
    return f"no jobflow-remote project {name!r} in {folder} (known: {', '.join(known) or 'none'})"


def _project_file_problem(path: Path) -> str | None:
    """The first error of a project file that jobflow-remote could not load, or None."""
    from jobflow_remote.config.base import Project
    from monty.serialization import loadfn

    try:
        Project.model_validate(copy.deepcopy(loadfn(path)))
    except ValidationError as error:
        first = error.errors()[0]
        return f"{'.'.join(str(part) for part in first['loc'])}: {first['msg'].splitlines()[0]}"
    except Exception as error:  # unreadable YAML/JSON/TOML: any parser's error
        return str(error).splitlines()[0] if str(error) else type(error).__name__
    return None
