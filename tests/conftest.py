"""Fixtures shared by every test package: a fresh calculation cache, and the recorded-response stand-in of the
Materials Project API on 127.0.0.1 with a client that talks to it (no test ever calls the live API)."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from mp_replay import ReplayServer, load_exchanges

from structures.materials_project import MaterialsProjectStructures

TESTS_DIR = Path(__file__).parent
RECORDINGS = TESTS_DIR / "data" / "materials_project"
MP_API_KEY = "FAKE-KEY-FOR-TESTS-NOT-ISSUED-00"  # 32 characters, as mp-api requires; the stand-in checks none

# `hydride-screen run` computes new phases in two worker processes by default. The tests that start it as a command
# compute them in that one process (their EMT screens take seconds, and what a killed run leaves behind is the
# subject of some of them); tests/workflows/test_parallel_phases.py runs the workers, through the command too.
os.environ.setdefault("HYDRIDE_SCREEN_WORKERS", "1")


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A new, empty cache root for this test and every process it starts; returns its results folder."""
    monkeypatch.setenv("HYDRIDE_SCREEN_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "results"


@pytest.fixture
def mp_server() -> Iterator[ReplayServer]:
    """The recorded Materials Project answers, served on 127.0.0.1 (a new server per test: `seen` starts empty)."""
    replay = ReplayServer(load_exchanges(RECORDINGS)).start()
    yield replay
    replay.stop()


@pytest.fixture
def mp_client(mp_server: ReplayServer, tmp_path: Path) -> MaterialsProjectStructures:
    """A Materials Project client with an empty cache of its own, asking the stand-in."""
    return MaterialsProjectStructures(api_key=MP_API_KEY, cache_dir=tmp_path / "mp-cache", endpoint=mp_server.url)
