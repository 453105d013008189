"""The `hydride-screen phases` command, run as a user runs it: a real subprocess."""

import json
import subprocess
import sys

import pytest
from pymatgen.core import Structure


def run_cli(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", "from workflows.cli import app; app()", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def phase_list():
    result = run_cli("phases", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_phases_json_lists_every_phase_with_the_documented_keys(phase_list):
    assert len(phase_list) >= 45
    for row in phase_list:
        assert {"name", "formula", "space_group", "atoms", "source"} <= set(row)
    mgh2 = next(row for row in phase_list if row["name"] == "MgH2")
    assert (mgh2["formula"], mgh2["space_group"], mgh2["atoms"]) == ("MgH2", "P4_2/mnm", 6)


def test_phases_table_ends_with_a_count():
    result = run_cli("phases", "--tag", "boride")
    assert result.returncode == 0
    assert "MgB2" in result.stdout and result.stdout.strip().endswith("phases")


@pytest.mark.parametrize("fmt", ["cif", "poscar", "json"])
def test_show_exports_a_structure_pymatgen_reads_back(fmt, tmp_path):
    result = run_cli("phases", "--show", "MgB2", "--format", fmt)
    assert result.returncode == 0, result.stderr
    path = tmp_path / {"cif": "x.cif", "poscar": "POSCAR", "json": "x.json"}[fmt]
    path.write_text(result.stdout)
    assert Structure.from_file(path).composition.reduced_formula == "MgB2"


def test_unknown_phase_is_one_line_on_stderr_and_exit_code_2():
    result = run_cli("phases", "--show", "Unobtainium")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: unknown phase 'Unobtainium'; `hydride-screen phases` lists the library"
    ]


@pytest.mark.slow
def test_mgh2_anode_reproduces_capacity_voltage_and_volume_change(tmp_path, monkeypatch):
    monkeypatch.setenv("HYDRIDE_SCREEN_CACHE", str(tmp_path))
    result = run_cli("anode", "MgH2", "--json", "--static", "--no-corrections")
    assert result.returncode == 0, result.stderr
    anode = json.loads(result.stdout)
    print(f"MgH2 anode: {anode['capacity_mah_per_g']:.1f} mAh/g, {anode['voltage_v']:.3f} V, "
          f"{anode['volume_change_pct']:+.1f} %")  # fmt: skip
    assert anode["capacity_mah_per_g"] == pytest.approx(2036.5, abs=1.0)
    assert anode["voltage_v"] == pytest.approx(0.5, abs=0.1)
    assert anode["volume_change_pct"] == pytest.approx(85.0, abs=5.0)
    assert len(anode["steps"]) >= 1


def test_sources_lists_every_registered_energy_source_and_the_anode_help_names_them():
    from screening.energy.sources import ENERGY_SOURCES

    listed = json.loads(run_cli("sources", "--json").stdout)
    assert [row["name"] for row in listed] == list(ENERGY_SOURCES)
    assert next(row for row in listed if row["name"] == "materials-project")["database"] is True
    help_text = " ".join(run_cli("anode", "--help").stdout.split())
    assert all(name in help_text for name in ENERGY_SOURCES)
