"""The screening workflow end to end: a real (EMT) screen through jobflow's run_locally into a montydb
store on disk, read back by the command line in new processes, re-run, extended, killed and resumed,
and run twice at once."""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import MP_API_KEY, TESTS_DIR
from monty.json import MontyDecoder
from tests_support import CLI_LISTING_MODULES, CountingEMT

from screening.energy.cache import ResultCache
from screening.energy.relax import RelaxSettings
from screening.energy.sources import EnergySource
from screening.errors import ConfigError, UnknownPhaseError
from screening.screen.hydrogen import HydrogenStorageScreen
from screening.screen.run import run_screen
from screening.store import ResultsStore, StoreLocation
from screening.thermo.model import EnergyModel
from screening.units import EV_TO_KJ_PER_MOL
from structures.materials_project import MaterialsProjectStructures
from workflows import config as config_module
from workflows.config import ScreenConfig, package_fingerprint
from workflows.phase_makers import PhononMaker, RelaxMaker
from workflows.run import run_screen_locally, screening_flow
from workflows.screening_maker import ScreeningMaker
from workflows.stores import job_store


def emt_screen(store: Path, additives: list[str], source: str = "tests_support:CountingEMT") -> dict:
    """A small real screen: AlH3 with metal additives, EMT energies (static, no corrections)."""
    return {
        "screen": {"name": "alh3-emt", "hosts": ["AlH3"], "additives": additives},
        "energy": {"source": source, "phonons": False, "corrections": False},
        "ranking": {"t_min_c": -40.0, "t_max_c": 85.0},
        "store": {"path": str(store)},
    }


def write_screen(path: Path, tables: dict) -> Path:
    lines = []
    for table, values in tables.items():
        lines.append(f"[{table}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", "from workflows.cli import app; app()", *args]
    environment = os.environ | {"PYTHONPATH": str(TESTS_DIR)} | (env or {})
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=environment)


@pytest.fixture
def cache(fresh_cache) -> Path:
    return fresh_cache


@pytest.fixture
def first_run(tmp_path, cache):
    config = ScreenConfig(emt_screen(tmp_path / "store", ["Ni"]))
    CountingEMT.calls = 0
    summary = run_screen_locally(config)
    return config, summary, CountingEMT.calls


def test_screen_runs_into_the_store_and_top_in_a_new_process_matches_direct_screening(first_run, tmp_path, cache):
    _, summary, _ = first_run
    shown = cli("top", "--host", "AlH3", "--json", "--store", str(tmp_path / "store"))
    assert shown.returncode == 0, shown.stderr
    stored = json.loads(shown.stdout)
    model = EnergyModel(EnergySource("tests_support:CountingEMT"), with_vibrations=False, with_corrections=False)
    direct = run_screen(HydrogenStorageScreen(["AlH3"], ["Ni"]), model, cache=ResultCache(cache))
    expected = direct.ranked.top(10, "AlH3")
    assert [row["reaction"] for row in stored] == [c.reaction for c in expected]
    for row, candidate in zip(stored, expected, strict=True):
        assert row["dh_kj_per_mol_h2"] == pytest.approx(candidate.dh_kj_per_mol_h2, abs=1e-9)
        assert row["t_1bar_k"] == pytest.approx(candidate.t_1bar_k, abs=1e-9)
        assert row["h2_wt_pct"] == pytest.approx(candidate.h2_wt_pct, abs=1e-9)
        assert row["score"] == pytest.approx(candidate.score, abs=1e-9)
    assert summary.run.failed == direct.failed
    assert summary.run.provenance.energy_source_id == model.source.id


def test_rerunning_a_screen_computes_nothing(first_run):
    config, first, first_calls = first_run
    CountingEMT.calls = 0
    second = run_screen_locally(config)
    assert first_calls > 0 and first.calculations_computed > 0
    assert CountingEMT.calls == 0
    assert second.calculations_computed == 0
    assert second.run.ranked.candidates == first.run.ranked.candidates


