"""Submitting screens to a cluster with jobflow-remote, end to end against real services: a single-node SLURM
(Debian's slurm-wlm, through sbatch) and a MongoDB-wire server (SecantusDB, a separate process) holding the queue
and the job store; jobflow-remote's runner in a child process; every hydride-screen command in a new process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MP_API_KEY, RECORDINGS, TESTS_DIR
from hpc_services import free_port, jf, mongodb_server, runner, start_slurm, wait_for, write_project
from jobflow_remote.config.base import Project
from monty.serialization import loadfn
from mp_replay import ReplayServer, load_exchanges
from pymongo import MongoClient

from screening.energy.cache import ResultCache
from screening.energy.sources import EnergySource
from screening.screen.hydrogen import HydrogenStorageScreen
from screening.screen.run import run_screen
from screening.thermo.model import EnergyModel
from structures.materials_project import MaterialsProjectStructures
from workflows.config import ScreenConfig
from workflows.hpc_project import HpcProject, HpcSettings, JobKind
from workflows.submit import job_kind, screening_flow_for

ROOT = TESTS_DIR.parent
PROJECT = "hs-test"
QUEUE_DATABASE = "queue_hs_test"  # write_project's name for the project's queue database
ROUTES = {
    "phases_per_job": 6,
    "jobs": {
        "relax": {"worker": "cluster", "resources": {"time": "00:20:00"}},
        "phonons": {"worker": "cluster", "resources": {"time": "01:00:00"}},
        "analysis": {"worker": "login"},
    },
}


def screen_file(path: Path, source: str = "emt", **energy) -> Path:
    """AlH3 + Ni with EMT energies, static, no corrections: 12 phases, 2 relaxation jobs of 6."""
    energy = {"source": source, "phonons": False, "corrections": False} | energy
    lines = ["[screen]", 'name = "alh3-emt"', 'hosts = ["AlH3"]', 'additives = ["Ni"]', "[energy]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in energy.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def cli(*args: str, env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", "from workflows.cli import app; app()", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)


def environment(projects: Path, cache: Path) -> dict:
    """What every process of these tests sees: the jobflow-remote projects folder, the calculation cache, and the
    test helpers (the calculators that workers import by path); no Materials Project key (offline, as on compute
    nodes: answers come from the cache)."""
    return {k: v for k, v in os.environ.items() if k != "MP_API_KEY"} | {
        "JFREMOTE_PROJECTS_FOLDER": str(projects),
        "HYDRIDE_SCREEN_CACHE": str(cache),
        "PYTHONPATH": str(TESTS_DIR),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The MongoDB-wire server, running; its URI."""
    with mongodb_server(tmp_path_factory.mktemp("mongodb")) as uri:
        yield uri


@pytest.fixture(scope="module")
def cluster(server, tmp_path_factory):
    """SLURM and the MongoDB-wire server, running; a project that uses both; its queue initialised."""
    start_slurm()
    root = tmp_path_factory.mktemp("cluster")
    projects, cache = root / "projects", root / "cache"
    write_project(projects, PROJECT, server, root, cache, ROUTES)
    env = environment(projects, cache)
    jf("-p", PROJECT, "admin", "reset", "-y", env=env)
    return {"root": root, "uri": server, "env": env, "cache": cache, "queue": MongoClient(server)[QUEUE_DATABASE]}


def flow_state(queue, run_id: str) -> str | None:
    flow = queue.flows.find_one({"metadata.hydride_screen.run_id": run_id}, {"state": 1})
    return flow and flow["state"]


def jobs_of(queue, run_id: str) -> dict[str, dict]:
    """The queue's documents of a run's jobs, by job name."""
    flow = queue.flows.find_one({"metadata.hydride_screen.run_id": run_id})
    return {doc["job"]["name"]: doc for doc in queue.jobs.find({"uuid": {"$in": flow["jobs"]}})}


