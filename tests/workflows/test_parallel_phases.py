"""Phases computed in worker processes before the flow: the same run as one process, with nothing left for the
flow to compute (a real EMT screen with phonons, two spawned workers, the calculation cache on disk)."""

import json
import os
import subprocess
import sys

import pytest
from conftest import TESTS_DIR
from parallel_support import BrokenWorkerTask
from tests_support import CountingEMT

from screening.energy.cache import ResultCache
from workflows.config import ScreenConfig
from workflows.parallel_phases import compute_in_workers, phase_tasks, threads_per_worker
from workflows.phase_makers import PhononMaker, RelaxMaker
from workflows.run import run_screen_locally, screening_flow


def emt_screen_with_phonons(store) -> ScreenConfig:
    return ScreenConfig(
        {
            "screen": {"name": "alh3-emt-phonons", "hosts": ["AlH3"], "additives": ["Ni"]},
            "energy": {"source": "tests_support:CountingEMT", "phonons": True, "corrections": False},
            "ranking": {"t_min_c": -40.0, "t_max_c": 85.0},
            "store": {"path": str(store)},
        }
    )


def test_tasks_are_the_flows_phase_jobs_each_with_its_phonon_maker_largest_cell_first(tmp_path):
    flow = screening_flow(emt_screen_with_phonons(tmp_path / "store"))
    tasks = phase_tasks(flow)
    relaxations = [job for job in flow.jobs if isinstance(job.maker, RelaxMaker)]
    assert len(tasks) == len(relaxations) > 3
    assert {task.phase.name for task in tasks} == {job.function_args[0].name for job in relaxations}
    assert all(isinstance(task.phonon_maker, PhononMaker) for task in tasks)
    sizes = [len(task.phase.build()) for task in tasks]
    assert sizes == sorted(sizes, reverse=True)


@pytest.mark.slow
def test_two_workers_give_the_run_of_one_process_and_leave_the_flow_nothing_to_compute(tmp_path, monkeypatch):
    monkeypatch.setenv("HYDRIDE_SCREEN_CACHE", str(tmp_path / "serial-cache"))
    serial = run_screen_locally(emt_screen_with_phonons(tmp_path / "serial"))

    monkeypatch.setenv("HYDRIDE_SCREEN_CACHE", str(tmp_path / "parallel-cache"))
    progress: list[tuple[int, int, str]] = []
    CountingEMT.calls = 0
    parallel = run_screen_locally(
        emt_screen_with_phonons(tmp_path / "parallel"), lambda *step: progress.append(step), workers=2
    )
    assert CountingEMT.calls == 0  # every energy was evaluated in the workers, none by the flow in this process
    assert parallel.calculations_computed == serial.calculations_computed > 0
    assert len(ResultCache(tmp_path / "parallel-cache" / "results")) == serial.calculations_computed
    phase_lines = [name for _, _, name in progress if name.endswith(" (in a worker)")]
    assert len(phase_lines) == len(phase_tasks(screening_flow(emt_screen_with_phonons(tmp_path / "x"))))
    assert [c.reaction for c in parallel.run.ranked.candidates] == [c.reaction for c in serial.run.ranked.candidates]
    for one, other in zip(parallel.run.ranked.candidates, serial.run.ranked.candidates, strict=True):
        assert one.dh_kj_per_mol_h2 == pytest.approx(other.dh_kj_per_mol_h2, abs=1e-9)
        assert one.t_1bar_k == pytest.approx(other.t_1bar_k, abs=1e-9)


def test_a_task_that_fails_in_a_worker_is_logged_and_left_to_the_flow(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("HYDRIDE_SCREEN_CACHE", str(tmp_path / "cache"))
    tasks = phase_tasks(screening_flow(emt_screen_with_phonons(tmp_path / "store")))
    broken = [BrokenWorkerTask(task.phase, task.relax_maker, task.phonon_maker) for task in tasks[:2]]
    assert compute_in_workers(broken, workers=2) == 0
    assert "broken on purpose" in caplog.text and "the flow computes it again" in caplog.text
    assert len(ResultCache(tmp_path / "cache" / "results")) == 0


def test_one_worker_or_one_missing_phase_is_left_to_the_flow(tmp_path, monkeypatch):
    monkeypatch.setenv("HYDRIDE_SCREEN_CACHE", str(tmp_path / "cache"))
    tasks = phase_tasks(screening_flow(emt_screen_with_phonons(tmp_path / "store")))
    assert compute_in_workers(tasks, workers=1) == 0
    for task in tasks[1:]:
        task.compute()  # in this process: the cache now lacks only the first phase
    assert [task.is_cached() for task in tasks] == [False] + [True] * (len(tasks) - 1)
    assert compute_in_workers(tasks, workers=2) == 0  # one missing phase: not worth starting workers
    assert not tasks[0].is_cached()


@pytest.mark.slow
def test_the_command_line_computes_new_phases_in_the_workers_it_is_given(tmp_path):
    screen = tmp_path / "screen.toml"
    screen.write_text(
        '[screen]\nname = "alh3-emt-phonons"\nhosts = ["AlH3"]\nadditives = ["Ni"]\n'
        '[energy]\nsource = "tests_support:CountingEMT"\nphonons = true\ncorrections = false\n'
        f'[store]\npath = "{tmp_path / "store"}"\n'
    )
    environment = os.environ | {"PYTHONPATH": str(TESTS_DIR), "HYDRIDE_SCREEN_CACHE": str(tmp_path / "cache")}
    command = [sys.executable, "-c", "from workflows.cli import app; app()", "run", "--json", "--workers", "2"]
    done = subprocess.run([*command, str(screen)], capture_output=True, text=True, timeout=600, env=environment)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["calculations_computed"] == len(ResultCache(tmp_path / "cache" / "results")) > 0
    phases = [line for line in done.stderr.splitlines() if line.endswith(" (in a worker)")]  # one per phase
    assert len(phases) == len(list((tmp_path / "cache" / "results").glob("relax-*.json")))


def test_workers_share_the_cores_one_thread_each_on_two(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert threads_per_worker(2) == 4 and threads_per_worker(3) == 2 and threads_per_worker(16) == 1
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert threads_per_worker(2) == 1