def test_run_of_unchanged_inputs_reports_the_stored_run_without_loading_jobflow_or_the_model(first_run, tmp_path):
    config, first, _ = first_run
    screen = write_screen(tmp_path / "same.toml", config.tables)
    command = [sys.executable, "-c", CLI_LISTING_MODULES, "run", "--json", str(screen)]
    again = subprocess.run(command, capture_output=True, text=True, env=os.environ | {"PYTHONPATH": str(TESTS_DIR)})
    assert again.returncode == 0, again.stderr
    reported = json.loads(again.stdout)
    assert reported["run_id"] == first.run.run_id and reported["reused"] is True
    assert reported["calculations_computed"] == 0 and reported["inputs_hash"] == config.inputs_hash
    assert not {"'jobflow'", "'torch'", "'maggma'"} & set(again.stderr.strip().splitlines()[-1].strip("[]").split(", "))
    forced = json.loads(cli("run", "--json", "--rerun", str(screen)).stdout)
    assert forced["run_id"] != first.run.run_id and forced["reused"] is False
    text = cli("run", str(screen)).stdout  # the newest run of these inputs is the one reported
    assert text.startswith(f"run {forced['run_id']} (alh3-emt): 1 candidates") and "unchanged" in text


def test_inputs_hash_follows_config_and_energy_source(tmp_path):
    base = ScreenConfig(emt_screen(tmp_path / "store", ["Ni"]))
    assert base.inputs_hash == ScreenConfig(emt_screen(tmp_path / "store", ["Ni"])).inputs_hash
    assert base.inputs_hash != ScreenConfig(emt_screen(tmp_path / "store", ["Cu"])).inputs_hash
    assert base.inputs_hash != ScreenConfig(emt_screen(tmp_path / "store", ["Ni"], source="emt")).inputs_hash


def test_package_fingerprint_changes_with_any_edit_of_code_or_data(tmp_path, monkeypatch):
    for package in config_module.PACKAGES:
        (tmp_path / package / "data").mkdir(parents=True)
        (tmp_path / package / "module.py").write_text("X = 1\n")
    data = tmp_path / "structures" / "data" / "elements.toml"
    data.write_text('[[phase]]\nname = "Mg"\n')
    monkeypatch.setattr(config_module, "PACKAGES_ROOT", tmp_path)
    fingerprints = []
    for edit in (lambda: None, lambda: data.write_text('[[phase]]\nname = "Mg2"\n'),
                 lambda: (tmp_path / "screening" / "module.py").write_text("X = 2\n")):  # fmt: skip
        edit()
        package_fingerprint.cache_clear()
        fingerprints.append(package_fingerprint())
    package_fingerprint.cache_clear()
    assert len(set(fingerprints)) == 3


@pytest.mark.usefixtures("first_run")
def test_adding_an_additive_computes_only_the_phases_of_its_system(tmp_path, cache):
    before = {path.name: path.stat().st_mtime_ns for path in cache.glob("*.json")}
    extended = ScreenConfig(emt_screen(tmp_path / "store", ["Ni", "Cu"]))
    summary = run_screen_locally(extended)
    new = sorted(path.name for path in cache.glob("*.json") if path.name not in before)
    assert new and all("Cu" in name for name in new)
    assert all(path.stat().st_mtime_ns == before[path.name] for path in cache.glob("*.json") if path.name in before)
    assert summary.calculations_computed == len(new)
    assert {c.additive for c in summary.run.ranked.candidates} == {"Ni", "Cu"}


def test_changing_the_calculator_recomputes_every_phase_for_that_calculator_only(first_run, tmp_path, cache):
    config, first, _ = first_run
    other = ScreenConfig(emt_screen(tmp_path / "store", ["Ni"], source="emt"))
    summary = run_screen_locally(other)
    assert summary.calculations_computed == first.calculations_computed
    CountingEMT.calls = 0
    run_screen_locally(config)
    assert CountingEMT.calls == 0


def test_runs_are_listed_newest_first_and_the_latest_is_the_default(first_run, tmp_path):
    config, first, _ = first_run
    second = run_screen_locally(config)
    with ResultsStore.at(StoreLocation(str(tmp_path / "store"))) as results:
        assert [r.run_id for r in results.records()] == [second.run.run_id, first.run.run_id]
        assert results.load().run_id == second.run.run_id
        assert results.load(first.run.run_id[:6]).run_id == first.run.run_id


