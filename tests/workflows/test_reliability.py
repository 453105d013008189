"""Mistakes and faults, as a new user meets them: each is one clear line on stderr naming the key, file or path,
the exit code the README states, and the runs stored before it are still there, whole."""

import io
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import TESTS_DIR
from jobflow import Flow, run_locally

from screening.energy.sources import EnergySource
from screening.store import ResultsStore, StoreLocation
from structures.library import get_phase
from workflows.cli import app
from workflows.config import ScreenConfig
from workflows.phase_makers import RelaxMaker
from workflows.run import provenance_of
from workflows.stores import job_store

ALH3_NI = {
    "screen": {"name": "alh3-emt", "hosts": ["AlH3"], "additives": ["Ni"]},
    "energy": {"source": "emt", "phonons": False, "corrections": False},
}


def toml_value(value: object) -> str:
    """A value in TOML (tables inline)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {toml_value(v)}" for key, v in value.items()) + " }"
    return json.dumps(value)


def toml(tables: dict) -> str:
    lines = []
    for table, values in tables.items():
        lines.append(f"[{table}]")
        lines += [f"{key} = {toml_value(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def cli(*args: str) -> Result:
    """The command line run in this process, as `hydride-screen` runs it (its error handling included)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            app(list(args), prog_name="hydride-screen")
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> tuple[Path, str]:
    """A store holding one finished EMT run (computed with its own cache), and the run's id."""
    root = tmp_path_factory.mktemp("stored")
    screen = root / "good.toml"
    screen.write_text(toml(ALH3_NI))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HYDRIDE_SCREEN_CACHE", str(root / "cache"))
        result = cli("run", "--json", str(screen), "--store", str(root / "store"))
    assert result.returncode == 0, result.stderr
    return root / "store", json.loads(result.stdout)["run_id"]


@pytest.fixture(autouse=True)
def _own_cache(fresh_cache: Path) -> None:
    """Every test computes (if at all) into a cache of its own."""


def assert_intact(store: Path, run_id: str) -> None:
    with ResultsStore.at(StoreLocation(str(store))) as results:
        assert [r.run_id for r in results.records()] == [run_id]
        assert results.load(run_id).ranked.candidates


