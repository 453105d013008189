"""The real services of the HPC tests, started by the scripts in tests/services/: a single-node SLURM (Debian's
slurm-wlm) and a MongoDB-wire server (SecantusDB, a separate process); a jobflow-remote project file that uses both;
and its runner, in the foreground of a child process. A test skips only where a service truly cannot run here
(the scripts exit 77 and say why: not root, no apt-get, the test extra not installed)."""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).parent
SERVICES = TESTS_DIR / "services"
VENV_BIN = Path(sys.executable).parent
CANNOT_RUN_HERE = 77


def _service(script: str, *args: str) -> None:
    """Run a service script; skip the test when it says the service cannot run here, fail on anything else."""
    environment = os.environ | {"PYTHON": sys.executable}
    result = subprocess.run(
        ["bash", str(SERVICES / script), *args], capture_output=True, text=True, timeout=600, env=environment
    )
    if result.returncode == CANNOT_RUN_HERE:
        pytest.skip(result.stderr.strip().splitlines()[-1])
    assert result.returncode == 0, f"{script} {' '.join(args)} failed:\n{result.stderr}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def mongodb_server(directory: Path) -> Iterator[str]:
    """A SecantusDB server on 127.0.0.1 with its data in `directory`; yields its mongodb:// URI."""
    port = free_port()
    _service("secantusdb.sh", "start", str(directory), str(port))
    try:
        yield f"mongodb://127.0.0.1:{port}"
    finally:
        _service("secantusdb.sh", "stop", str(directory))


def start_slurm() -> None:
    """The local SLURM, installed and started if need be (left running: the next test session reuses it)."""
    _service("slurm.sh", "start")


def mongo_spec(port: int, database: str, collection: str) -> dict:
    return {
        "type": "MongoStore",
        "host": "127.0.0.1",
        "port": port,
        "database": database,
        "collection_name": collection,
    }


def write_project(
    folder: Path, name: str, uri: str, root: Path, cache: Path, metadata: dict | None = None, **workers: dict
) -> Path:
    """A jobflow-remote project file: queue and job store on the server at `uri` (the job store in the database the
    results queries read, with the additional stores `runs` and `results`), the given workers (default: `cluster`,
    the local SLURM, and `login`, a shell worker for the cheap jobs), a runner that polls every second, and the
    hydride-screen settings in `metadata`. The workers' jobs use the calculation cache `cache`."""
    port = int(uri.rsplit(":", 1)[1])
    worker_env = f"export PATH={VENV_BIN}:$PATH\nexport PYTHONPATH={TESTS_DIR}\nexport HYDRIDE_SCREEN_CACHE={cache}"
    workers = workers or {
        "cluster": {"type": "local", "scheduler_type": "slurm", "work_dir": str(root / "cluster"),
                    "resources": {"ntasks": 1, "cpus_per_task": 1, "time": "00:30:00"}, "pre_run": worker_env},
        "login": {"type": "local", "scheduler_type": "shell", "work_dir": str(root / "login"), "pre_run": worker_env},
    }  # fmt: skip
    project = {
        "name": name,
        "base_dir": str(root / "project"),
        "workers": workers,
        "queue": {"store": mongo_spec(port, f"queue_{name}".replace("-", "_"), "jobs")},
        "jobstore": {
            "docs_store": mongo_spec(port, "hydride_screen", "jobs"),
            "additional_stores": {c: mongo_spec(port, "hydride_screen", c) for c in ("runs", "results")},
        },
        "runner": {"delay_checkout": 1, "delay_check_run_status": 1, "delay_advance_status": 1,
                   "delay_refresh_limited": 5, "delay_update_batch": 5, "delta_retry": [1, 2, 5]},
        "metadata": {"hydride_screen": metadata or {}},
    }  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(project, indent=1))
    return path


def jf(*args: str, env: dict) -> subprocess.CompletedProcess:
    """jobflow-remote's command line, in a new process."""
    result = subprocess.run([str(VENV_BIN / "jf"), *args], capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, f"jf {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@contextmanager
def runner(project: str, env: dict, log: Path) -> Iterator[subprocess.Popen]:
    """jobflow-remote's runner for a project, in the foreground of a child process (stopped by its pid on exit)."""
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(VENV_BIN / "jf"), "-p", project, "runner", "run", "--set-pid"],
            env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(condition, timeout_s: float, what: str, poll_s: float = 1.0):
    """Poll `condition()` until it returns something true; fail naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll_s)
    pytest.fail(f"{what}: not within {timeout_s:.0f} s")