def test_results_reach_the_results_collections_as_routed_job_outputs_once(first_run, tmp_path):
    _, summary, _ = first_run
    store = job_store(StoreLocation(str(tmp_path / "store")), summary.run.run_id)
    store.connect()
    assert store.docs_store.count() == summary.jobs
    ranking = store.query_one({"name": "rank"}, load=False)
    assert ranking["output"]["store"] == "results" and "blob_uuid" in ranking["output"]  # a reference, not a copy
    loaded = store.query_one({"name": "rank"}, load=True)
    assert MontyDecoder().process_decoded(loaded["output"]).run_id == summary.run.run_id
    assert store.additional_stores["results"].count({"data.provenance.run_id": summary.run.run_id}) == 1
    assert store.additional_stores["runs"].count({"data.run_id": summary.run.run_id}) == 1


@pytest.mark.slow
def test_a_killed_run_resumes_without_recomputing_what_it_stored(tmp_path, cache):
    screen = write_screen(tmp_path / "slow.toml", emt_screen(tmp_path / "store", ["Ni", "Cu"], "tests_support:SlowEMT"))
    command = [sys.executable, "-c", "from workflows.cli import app; app()", "run", str(screen)]
    process = subprocess.Popen(command, env=os.environ | {"PYTHONPATH": str(TESTS_DIR)}, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while len(list(cache.glob("relax-*.json"))) < 4 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL  # killed half-way, not finished
    done = {path.name: path.stat().st_mtime_ns for path in cache.glob("*.json")}
    assert len(done) >= 4
    with ResultsStore.at(StoreLocation(str(tmp_path / "store"))) as results:
        assert results.records() == []  # the killed run left no visible result
    summary = run_screen_locally(ScreenConfig.from_file(screen))
    after = {path.name: path.stat().st_mtime_ns for path in cache.glob("*.json")}
    assert all(after[name] == mtime for name, mtime in done.items())  # nothing stored was redone
    assert summary.calculations_computed == len(after) - len(done) > 0


@pytest.mark.slow
def test_two_runs_writing_to_one_store_at_once_lose_no_document(tmp_path, cache):
    screens = [
        write_screen(tmp_path / f"{a}.toml", emt_screen(tmp_path / "store", [a], "tests_support:SlowEMT"))
        for a in ("Ni", "Cu")
    ]
    command = [sys.executable, "-c", "from workflows.cli import app; app()", "run", "--json"]
    environment = os.environ | {"PYTHONPATH": str(TESTS_DIR)}
    processes = [
        subprocess.Popen([*command, str(s)], env=environment, stdout=subprocess.PIPE, text=True) for s in screens
    ]
    outputs = [json.loads(p.communicate(timeout=600)[0]) for p in processes]
    assert all(p.returncode == 0 for p in processes)
    location = StoreLocation(str(tmp_path / "store"))
    with ResultsStore.at(location) as results:
        assert sorted(r.run_id for r in results.records()) == sorted(o["run_id"] for o in outputs)
        for output in outputs:
            assert len(results.load(output["run_id"]).ranked.candidates) == output["n_candidates"] > 0
    for output in outputs:
        store = job_store(location, output["run_id"])
        store.connect()
        assert store.docs_store.count() == len(screening_flow(ScreenConfig(emt_screen(location.path, ["Ni"]))).jobs)


ALH3_NI = HydrogenStorageScreen(["AlH3"], ["Ni"])


def test_users_swap_a_sub_maker_as_in_atomate2():
    maker = ScreeningMaker.from_config(ScreenConfig(emt_screen(Path("unused"), ["Ni"], source="emt")))
    loose = replace(maker, relax_maker=RelaxMaker(name="loose relax", settings=RelaxSettings(fmax_ev_per_a=0.1)))
    flow = loose.make(ALH3_NI)
    relax_jobs = [j for j in flow.jobs if j.name.startswith("loose relax ")]
    assert relax_jobs and all(j.maker.settings.fmax_ev_per_a == 0.1 for j in relax_jobs)
    assert all(j.maker.source == EnergySource("emt") for j in relax_jobs)  # the flow's one source


def test_a_sub_maker_with_another_energy_source_is_refused():
    maker = ScreeningMaker.from_config(ScreenConfig(emt_screen(Path("unused"), ["Ni"], source="emt")))
    mixed = replace(maker, phonon_maker=PhononMaker(source=EnergySource("tests_support:CountingEMT")))
    with pytest.raises(
        ConfigError, match=r"'phonons' uses energy source tests_support:CountingEMT@.* screen uses emt@"
    ):
        mixed.make(ALH3_NI)


def test_phonons_add_one_job_per_phase_and_static_screens_have_none():
    static = ScreeningMaker.from_config(ScreenConfig(emt_screen(Path("unused"), ["Ni"], source="emt")))
    tables = emt_screen(Path("unused"), ["Ni"], source="emt")
    tables["energy"]["phonons"] = True
    vibrating = ScreeningMaker.from_config(ScreenConfig(tables))
    n_static, n_phonons = (len(m.make(ALH3_NI).jobs) for m in (static, vibrating))
    n_phases = len(static.phases(ALH3_NI))
    assert n_phonons - n_static == n_phases
    assert not any(j.name.startswith("phonons") for j in static.make(ALH3_NI).jobs)


def test_show_runs_and_export_read_the_stored_run_in_new_processes(first_run, tmp_path):
    _, summary, _ = first_run
    store = str(tmp_path / "store")
    best = summary.run.ranked.candidates[0]
    shown = cli("show", f"{best.host} + {best.additive}", "--json", "--store", store)
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert document["candidate"]["reaction"] == best.reaction
    assert [s["step"] for s in document["steps"]] == sorted(s["step"] for s in document["steps"])
    assert all(s["energy_origins"] for s in document["steps"])  # where each energy came from, per step
    assert any("AlH3" in s["experimental_phases"] for s in document["steps"])  # AlH3's dHf was measured
    listed = cli("runs", "--json", "--store", store)
    assert [r["run_id"] for r in json.loads(listed.stdout)] == [summary.run.run_id]
    exported = cli("export", "--format", "csv", "--store", store)
    header, *rows = exported.stdout.strip().splitlines()
    assert "dh_kj_per_mol_h2" in header and "run_id" in header and len(rows) == len(summary.run.reactions)


def test_queries_import_neither_maggma_nor_jobflow_nor_the_model(first_run, tmp_path):
    _, summary, _ = first_run
    best = summary.run.ranked.candidates[0]
    for query in (["runs"], ["top"], ["show", f"{best.host} + {best.additive}"]):
        command = [sys.executable, "-c", CLI_LISTING_MODULES, *query, "--store", str(tmp_path / "store")]
        result = subprocess.run(command, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert summary.run.run_id in result.stdout
        assert query[0] != "show" or "measured formation enthalpies: " in result.stdout
        imported = result.stderr.strip().splitlines()[-1]
        assert not {"'maggma'", "'jobflow'", "'torch'", "'phonopy'"} & set(imported.strip("[]").split(", ")), query


def test_query_of_a_missing_store_is_one_clear_line_and_creates_none(tmp_path):
    result = cli("top", "--host", "MgH2", "--store", str(tmp_path / "empty"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: no store at {tmp_path / 'empty'} (a run creates it; check --store or [store] path)"
    ]
    assert not (tmp_path / "empty").exists()


@pytest.mark.slow
def test_anode_screen_stores_mgh2_conversion_with_the_direct_numbers(tmp_path, cache):
    tables = {
        "screen": {"name": "mgh2-anode", "kind": "anode", "hosts": ["MgH2"]},
        "energy": {"source": "sevennet", "phonons": False, "corrections": False},
        "store": {"path": str(tmp_path / "store")},
    }
    summary = run_screen_locally(ScreenConfig(tables))
    shown = cli("top", "--json", "--store", str(tmp_path / "store"))
    (anode,) = json.loads(shown.stdout)
    assert anode["hydride"] == "MgH2"
    assert anode["capacity_mah_per_g"] == pytest.approx(2036.5, abs=1.0)  # 2 Li per MgH2, from the formula mass
    assert anode["voltage_v"] == pytest.approx(0.5, abs=0.1)  # Oumellal et al. 2008: plateau ~0.44-0.5 V
    assert summary.run.anodes[0].volume_change_pct == pytest.approx(85.0, abs=5.0)
    shown = cli("show", "MgH2", "--json", "--store", str(tmp_path / "store"))
    assert json.loads(shown.stdout)["steps"][0]["products"] == ["LiH", "Mg"]


@pytest.mark.slow
def test_run_exit_code_is_0_with_failures_listed_and_3_with_strict(tmp_path, cache):
    screen = write_screen(tmp_path / "emt.toml", emt_screen(tmp_path / "store", ["Ni"], source="emt"))
    plain, strict = cli("run", str(screen)), cli("run", str(screen), "--strict")
    assert (plain.returncode, strict.returncode) == (0, 3)
    assert plain.stdout.startswith("run ") and len(plain.stdout.strip().splitlines()) == 1
    # EMT swells fluorite NiH2 without bound; the step watch stops it and the run lists it, then goes on
    assert "failed: NiH2-fluorite: NiH2: stopped at step" in plain.stderr and "beyond the 150 % bound" in plain.stderr


def test_report_command_writes_the_table_and_both_figures(first_run, tmp_path):
    _, summary, _ = first_run
    result = cli("report", summary.run.run_id, "--output", str(tmp_path / "report"), "--store", str(tmp_path / "store"))
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "report" / "report.html").read_text()
    assert summary.run.run_id in page and page.count("data:image/png;base64,") == 2
    for name in ("dh_vs_capacity.png", "vant_hoff.png"):
        assert (tmp_path / "report" / name).read_bytes().startswith(b"\x89PNG")


def test_progress_reports_every_finished_job_by_name(first_run):
    config, _, _ = first_run
    seen: list[tuple[int, int, str]] = []
    summary = run_screen_locally(config, progress=lambda done, total, name: seen.append((done, total, name)))
    assert [done for done, _, _ in seen] == list(range(1, summary.jobs + 1))
    assert {total for _, total, _ in seen} == {summary.jobs}
    assert seen[0][2] == "relax AlH3" and [name for *_, name in seen[-2:]] == ["rank", "record"]


def test_materials_project_screen_without_key_or_cache_is_bad_input_and_writes_nothing(tmp_path, cache):
    tables = emt_screen(tmp_path / "store", ["Ni"], source="emt")
    tables["screen"]["materials_project"] = True
    screen = write_screen(tmp_path / "mp.toml", tables)
    environment = {k: v for k, v in os.environ.items() if k != "MP_API_KEY"}
    command = [sys.executable, "-c", "from workflows.cli import app; app()", "run", str(screen)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=environment)
    assert result.returncode == 2
    assert "no cached Materials Project answer for chemical system Al-H-Ni" in result.stderr
    assert not (tmp_path / "store").exists()


def test_a_reaction_is_found_in_every_mixture_where_it_occurs_written_any_way(first_run):
    _, summary, _ = first_run
    found = summary.run.reactions_matching("2 AlH3 -> 3 H2 + 2 Al")
    assert [(r.host, r.additive, r.step) for r in found] == [("AlH3", "Ni", 1)]
    with pytest.raises(UnknownPhaseError, match="no step 'Ni \\+ H2 -> NiH2'"):
        summary.run.reactions_matching("Ni + H2 -> NiH2")


def test_a_screen_on_materials_project_energies_runs_from_the_cached_answers(tmp_path, cache, mp_server):
    MaterialsProjectStructures(api_key=MP_API_KEY, endpoint=mp_server.url).records_in_chemical_system("Mg-H")
    tables = {
        "screen": {"name": "mgh2-mp", "hosts": ["MgH2"], "additives": ["Mg"]},
        "energy": {"source": "materials-project"},
        "store": {"path": str(tmp_path / "store")},
    }
    environment = {k: v for k, v in os.environ.items() if k != "MP_API_KEY"}  # offline: the cache answers
    result = cli("run", "--json", str(write_screen(tmp_path / "mp.toml", tables)), env=environment)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["energy_source_id"].startswith("materials-project@")
    (step,) = json.loads(cli("top", "--json", "--store", str(tmp_path / "store")).stdout)
    records = MaterialsProjectStructures().records_in_chemical_system("Mg-H")
    energy = {r.material_id: r.energy_per_atom_ev for r in records}
    by_hand_ev = energy["mp-153"] + 2 * energy["mp-24504"] - 3 * energy["mp-23710"]  # MgH2 -> Mg + H2, per MgH2
    assert step["reaction"] == "1 MgH2 -> 1 Mg + 1 H2"
    assert step["dh_kj_per_mol_h2"] == pytest.approx(by_hand_ev * EV_TO_KJ_PER_MOL, abs=1e-9)
