"""`run --store mongodb://...` for real: screens run by the command line into a MongoDB-wire server (SecantusDB, a
separate process started by tests/services/secantusdb.sh), two at once, and read back from new processes."""

import json
import os
import subprocess
import sys

import pytest
from conftest import TESTS_DIR
from hpc_services import mongodb_server
from pymongo import MongoClient
from test_workflows import emt_screen, write_screen

from screening.store import ResultsStore, StoreLocation
from workflows.config import ScreenConfig
from workflows.run import screening_flow


@pytest.fixture(scope="module")
def mongodb(tmp_path_factory):
    with mongodb_server(tmp_path_factory.mktemp("mongodb")) as uri:
        yield uri


@pytest.mark.slow
def test_two_runs_into_one_mongodb_at_once_lose_no_document(tmp_path, fresh_cache, mongodb):
    additives = ("Ni", "Cu")
    screens = [
        write_screen(tmp_path / f"{a}.toml", emt_screen(tmp_path / "unused", [a], "tests_support:SlowEMT"))
        for a in additives
    ]
    command = [sys.executable, "-c", "from workflows.cli import app; app()", "run", "--json", "--store", mongodb]
    environment = os.environ | {"PYTHONPATH": str(TESTS_DIR)}
    processes = [
        subprocess.Popen([*command, str(s)], env=environment, stdout=subprocess.PIPE, text=True) for s in screens
    ]
    outputs = [json.loads(p.communicate(timeout=900)[0]) for p in processes]
    assert [p.returncode for p in processes] == [0, 0]
    with ResultsStore.at(StoreLocation(uri=mongodb)) as results:
        assert sorted(r.run_id for r in results.records()) == sorted(o["run_id"] for o in outputs)
        for output in outputs:
            assert len(results.load(output["run_id"]).ranked.candidates) == output["n_candidates"] > 0
    database = MongoClient(mongodb)["hydride_screen"]
    jobs = sum(len(screening_flow(ScreenConfig(emt_screen(tmp_path, [a]))).jobs) for a in additives)
    assert database["jobs"].count_documents({}) == jobs  # every job document of both runs
    assert database["runs"].count_documents({}) == database["results"].count_documents({}) == 2
    shown = subprocess.run(
        [*command[:3], "top", "--json", "--run", outputs[1]["run_id"], "--store", mongodb],
        capture_output=True, text=True, env=environment, timeout=300,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert len(json.loads(shown.stdout)) == outputs[1]["n_candidates"]