@pytest.fixture(scope="module")
def submitted(cluster):
    """Three screens submitted and taken by the runner through SLURM: one that completes (EMT rejects three Ni
    hydrides on the way), one whose calculator crashes on the Ni-H cells, failing one relaxation job, and one on
    Materials Project energies that this "login node" fetched into the shared cache before submitting."""
    env, root = cluster["env"], cluster["root"]
    good = screen_file(root / "good.toml")
    crashing = screen_file(root / "crash.toml", "tests_support:NiHydrideCrashEMT")
    replay = ReplayServer(load_exchanges(RECORDINGS)).start()
    try:
        client = MaterialsProjectStructures(
            api_key=MP_API_KEY, cache_dir=cluster["cache"] / "materials_project", endpoint=replay.url
        )
        client.records_in_chemical_system("Mg-H")
    finally:
        replay.stop()
    mp_screen = root / "mp.toml"
    mp_screen.write_text('[screen]\nname = "mgh2-mp"\nhosts = ["MgH2"]\nadditives = ["Mg"]\n'
                         '[energy]\nsource = "materials-project"\n')  # fmt: skip
    first = cli("submit", str(good), "--project", PROJECT, "--json", env=env)
    assert first.returncode == 0, first.stderr
    again_while_queued = cli("submit", str(good), "--project", PROJECT, "--json", env=env)
    crash = cli("submit", str(crashing), "--project", PROJECT, "--json", env=env)
    assert crash.returncode == 0, crash.stderr
    mp = cli("submit", str(mp_screen), "--project", PROJECT, "--json", env=env)
    assert mp.returncode == 0, mp.stderr
    runs = {"good": json.loads(first.stdout), "queued": json.loads(again_while_queued.stdout),
            "crash": json.loads(crash.stdout), "mp": json.loads(mp.stdout)}  # fmt: skip
    queue = cluster["queue"]
    crash_id = runs["crash"]["run_id"]

    def crash_settled() -> bool:
        states = {name: doc["state"] for name, doc in jobs_of(queue, crash_id).items()}
        return states["relax group 2 of 2"] == "FAILED" and states["relax group 1 of 2"] == "COMPLETED"

    with runner(PROJECT, env, root / "runner.log"):
        ended = {"COMPLETED", "FAILED"}  # the tests say which one they expect
        wait_for(
            lambda: crash_settled() and {flow_state(queue, runs[r]["run_id"]) for r in ("good", "mp")} <= ended,
            800, "every flow settled", 2,
        )  # fmt: skip
    return runs


@pytest.mark.slow
def test_a_submitted_screen_runs_through_sbatch_and_top_in_a_new_process_reads_the_ranked_list(cluster, submitted):
    run = submitted["good"]
    assert run["state"] == "submitted" and run["jobs"] == 6  # 2 relaxation groups, phase set, pair, rank, record
    shown = cli("top", "--json", "--store", cluster["uri"], "--run", run["run_id"], env=cluster["env"])
    assert shown.returncode == 0, shown.stderr
    stored = json.loads(shown.stdout)
    model = EnergyModel(EnergySource("emt"), with_vibrations=False, with_corrections=False)
    direct = run_screen(HydrogenStorageScreen(["AlH3"], ["Ni"]), model, cache=ResultCache(cluster["cache"] / "results"))
    expected = direct.ranked.top(10, "AlH3")
    assert [row["reaction"] for row in stored] == [c.reaction for c in expected] != []
    for row, candidate in zip(stored, expected, strict=True):
        assert row["dh_kj_per_mol_h2"] == pytest.approx(candidate.dh_kj_per_mol_h2, abs=1e-9)
        assert row["score"] == pytest.approx(candidate.score, abs=1e-9)
    listed = json.loads(cli("runs", "--json", "--store", cluster["uri"], env=cluster["env"]).stdout)
    assert run["run_id"] in [r["run_id"] for r in listed]


@pytest.mark.slow
def test_relaxations_go_through_sbatch_with_their_resources_and_analysis_jobs_to_the_local_worker(cluster, submitted):
    jobs = jobs_of(cluster["queue"], submitted["good"]["run_id"])
    for name, doc in jobs.items():
        script = (Path(doc["run_dir"]) / "submit.sh").read_text()
        if name.startswith("relax group"):
            assert doc["worker"] == "cluster" and doc["remote"]["process_id"].isdigit()  # a SLURM job id
            assert "#SBATCH --time=00:20:00" in script and "#SBATCH --ntasks=1" in script
        else:
            assert doc["worker"] == "login" and "#SBATCH" not in script
    assert set(jobs) == {"relax group 1 of 2", "relax group 2 of 2", "phase set", "release path AlH3 + Ni", "rank",
                         "record"}  # fmt: skip


@pytest.mark.slow
def test_resubmitting_a_screen_submits_nothing_while_queued_or_once_stored(cluster, submitted):
    assert submitted["queued"]["state"] == "queued" and submitted["queued"]["run_id"] == submitted["good"]["run_id"]
    flows_before = cluster["queue"].flows.count_documents({})
    again = cli("submit", str(cluster["root"] / "good.toml"), "--project", PROJECT, env=cluster["env"])
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"nothing submitted: run {submitted['good']['run_id']} of screen 'alh3-emt' is")
    assert cluster["queue"].flows.count_documents({}) == flows_before == 3


