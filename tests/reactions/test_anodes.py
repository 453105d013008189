"""Conversion anodes against Li on hand-made phase sets with fixed formation enthalpies."""

import pytest
from tests_support import fixed_result

from screening.errors import ConfigError
from screening.reactions.anodes import capacity_mah_per_g, conversion_anode
from screening.thermo.phase_set import PhaseSet
from screening.thermo.thermochemistry import build_thermochemistry
from screening.units import EV_TO_KJ_PER_MOL

FORMATION_EV = {"MgH2": -0.79, "LiH": -0.94, "TiH2": -2.00}


def phase_set(*names: str) -> PhaseSet:
    return PhaseSet.of(fixed_result(n, FORMATION_EV.get(n, 0.0)) for n in names)


def test_mgh2_capacity_from_atomic_masses_is_2036_5_mah_per_g():
    assert capacity_mah_per_g(2, 26.3209) == pytest.approx(2036.5, abs=0.1)


def test_mgh2_converts_to_mg_and_lih_in_one_step_at_the_hand_computed_voltage():
    anode = conversion_anode("MgH2", phase_set("H2", "Li", "Mg", "LiH", "MgH2"))
    (step,) = anode.steps
    assert set(step.products) == {"Mg", "LiH"}
    # MgH2 + 2 Li -> Mg + 2 LiH: dH = 2 (-0.94) + 0.79 = -1.09 eV for 2 Li
    assert anode.voltage_v == pytest.approx(0.545)
    assert anode.capacity_mah_per_g == pytest.approx(2036.5, abs=1)


def test_experimental_first_anode_steps_take_and_name_the_measured_formation_enthalpies():
    phases = phase_set("H2", "Li", "Mg", "LiH", "MgH2")
    (step,) = conversion_anode("MgH2", phases, build_thermochemistry(phases, correction_form=None)).steps
    assert set(step.experimental_phases) == {"MgH2", "LiH"}
    # MgH2 + 2 Li -> Mg + 2 LiH from the measured values: dH = 2 (-90.7) + 76.1 kJ/mol for 2 Li
    assert step.voltage_v == pytest.approx(-(2 * -90.7 + 76.1) / EV_TO_KJ_PER_MOL / 2)
    assert any(o.startswith("Mg: element reference") for o in step.energy_origins)


def test_mgh2_volume_change_on_lithiation_is_about_85_percent_from_experimental_cells():
    anode = conversion_anode("MgH2", phase_set("H2", "Li", "Mg", "LiH", "MgH2"))
    # Mg 23.24 A^3 + 2 LiH 2 x 17.02 A^3 against MgH2 30.53 A^3
    assert anode.volume_change_pct == pytest.approx(87.6, abs=0.5)


def test_hydride_less_stable_than_lih_gives_no_anode_above_zero_volts():
    # a TiH2 bound more strongly per H (1.00 eV) than LiH (0.94 eV) cannot be converted above 0 V
    with pytest.raises(ConfigError, match="takes up no lithium above 0 V"):
        conversion_anode("TiH2", phase_set("H2", "Li", "Ti", "LiH", "TiH2"))


def test_lithium_is_required_as_the_reference():
    with pytest.raises(ConfigError, match="no lithium phase"):
        conversion_anode("MgH2", phase_set("H2", "Mg", "MgH2"))
