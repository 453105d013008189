"""The Materials Project import, run with the real mp-api client against a recorded-response stand-in of the
MP API on 127.0.0.1 (tests/mp_replay.py, responses in tests/data/materials_project/). Never the live API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import MP_API_KEY
from mp_replay import ReplayServer
from pymatgen.entries.computed_entries import ComputedStructureEntry

from structures.errors import FormulaError, MaterialsProjectError
from structures.imported import StructureSnapshot
from structures.materials_project import (
    MaterialsProjectRecord,
    MaterialsProjectStructures,
    chemical_system,
    default_cache_dir,
    subsystems,
    write_json_atomically,
)


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MP_API_KEY", raising=False)


@pytest.fixture
def server(mp_server: ReplayServer) -> ReplayServer:
    return mp_server


@pytest.fixture
def online(server: ReplayServer, tmp_path: Path) -> MaterialsProjectStructures:
    return MaterialsProjectStructures(api_key=MP_API_KEY, cache_dir=tmp_path / "cache", endpoint=server.url)


def test_chemical_system_of_mg_h_is_its_sorted_elements() -> None:
    assert chemical_system("Mg-H") == chemical_system(["H", "Mg", "Mg"]) == ("H", "Mg")
    assert subsystems(("H", "Li", "Mg")) == ["H", "Li", "Mg", "H-Li", "H-Mg", "Li-Mg", "H-Li-Mg"]


def test_mg_h_system_gives_mg_h2_and_mgh2_phases_with_mp_sources(online: MaterialsProjectStructures) -> None:
    phases = {p.name: p for p in online.phases_in_chemical_system(["Mg", "H"])}
    assert set(phases) == {"H2-mp-24504", "H2-mp-1000002", "Mg-mp-153", "Mg-mp-1000001", "MgH2-mp-23710"}
    mgh2 = phases["MgH2-mp-23710"]
    assert mgh2.formula == "MgH2"
    assert mgh2.tags == ("materials-project",)
    assert mgh2.space_group == "P4_2/mnm"
    assert isinstance(mgh2.recipe, StructureSnapshot)
    assert mgh2.build().composition.reduced_formula == "MgH2"
    assert mgh2.source.startswith("Materials Project mp-23710 (database version 2025.09.25, fetched 20")
    assert phases["Mg-mp-153"].space_group == "P6_3/mmc"


def test_threshold_on_energy_above_hull_drops_fluorite_mgh2(online: MaterialsProjectStructures) -> None:
    default = {r.material_id for r in online.records_in_chemical_system("Mg-H")}
    everything = {r.material_id for r in online.records_in_chemical_system("Mg-H", None)}
    on_hull = {r.material_id for r in online.records_in_chemical_system("Mg-H", 0.0)}
    assert everything - default == {"mp-1000003"}  # 0.133 eV/atom above the hull
    assert on_hull == {"mp-153", "mp-24504", "mp-23710"}


def test_record_keeps_mp_energies_and_the_entry_they_belong_to(online: MaterialsProjectStructures) -> None:
    record = online.record("mp-23710")
    assert record.formula == "MgH2"
    assert record.thermo_type == "GGA_GGA+U"
    assert record.run_type == "GGA"
    assert record.energy_per_atom_ev == pytest.approx(-3.12503, abs=1e-5)
    assert record.uncorrected_energy_per_atom_ev == pytest.approx(-3.0057)
    assert record.formation_energy_per_atom_ev == pytest.approx(-0.32993, abs=1e-5)
    assert record.energy_above_hull_ev_per_atom == 0.0
    assert isinstance(record.entry, ComputedStructureEntry)
    assert record.entry.energy_per_atom == pytest.approx(record.energy_per_atom_ev)
    assert record.entry.correction == pytest.approx(-0.716)  # MP2020 anion correction for 4 H
    assert record.entry.structure == record.structure


def test_record_survives_an_msonable_round_trip(online: MaterialsProjectStructures) -> None:
    record = online.record("mp-23710")
    again = MaterialsProjectRecord.from_dict(json.loads(json.dumps(record.as_dict())))
    assert again.structure == record.structure
    assert again.entry is not None and again.entry.energy == pytest.approx(record.entry.energy)
    assert again.fetched_at == record.fetched_at


def test_phase_by_material_id_is_named_formula_dash_id(online: MaterialsProjectStructures) -> None:
    phase = online.phase("mp-23710")
    assert phase.name == "MgH2-mp-23710"
    assert phase.space_group == "P4_2/mnm"


def test_query_sends_the_api_key_to_the_thermo_route(online: MaterialsProjectStructures, server: ReplayServer) -> None:
    online.records_in_chemical_system("Mg-H")
    thermo = [r for r in server.seen if r.path == "/materials/thermo/"]
    assert len(thermo) == 1
    assert thermo[0].query["chemsys"] == "H,Mg,H-Mg"
    assert thermo[0].headers["x-api-key"] == MP_API_KEY


def test_answer_is_cached_as_one_json_file_per_query(online: MaterialsProjectStructures) -> None:
    online.records_in_chemical_system("Mg-H")
    online.record("mp-23710")  # answered by the cached chemical system: no second file
    files = sorted(p.relative_to(online.cache_dir).as_posix() for p in online.cache_dir.rglob("*") if p.is_file())
    assert files == ["chemsys/H-Mg.GGA_GGA+U.json"]
    payload = json.loads((online.cache_dir / files[0]).read_text())
    assert payload["query"] == {"chemsys": "H-Mg", "thermo_type": "GGA_GGA+U"}
    assert payload["database_version"] == "2025.09.25"
    assert len(payload["records"]) == 6  # the whole system, whatever the threshold


def test_material_id_query_gets_its_own_cache_file(online: MaterialsProjectStructures) -> None:
    online.record("mp-23710")
    assert (online.cache_dir / "materials" / "mp-23710.GGA_GGA+U.json").is_file()


def test_without_key_and_server_the_cache_answers(online: MaterialsProjectStructures, server: ReplayServer) -> None:
    before = [p.name for p in online.phases_in_chemical_system("H-Mg")]
    online.record("mp-23710")
    server.stop()
    offline = MaterialsProjectStructures(cache_dir=online.cache_dir, endpoint=server.url)
    assert [p.name for p in offline.phases_in_chemical_system(["H", "Mg"])] == before
    assert offline.phase("mp-23710").name == "MgH2-mp-23710"


def test_without_key_and_cache_the_error_says_set_mp_api_key(tmp_path: Path) -> None:
    offline = MaterialsProjectStructures(cache_dir=tmp_path)
    with pytest.raises(MaterialsProjectError, match="MP_API_KEY") as error:
        offline.phases_in_chemical_system("Mg-H")
    assert "chemical system H-Mg" in str(error.value)
    assert "machine with internet" in str(error.value)


@pytest.mark.parametrize("failing", ["/materials/", "/"], ids=["data-route", "whole-server"])
def test_server_answering_500_is_a_materials_project_error(
    online: MaterialsProjectStructures, server: ReplayServer, failing: str
) -> None:
    server.failing[failing] = 500
    with pytest.raises(MaterialsProjectError, match="chemical system H-Mg"):
        online.records_in_chemical_system("Mg-H")
    assert not (online.cache_dir / "chemsys").exists()


def test_unreachable_server_is_a_materials_project_error(
    online: MaterialsProjectStructures, server: ReplayServer
) -> None:
    server.stop()
    with pytest.raises(MaterialsProjectError, match="mp-23710"):
        online.record("mp-23710")


def test_unknown_material_id_is_a_materials_project_error(online: MaterialsProjectStructures) -> None:
    with pytest.raises(MaterialsProjectError, match=r"no GGA_GGA\+U data for mp-2999999"):
        online.record("mp-2999999")


def test_malformed_material_id_never_reaches_the_server(
    online: MaterialsProjectStructures, server: ReplayServer
) -> None:
    with pytest.raises(MaterialsProjectError, match="not a Materials Project id"):
        online.record("../MgH2")
    assert server.seen == []


def test_unknown_element_is_a_formula_error(online: MaterialsProjectStructures, server: ReplayServer) -> None:
    with pytest.raises(FormulaError, match="'Xx'"):
        online.phases_in_chemical_system(["Mg", "Xx"])
    assert server.seen == []


def test_unreadable_cache_file_is_named_in_the_error(tmp_path: Path) -> None:
    path = tmp_path / "chemsys" / "H-Mg.GGA_GGA+U.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"format": 1, "records": [')
    with pytest.raises(MaterialsProjectError, match=r"H-Mg\.GGA_GGA\+U\.json is unreadable"):
        MaterialsProjectStructures(cache_dir=tmp_path).records_in_chemical_system("Mg-H")


def test_failed_write_leaves_the_old_file_and_no_partial_one(tmp_path: Path) -> None:
    path = tmp_path / "answer.json"
    write_json_atomically(path, {"records": [1, 2]})
    with pytest.raises(TypeError):
        write_json_atomically(path, {"records": [1, object()]})  # fails half-way through the dump
    assert json.loads(path.read_text()) == {"records": [1, 2]}
    assert [p.name for p in tmp_path.iterdir()] == ["answer.json"]


def test_cache_dir_follows_hydride_screen_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HYDRIDE_SCREEN_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path / "materials_project"
    assert MaterialsProjectStructures().cache_dir == tmp_path / "materials_project"
    monkeypatch.delenv("HYDRIDE_SCREEN_CACHE")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert default_cache_dir() == Path.home() / ".cache" / "hydride-screen" / "materials_project"


def test_api_key_stays_out_of_the_repr() -> None:
    assert MP_API_KEY not in repr(MaterialsProjectStructures(api_key=MP_API_KEY))
