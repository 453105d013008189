"""Energy sources: names, ids with versions, and the elements each can handle."""

import pytest

from screening.energy import sources as calculators
from screening.energy.sources import EMT_ELEMENTS, EnergySource
from screening.errors import ConfigError, UnsupportedElementError


def test_source_id_carries_the_package_version():
    assert EnergySource("emt").id.startswith("emt@3.")


def test_unknown_source_is_named():
    with pytest.raises(ConfigError, match="unknown energy source 'vasp'"):
        EnergySource("vasp")


def test_unsupported_elements_are_named():
    with pytest.raises(UnsupportedElementError, match="'emt' cannot handle B, Mg in LiBH4"):
        EnergySource("emt").check_elements({"Mg", "B", "H"}, "LiBH4")


def test_supported_elements_are_read_from_disk_without_loading_the_model(tmp_path, monkeypatch):
    monkeypatch.setenv("HYDRIDE_SCREEN_CACHE", str(tmp_path))
    assert EnergySource("emt").supported_elements() == EMT_ELEMENTS
    calculators._load_calculator.cache_clear()
    assert EnergySource("emt").supported_elements() == EMT_ELEMENTS
    assert calculators._load_calculator.cache_info().currsize == 0
    assert list((tmp_path / "models").glob("elements-*.json"))


def test_calculators_given_by_import_path_handle_any_element():
    assert EnergySource("ase.calculators.emt:EMT").supported_elements() is None