def one_line(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def changed(table: str, key: str, value: object) -> dict:
    tables = json.loads(json.dumps(ALH3_NI))
    tables.setdefault(table, {})[key] = value
    return tables


BAD_SCREENS = {
    "symprec-negative": (changed("relax", "symprec", -1.0), "[relax] symprec must be between 1e-05 and 0.5 A"),
    "symprec-zero": (changed("relax", "symprec", 0.0), "[relax] symprec must be between"),
    "symprec-huge": (changed("relax", "symprec", 10.0), "[relax] symprec must be between"),
    "max-steps-zero": (changed("relax", "max_steps", 0), "[relax] max_steps must be a whole number from 1"),
    "max-steps-huge": (changed("relax", "max_steps", 10**12), "[relax] max_steps must be a whole number from 1"),
    "volume-bound-negative": (changed("relax", "max_volume_change_pct", -1.0), "max_volume_change_pct must be a"),
    "device-typo": (changed("energy", "device", "gpu0"), "[energy] device 'gpu0' is not a torch device"),
    "host-without-hydrogen": (changed("screen", "hosts", ["Al"]), "[screen] hosts: Al holds no hydrogen"),
    "ratio-huge": (changed("screen", "ratios", [1e300]), "from 0.01 to 100; got [1e+300]"),
    "ratio-tiny": (changed("screen", "ratios", [1e-300]), "from 0.01 to 100; got [1e-300]"),
    "ratio-string": (changed("screen", "ratios", ["0.5"]), "screen.ratios.0: Input should be a valid number"),
    "ratio-bool": (changed("screen", "ratios", [True]), "screen.ratios.0: Input should be a valid number"),
    "phonons-string": (changed("energy", "phonons", "yes"), "energy.phonons: Input should be a valid boolean"),
    "empty-name": (changed("screen", "name", " "), "the screen needs a name"),
    "host-is-additive": (changed("screen", "additives", ["AlH3"]), "every additive is the host itself"),
    "unknown-term": (changed("ranking", "terms", {"price": {"weight": 1}}), "unknown score term 'price'"),
}


@pytest.mark.parametrize("case", BAD_SCREENS, ids=list(BAD_SCREENS))
def test_a_bad_screen_is_one_line_exit_2_and_leaves_the_stored_run(case, stored, tmp_path):
    store, run_id = stored
    tables, message = BAD_SCREENS[case]
    screen = tmp_path / "bad.toml"
    screen.write_text(toml(tables))
    result = cli("run", str(screen), "--store", str(store))
    assert result.returncode == 2
    assert message in one_line(result)
    assert_intact(store, run_id)


def queries(store: Path, tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    (tmp_path / "a-folder").mkdir()
    return {
        "missing-store": (["runs", "--store", str(tmp_path / "nowhere")], f"no store at {tmp_path / 'nowhere'}"),
        "show-empty": (["show", "", "--store", str(store)], "show needs a candidate"),
        "show-plus": (["show", "+", "--store", str(store)], "show needs a candidate"),
        "report-empty-output": (["report", "--output", "", "--store", str(store)], "--output needs a folder name"),
        "export-into-a-folder": (["export", "--output", str(tmp_path / "a-folder"), "--store", str(store)],
                                 "is a folder; give a file name"),
        "export-missing-folder": (["export", "--output", str(tmp_path / "no" / "x.csv"), "--store", str(store)],
                                  "does not exist"),
        "unknown-run": (["top", "--run", "zzz", "--store", str(store)], "no run 'zzz' in the store"),
    }  # fmt: skip


QUERY_CASES = ["missing-store", "show-empty", "show-plus", "report-empty-output", "export-into-a-folder",
               "export-missing-folder", "unknown-run"]  # fmt: skip


@pytest.mark.parametrize("case", QUERY_CASES)
def test_a_bad_query_is_one_line_exit_2_and_creates_or_changes_nothing(case, stored, tmp_path):
    store, run_id = stored
    args, message = queries(store, tmp_path)[case]
    result = cli(*args)
    assert result.returncode == 2
    assert message in one_line(result)
    assert not (tmp_path / "nowhere").exists()
    assert_intact(store, run_id)


def test_hosts_and_additives_are_taken_once_without_their_spaces(tmp_path):
    tables = changed("screen", "hosts", [" AlH3 ", "AlH3"])
    tables["screen"]["additives"] = ["Ni", " Ni"]
    screen = tmp_path / "spaces.toml"
    screen.write_text("\ufeff" + toml(tables))  # a byte-order mark, as some editors write
    other = tmp_path / "store"
    result = cli("run", "--json", str(screen), "--store", str(other))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["hosts"] == ["AlH3"]
    top = json.loads(cli("top", "--host", "AlH3", "--json", "--store", str(other)).stdout)
    assert [row["additive"] for row in top] == ["Ni"]


def test_a_report_never_writes_through_a_link_or_over_an_earlier_report(stored, tmp_path):
    store, run_id = stored
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    folder = tmp_path / "report"
    folder.mkdir()
    (folder / "ranked.csv").symlink_to(outside)
    linked = cli("report", "--output", str(folder), "--store", str(store))
    assert linked.returncode == 2 and "is a symbolic link" in one_line(linked)
    assert outside.read_text() == "keep me"
    fresh = tmp_path / "fresh"
    assert cli("report", "--output", str(fresh), "--store", str(store)).returncode == 0
    again = cli("report", "--output", str(fresh), "--store", str(store))
    assert again.returncode == 2 and "exists from an earlier report" in one_line(again)
    assert cli("report", "--output", str(fresh), "--overwrite", "--store", str(store)).returncode == 0
    assert_intact(store, run_id)


def test_a_mongodb_password_is_neither_shown_nor_stored(tmp_path):
    tables = changed("store", "uri", "mongodb://alice:s3cret@127.0.0.1:9/?serverSelectionTimeoutMS=300")
    screen = tmp_path / "mongo.toml"
    screen.write_text(toml(tables))
    result = cli("run", str(screen))
    assert result.returncode != 0 and "s3cret" not in result.stderr + result.stdout
    assert "alice:***@127.0.0.1" in result.stderr
    assert "s3cret" not in json.dumps(provenance_of(ScreenConfig(tables)).config)


def test_a_damaged_store_file_is_one_line_naming_the_store(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    (store / "hydride_screen").mkdir()
    for name in ("runs", "results"):
        (store / "hydride_screen" / f"{name}.collection").write_bytes(b"this is not sqlite")
    result = cli("runs", "--store", str(store))
    assert result.returncode == 2
    assert f"the store at {store}" in one_line(result)


def test_prune_lists_and_removes_only_the_job_documents_of_an_unfinished_run(stored, tmp_path):
    store, run_id = stored
    location = StoreLocation(str(store))
    killed = "killed00run1"  # the first two relaxations of a run, then nothing: killed
    jobs = [RelaxMaker(source=EnergySource("emt")).make(get_phase(name)) for name in ("Al", "Ni")]
    run_locally(Flow(jobs), store=job_store(location, killed), log=False)
    assert f"unfinished {killed}: 2 job documents" in cli("prune", "--idle-hours", "0",
                                                                     "--store", str(store)).stdout  # fmt: skip
    assert "1 active within 1 h left alone" in cli("prune", "--store", str(store)).stdout
    removed = cli("prune", "--yes", "--idle-hours", "0", "--store", str(store))
    assert removed.returncode == 0 and f"removed {killed}" in removed.stdout
    assert "0 unfinished runs" in cli("prune", "--idle-hours", "0", "--store", str(store)).stdout
    assert_intact(store, run_id)


def test_a_screen_whose_every_phase_fails_is_stored_with_its_failures(tmp_path):
    screen = tmp_path / "hopeless.toml"
    screen.write_text(toml(changed("relax", "max_steps", 1)))  # nothing solid converges in one step
    store = tmp_path / "store"
    plain = cli("run", str(screen), "--store", str(store))
    assert plain.returncode == 0, plain.stderr
    assert "failed: AlH3 + Ni: " in plain.stderr and "did not converge in 1 steps" in plain.stderr
    strict = cli("run", "--strict", str(screen), "--store", str(store))  # the same inputs: the stored run, reused
    assert strict.returncode == 3 and "unchanged" in strict.stdout and "failed: AlH3 + Ni: " in strict.stderr
    with ResultsStore.at(StoreLocation(str(store))) as results:
        assert len(results.records()) == 1 and "AlH3 + Ni" in results.load().failed


@pytest.mark.slow
def test_a_terminated_run_exits_1_with_one_line(tmp_path, fresh_cache):
    screen = tmp_path / "slow.toml"
    screen.write_text(toml(changed("energy", "source", "tests_support:SlowEMT")))
    command = [sys.executable, "-c", "from workflows.cli import app; app()", "run", str(screen),
               "--store", str(tmp_path / "store")]  # fmt: skip
    process = subprocess.Popen(command, env=os.environ | {"PYTHONPATH": str(TESTS_DIR)}, stderr=subprocess.PIPE,
                               text=True)  # fmt: skip
    deadline = time.monotonic() + 300
    while not list(fresh_cache.glob("relax-*.json")) and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1
    assert stderr.strip().splitlines()[-1] == (
        "error: interrupted; the run did not finish (its calculations so far are cached)"
    )
