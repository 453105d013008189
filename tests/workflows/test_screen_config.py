"""Screen configs: the shipped examples validate, and every mistake is one clear error that names the
problem, before anything is written to the store."""

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest

from screening.errors import ConfigError
from workflows.config import DEFAULT_SCREEN, SCREENS_DIR, ScreenConfig, ScreenKind

GOOD = {
    "screen": {"name": "alh3-emt", "hosts": ["AlH3"], "additives": ["Ni"]},
    "energy": {"source": "emt", "phonons": False, "corrections": False},
}


def with_change(table: str, key: str, value: object) -> dict:
    tables = copy.deepcopy(GOOD)
    tables.setdefault(table, {})[key] = value
    return tables


@pytest.mark.parametrize("path", sorted(SCREENS_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_every_example_screen_validates(path):
    config = ScreenConfig.from_file(path)
    assert config.screen.hosts and config.name


def test_the_default_screen_is_the_mgh2_additive_screen():
    config = ScreenConfig.from_file(DEFAULT_SCREEN)
    assert config.screen.hosts == ["MgH2"] and "Si" in config.screen.additives
    assert config.model.with_vibrations and config.model.with_corrections
    assert config.plan.intended["MgH2 + Si"] == "2 MgH2 + Si -> Mg2Si + 2 H2"


def test_the_anode_example_is_an_anode_screen():
    config = ScreenConfig.from_file(SCREENS_DIR / "anodes.toml")
    assert config.screen.kind is ScreenKind.anode and config.anode_criteria.max_voltage_v == 1.0


def test_ranking_window_in_celsius_becomes_kelvin():
    config = ScreenConfig(with_change("ranking", "t_max_c", 100.0))
    assert config.criteria.t_max_k == pytest.approx(373.15)


def test_a_ranking_term_table_changes_that_term_and_can_add_a_listed_one():
    config = ScreenConfig(with_change("ranking", "terms", {"volume": {"weight": 0.25, "reference_pct": 50.0}}))
    volume = config.criteria.term("volume")
    assert (volume.weight, volume.reference_pct) == (0.25, 50.0)
    assert [t.name for t in config.criteria.terms] == ["window", "capacity", "volume", "flags"]
    assert config.criteria.term("window") == ScreenConfig(GOOD).criteria.term("window")


def test_a_database_source_defaults_to_static_uncorrected_energies():
    tables = {"screen": GOOD["screen"], "energy": {"source": "materials-project"}}
    model = ScreenConfig(tables).model
    assert model.source.is_database and not model.with_vibrations and not model.with_corrections


def test_thermochemistry_defaults_to_experimental_first_and_can_be_model_only():
    assert ScreenConfig(GOOD).model.thermochemistry == "experimental-first"
    assert ScreenConfig(GOOD).model.correction_form == "auto"
    model = ScreenConfig(with_change("energy", "thermochemistry", "model-only")).model
    assert model.thermochemistry == "model-only"
    assert ScreenConfig(with_change("energy", "correction_form", "species")).model.correction_form == "species"
    with pytest.raises(ConfigError, match=r"thermochemistry.*experimental-first"):
        ScreenConfig(with_change("energy", "thermochemistry", "experiment"))


def test_relax_and_phonon_tables_set_the_energy_model():
    tables = with_change("relax", "fmax_ev_per_a", 0.05)
    tables["phonons"] = {"displacement_a": 0.02}
    model = ScreenConfig(tables).model
    assert model.relax_settings.fmax_ev_per_a == 0.05 and model.phonon_settings.displacement_a == 0.02


def test_config_hash_ignores_key_order_but_not_content():
    reordered = {"energy": GOOD["energy"], "screen": dict(reversed(list(GOOD["screen"].items())))}
    assert ScreenConfig(reordered).config_hash == ScreenConfig(GOOD).config_hash
    assert ScreenConfig(with_change("screen", "ratios", [0.5])).config_hash != ScreenConfig(GOOD).config_hash


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        (with_change("screen", "addditives", ["Cu"]), r"screen\.addditives: unknown key"),
        (with_change("energy", "sorce", "emt"), r"energy\.sorce: unknown key"),
        (with_change("relax", "fmax", 0.1), r"\[relax\] fmax: unknown key"),
        (with_change("ranking", "t_max", 300), r"\[ranking\] t_max: unknown key"),
        (with_change("screen", "additives", ["Unobtainium"]), r"unknown phase 'Unobtainium'"),
        (with_change("screen", "ratios", [0.5, -1.0]), r"ratios are moles .* from 0.01 to 100; got \[-1\.0\]"),
        (with_change("screen", "hosts", ["MgH2"]), r"energy source 'emt' cannot handle Mg"),
        (with_change("energy", "source", "vasp"), r"unknown energy source 'vasp'"),
        (with_change("energy", "source", "ase.calculators.nope:Nope"), r"cannot import ASE calculator 'ase\.calc"),
        (with_change("relax", "fmax_ev_per_a", "tight"), r"\[relax\] fmax_ev_per_a: Input should be a valid number"),
        (with_change("ranking", "t_min_c", 200.0), r"t_min_k \(473\.15 K\) must not exceed t_max_k"),
        (with_change("screen", "intended", {"AlH3 + Ni": "AlH3 -> Al + H2"}), r"cannot read 'AlH3 -> Al \+ H2'"),
        (with_change("screen", "intended", {"AlH3 + Cu": "2 AlH3 -> 2 Al + 3 H2"}), r"'AlH3 \+ Cu' is not"),
        (with_change("store", "uri", "mongodb://localhost") | {"store": {"path": "x", "uri": "mongodb://x"}},
         r"either path .* or uri"),
        ({"energy": GOOD["energy"]}, r"screen: Field required"),
        (with_change("screen", "additives", []), r"needs at least one additive"),
        (with_change("ranking", "terms", {"price": {"weight": 1.0}}), r"unknown score term 'price'; known: window"),
        (with_change("ranking", "terms", {"volume": {"wieght": 1.0}}), r"\[ranking.terms.volume\] wieght: unknown"),
        (with_change("ranking", "terms", {"window": {"weight": -1.0}}), r"\[ranking.terms.window\] weight must be"),
        (with_change("energy", "source", "materials-project") | {"energy": {"source": "materials-project",
                                                                            "phonons": True}},
         r"phonons = true cannot be used with source 'materials-project'"),
    ],
    ids=[
        "unknown-key", "unknown-energy-key", "unknown-relax-key", "unknown-ranking-key", "unknown-phase",
        "negative-ratio", "unsupported-element", "unknown-source", "unimportable-source", "wrong-type",
        "inverted-window", "unbalanced-intended", "intended-not-a-pair", "two-stores", "no-screen-table",
        "no-additives", "unknown-term", "unknown-term-key", "negative-term-weight", "database-with-phonons",
    ],
)  # fmt: skip
def test_bad_config_is_one_error_that_names_the_problem(tables, message):
    with pytest.raises(ConfigError, match=message):
        ScreenConfig(tables, "bad.toml")


def test_unreadable_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"cannot read screen file .*missing\.toml"):
        ScreenConfig.from_file(tmp_path / "missing.toml")


def test_invalid_toml_is_named(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[screen\nname = 1\n")
    with pytest.raises(ConfigError, match=r"broken\.toml is not valid TOML"):
        ScreenConfig.from_file(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[screen]\nname = "x"\nhosts = ["MgH2"]\nadditives = ["Si"]\nratio = [-1]\n', "screen.ratio: unknown key"),
        ('[screen]\nname = "x"\nhosts = ["MgH2"]\nadditives = ["Kryptonite"]\n', "unknown phase 'Kryptonite'"),
    ],
    ids=["unknown-key", "unknown-phase"],
)
def test_run_with_a_bad_config_prints_one_line_exits_2_and_writes_no_store(tmp_path, content, message):
    screen = tmp_path / "bad.toml"
    screen.write_text(content)
    store = tmp_path / "store"
    command = [sys.executable, "-c", "from workflows.cli import app; app()", "run", str(screen), "--store", str(store)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=os.environ)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    assert not Path(store).exists()