@pytest.mark.slow
def test_status_reports_progress_and_every_phase_a_completed_job_could_not_use(cluster, submitted):
    run_id = submitted["good"]["run_id"]
    shown = cli("status", run_id[:6], "--project", PROJECT, env=cluster["env"])
    assert shown.returncode == 0, shown.stderr
    first, *details = shown.stdout.strip().splitlines()
    assert first == f"run {run_id} (alh3-emt): completed, 6 of 6 jobs completed; stored: 1 candidates, 2 failed"
    rejected = ["NiH-rocksalt", "NiH2-fluorite"]  # EMT's hypothetical nickel hydrides that run away
    assert [line.split(": ")[:2] for line in details] == [["  phase not used", name] for name in rejected]
    assert "NiH: stopped at step 4: volume changed by" in details[0]  # EMT's rejected relaxation, with its reason


@pytest.mark.slow
def test_a_failed_job_is_reported_with_its_reason_and_the_jobs_that_do_not_need_it_complete(cluster, submitted):
    run_id = submitted["crash"]["run_id"]
    shown = cli("status", run_id, "--project", PROJECT, "--json", env=cluster["env"])
    assert shown.returncode == 0, shown.stderr
    (status,) = json.loads(shown.stdout)
    (failed,) = status["failed_jobs"]
    assert failed["name"] == "relax group 2 of 2" and failed["state"] == "FAILED"
    assert failed["reason"] == "tests_support.CalculatorCrash: EMT crashed on a Ni-H cell"
    assert "NiH-rocksalt" in failed["phases"]
    assert status["flow_state"] == "FAILED" and status["stored"] is None
    assert status["jobs_by_state"] == {"COMPLETED": 1, "FAILED": 1, "WAITING": 4}  # the rest waits on the failure
    text = cli("status", run_id, "--project", PROJECT, env=cluster["env"]).stdout
    assert "failed job" in text and "relax group 2 of 2 [Al2Ni-C15" in text and "EMT crashed on a Ni-H cell" in text
    listed = cli("status", "--project", PROJECT, env=cluster["env"]).stdout.strip().splitlines()
    assert len(listed) == 3 and listed[1].startswith(f"run {run_id} (alh3-emt): failed, 1 of 6 jobs completed")


@pytest.mark.slow
def test_compute_nodes_run_materials_project_screens_offline_from_the_cache_the_login_node_filled(cluster, submitted):
    run = submitted["mp"]
    shown = cli("top", "--json", "--run", run["run_id"], "--store", cluster["uri"], env=cluster["env"])
    assert shown.returncode == 0, shown.stderr
    (step,) = json.loads(shown.stdout)
    assert step["reaction"] == "1 MgH2 -> 1 Mg + 1 H2"
    listed = json.loads(cli("runs", "--json", "--store", cluster["uri"], env=cluster["env"]).stdout)
    (record,) = [r for r in listed if r["run_id"] == run["run_id"]]
    assert record["energy_source_id"].startswith("materials-project@")
    relaxed = [doc for name, doc in jobs_of(cluster["queue"], run["run_id"]).items() if name.startswith("relax")]
    assert relaxed and all(doc["worker"] == "cluster" and doc["state"] == "COMPLETED" for doc in relaxed)


# --- misconfiguration: one line on stderr, exit code 2, nothing submitted ----------------------------------------


@pytest.fixture
def offline_project(tmp_path):
    """A project whose MongoDB-wire server is not running (nothing listens on its port)."""
    uri = f"mongodb://127.0.0.1:{free_port()}"
    write_project(tmp_path / "projects", PROJECT, uri, tmp_path, tmp_path / "cache", ROUTES)
    return environment(tmp_path / "projects", tmp_path / "cache"), screen_file(tmp_path / "screen.toml"), uri


def one_error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ")
    return line


def test_an_unknown_project_is_one_line_naming_the_known_ones(offline_project, tmp_path):
    env, screen, _ = offline_project
    line = one_error_line(cli("submit", str(screen), "--project", "nope", env=env))
    assert line == f"error: no jobflow-remote project 'nope' in {tmp_path / 'projects'} (known: {PROJECT})"


def test_an_unknown_worker_is_one_line_naming_the_project_s_workers(offline_project):
    env, screen, _ = offline_project
    line = one_error_line(cli("submit", str(screen), "--worker", "gpu", env=env))
    expected = f"--worker: jobflow-remote project '{PROJECT}' has no worker 'gpu' (its workers: cluster, login)"
    assert line == f"error: {expected}"


def test_routes_naming_an_unknown_worker_are_refused(tmp_path):
    routes = {"jobs": {"phonons": {"worker": "gpu"}}}
    write_project(tmp_path / "projects", PROJECT, "mongodb://127.0.0.1:1", tmp_path, tmp_path / "cache", routes)
    env = environment(tmp_path / "projects", tmp_path / "cache")
    line = one_error_line(cli("status", env=env))
    assert line.startswith("error: metadata.hydride_screen.jobs.phonons.worker: jobflow-remote project")


def test_an_unreachable_store_is_one_line_within_seconds(offline_project):
    env, screen, uri = offline_project
    line = one_error_line(cli("submit", str(screen), env=env, timeout=120))
    port = uri.rsplit(":", 1)[1]
    assert line.startswith(
        f"error: cannot reach the queue database of jobflow-remote project '{PROJECT}' at 127.0.0.1:"
    )
    assert f"127.0.0.1:{port}" in line
    assert "Connection refused" in line


@pytest.mark.slow
def test_a_queue_never_initialised_is_one_line_saying_how_to_initialise_it(server, tmp_path):
    write_project(tmp_path / "projects", "fresh", server, tmp_path, tmp_path / "cache", ROUTES)
    env = environment(tmp_path / "projects", tmp_path / "cache")
    line = one_error_line(cli("submit", str(screen_file(tmp_path / "screen.toml")), env=env))
    assert line == "error: the queue database of jobflow-remote project 'fresh' is not initialised: run " \
                   "`jf -p fresh admin reset` once"  # fmt: skip


def test_without_the_hpc_extra_submit_and_status_say_how_to_install_it(offline_project):
    env, screen, _ = offline_project
    hide = "import sys; sys.modules['jobflow_remote'] = None; from workflows.cli import app; app()"
    for args in (["submit", str(screen)], ["status"]):
        result = subprocess.run([sys.executable, "-c", hide, *args], capture_output=True, text=True, env=env)
        assert one_error_line(result) == "error: submitting to a cluster needs jobflow-remote: pip install " \
                                         "'hydride-screen[hpc]'"  # fmt: skip


# --- the flow that is submitted ---------------------------------------------------------------------------------


def test_the_submitted_flow_groups_phases_and_routes_each_kind_with_its_resources(tmp_path):
    tables = {
        "screen": {"name": "alh3-emt", "hosts": ["AlH3"], "additives": ["Ni"]},
        "energy": {"source": "emt", "phonons": True, "corrections": False},
    }
    config = ScreenConfig(tables)
    project = json.loads(write_project(tmp_path, PROJECT, "mongodb://127.0.0.1:1", tmp_path, tmp_path).read_text())
    hpc = HpcProject(Project.model_validate(project), HpcSettings.model_validate(ROUTES))
    flow, workers = screening_flow_for(config, hpc)
    assert workers == {"relax": "cluster", "phonons": "cluster", "analysis": "login"}
    kinds = [job_kind(job) for job in flow.jobs]
    assert kinds.count(JobKind.relax) == kinds.count(JobKind.phonons) == 2  # 12 phases, 6 per job
    phases = [name for job in flow.jobs if job_kind(job) is JobKind.relax for name in job.metadata["phases"]]
    assert len(phases) == len(set(phases)) == 12
    for job in flow.jobs:
        config_ = job.config.manager_config
        if job_kind(job) is JobKind.phonons:
            assert config_["resources"] == {"ntasks": 1, "cpus_per_task": 1, "time": "01:00:00"}
        elif job_kind(job) is JobKind.relax:
            assert config_["resources"]["time"] == "00:20:00" and config_["worker"] == "cluster"
        else:
            assert config_["worker"] == "login"
    assert flow.metadata["hydride_screen"]["inputs_hash"] == config.inputs_hash


def test_the_documented_project_file_is_a_valid_project_with_valid_settings():
    document = loadfn(ROOT / "docs" / "hpc" / "hydride-screen.yaml")
    project = Project.model_validate(document)
    settings = HpcSettings.model_validate(project.metadata["hydride_screen"])
    assert {route.worker for route in settings.jobs.values()} <= set(project.workers)
    assert {"runs", "results"} <= set(project.jobstore["additional_stores"])
    assert {s["database"] for s in project.jobstore["additional_stores"].values()} == {"hydride_screen"}
    assert project.name == "hydride-screen"
