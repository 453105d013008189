"""H2 gas thermochemistry against NIST-JANAF, and the free energy, T(1 bar), equilibrium pressure and sigma of a
desorption reaction per mol H2."""

import json
import math

import numpy as np
import pytest
from scipy.constants import R

from screening.errors import ConfigError, HydrideScreenError, TemperatureOutOfRangeError
from screening.thermo.h2_gas import (
    H2_SHOMATE_RANGES,
    h2_enthalpy_from_0k_kj_per_mol,
    h2_enthalpy_kj_per_mol,
    h2_entropy_j_per_mol_k,
    h2_gibbs_energy_from_0k_kj_per_mol,
    h2_heat_capacity_j_per_mol_k,
)
from screening.thermo.release import OneBarOutcome, OneBarTemperature, ReleaseThermodynamics, solid_vibrational_change

T_GRID_K = np.arange(100.0, 1000.0 + 1e-9, 5.0)


def constant_dh_ds(dh_kj_per_mol_h2: float, ds_j_per_mol_h2_k: float, sigma: float = 0.0) -> ReleaseThermodynamics:
    """A reaction with dG(T) = dH - T dS exactly (up to spline error): the solids' table cancels the gas's T
    dependence and replaces it by a constant dS, so every result has a closed form."""
    table = tuple(
        (float(t), -h2_gibbs_energy_from_0k_kj_per_mol(float(t)) - t * ds_j_per_mol_h2_k / 1000) for t in T_GRID_K
    )
    return ReleaseThermodynamics(dh_kj_per_mol_h2, True, sigma, table)


def einstein_hydride(dh0_kj_per_mol_h2: float) -> ReleaseThermodynamics:
    """MgH2 -> Mg + H2 with the two H atoms' six modes as Einstein oscillators at 1500 K lost on release."""
    theta_k = 1500.0
    table = tuple((float(t), -6 * R * t * math.log(1 - math.exp(-theta_k / t)) / 1000) for t in T_GRID_K)
    return ReleaseThermodynamics(dh0_kj_per_mol_h2, True, 4.0, table)


# --- H2 gas ----------------------------------------------------------------------------------------------------------


def test_h2_entropy_at_298_15_k_is_janaf_130_68():
    assert h2_entropy_j_per_mol_k(298.15) == pytest.approx(130.68, abs=0.01)


def test_h2_enthalpy_at_1000_k_above_298_15_k_is_janaf_20_68():
    assert h2_enthalpy_kj_per_mol(1000.0) == pytest.approx(20.680, abs=0.005)


def test_h2_enthalpy_is_zero_at_298_15_k():
    assert h2_enthalpy_kj_per_mol(298.15) == pytest.approx(0.0, abs=1e-3)


@pytest.mark.parametrize(("t_k", "cp", "s", "h"), [(500.0, 29.260, 145.737, 5.882), (2000.0, 34.280, 188.418, 52.951)])
def test_h2_shomate_matches_janaf_table_rows(t_k, cp, s, h):
    assert h2_heat_capacity_j_per_mol_k(t_k) == pytest.approx(cp, abs=0.01)
    assert h2_entropy_j_per_mol_k(t_k) == pytest.approx(s, abs=0.01)
    assert h2_enthalpy_kj_per_mol(t_k) == pytest.approx(h, abs=0.005)


@pytest.mark.parametrize(("lower", "upper"), [(0, 1), (1, 2)])
def test_h2_shomate_ranges_join_continuously(lower, upper):
    t_k = H2_SHOMATE_RANGES[lower].t_max_k
    below, above = H2_SHOMATE_RANGES[lower], H2_SHOMATE_RANGES[upper]
    assert below.enthalpy_kj_per_mol(t_k) == pytest.approx(above.enthalpy_kj_per_mol(t_k), abs=1e-3)
    assert below.entropy_j_per_mol_k(t_k) == pytest.approx(above.entropy_j_per_mol_k(t_k), abs=1e-3)
    assert below.heat_capacity_j_per_mol_k(t_k) == pytest.approx(above.heat_capacity_j_per_mol_k(t_k), abs=0.01)


def test_h2_low_temperature_branch_joins_shomate_at_298_15_k():
    assert h2_enthalpy_kj_per_mol(298.15 - 1e-7) == pytest.approx(h2_enthalpy_kj_per_mol(298.15), abs=1e-3)
    assert h2_entropy_j_per_mol_k(298.15 - 1e-7) == pytest.approx(h2_entropy_j_per_mol_k(298.15), abs=1e-3)
    assert h2_heat_capacity_j_per_mol_k(298.15 - 1e-7) == pytest.approx(h2_heat_capacity_j_per_mol_k(298.15), abs=0.01)


def test_h2_low_temperature_branch_reproduces_janaf_at_200_k():
    assert h2_entropy_j_per_mol_k(200.0) == pytest.approx(119.412, abs=1e-6)
    assert h2_enthalpy_kj_per_mol(200.0) == pytest.approx(-2.774, abs=1e-6)
    assert h2_heat_capacity_j_per_mol_k(200.0) == pytest.approx(27.447, abs=1e-6)


def test_h2_low_temperature_entropy_is_the_integral_of_cp_over_t():
    temperatures = np.linspace(100.0, 298.15, 2001)
    cp_over_t = [h2_heat_capacity_j_per_mol_k(t) / t for t in temperatures]
    integral = np.trapezoid(cp_over_t, temperatures)
    assert h2_entropy_j_per_mol_k(298.15) - h2_entropy_j_per_mol_k(100.0) == pytest.approx(integral, abs=0.05)


def test_h2_enthalpy_from_0k_at_298_15_k_is_janaf_8_467():
    assert h2_enthalpy_from_0k_kj_per_mol(298.15) == pytest.approx(8.467, abs=1e-3)


def test_h2_gibbs_energy_drops_by_rt_ln_10_per_decade_of_pressure():
    drop = h2_gibbs_energy_from_0k_kj_per_mol(500.0, 1.0) - h2_gibbs_energy_from_0k_kj_per_mol(500.0, 0.1)
    assert drop == pytest.approx(R * 500.0 * math.log(10) / 1000)


@pytest.mark.parametrize("t_k", [50.0, 99.9, 6000.1, math.nan, math.inf])
def test_h2_temperature_outside_100_to_6000_k_raises_out_of_range(t_k):
    with pytest.raises(TemperatureOutOfRangeError, match="outside the supported range"):
        h2_entropy_j_per_mol_k(t_k)


def test_out_of_range_error_is_a_hydride_screen_error():
    assert issubclass(TemperatureOutOfRangeError, HydrideScreenError)


# --- reaction free energy --------------------------------------------------------------------------------------------


def test_dg_without_phonons_is_dh0_plus_gas_thermal_enthalpy_minus_t_s():
    thermo = ReleaseThermodynamics(70.0, includes_zero_point=True)
    expected = 70.0 + h2_enthalpy_from_0k_kj_per_mol(500.0) - 500.0 * h2_entropy_j_per_mol_k(500.0) / 1000
    assert thermo.dg_kj_per_mol_h2(500.0) == pytest.approx(expected, abs=1e-9)


def test_ds_without_phonons_is_the_h2_gas_entropy():
    thermo = ReleaseThermodynamics(70.0, includes_zero_point=False)
    assert thermo.ds_j_per_mol_h2_k(600.0) == pytest.approx(h2_entropy_j_per_mol_k(600.0))


@pytest.mark.parametrize("t_k", [250.0, 450.0, 800.0])
def test_ds_with_phonons_is_minus_the_temperature_derivative_of_dg(t_k):
    thermo = einstein_hydride(70.0)
    step = 0.01
    derivative = (thermo.dg_kj_per_mol_h2(t_k + step) - thermo.dg_kj_per_mol_h2(t_k - step)) / (2 * step)
    assert thermo.ds_j_per_mol_h2_k(t_k) == pytest.approx(-1000 * derivative, abs=0.02)


def test_lost_hydrogen_modes_lower_the_reaction_entropy_below_the_gas_entropy():
    assert einstein_hydride(70.0).ds_j_per_mol_h2_k(600.0) < h2_entropy_j_per_mol_k(600.0) - 5


def test_dh_is_dg_plus_t_ds():
    thermo = einstein_hydride(70.0)
    expected = thermo.dg_kj_per_mol_h2(600.0) + 600.0 * thermo.ds_j_per_mol_h2_k(600.0) / 1000
    assert thermo.dh_kj_per_mol_h2(600.0) == pytest.approx(expected)


def test_vibrational_table_without_zero_point_energies_is_rejected():
    with pytest.raises(ConfigError, match="zero-point"):
        ReleaseThermodynamics(70.0, False, 0.0, ((100.0, 0.0), (500.0, 1.0)))


def test_vibrational_table_limits_the_supported_temperatures():
    thermo = einstein_hydride(70.0)
    assert thermo.supported_range_k == (100.0, 1000.0)
    with pytest.raises(TemperatureOutOfRangeError):
        thermo.dg_kj_per_mol_h2(1200.0)


def test_release_thermodynamics_round_trips_through_json():
    thermo = einstein_hydride(70.0)
    restored = ReleaseThermodynamics.from_dict(json.loads(json.dumps(thermo.as_dict())))
    assert restored == thermo
    assert restored.dg_kj_per_mol_h2(600.0) == pytest.approx(thermo.dg_kj_per_mol_h2(600.0))


# --- T(1 bar) and equilibrium pressure -------------------------------------------------------------------------------


def test_t_1bar_is_dh_over_ds_when_both_are_constant():
    result = constant_dh_ds(40.0, 130.0).t_1bar()
    assert result.outcome is OneBarOutcome.CROSSES
    assert result.t_1bar_k == pytest.approx(40_000.0 / 130.0, abs=0.01)


def test_t_1bar_with_real_h2_data_satisfies_dg_zero():
    thermo = ReleaseThermodynamics(45.0, includes_zero_point=True)
    assert thermo.dg_kj_per_mol_h2(thermo.t_1bar().t_1bar_k) == pytest.approx(0.0, abs=1e-9)


def test_mgh2_like_dh0_gives_t_1bar_near_the_measured_287_c():
    # MgH2 -> Mg + H2: dH0 (0 K, with zero-point energies) ~ 67 kJ/mol H2; the review's row is 287 C = 560 K.
    t_1bar_k = ReleaseThermodynamics(67.0, includes_zero_point=True).t_1bar().t_1bar_k
    assert t_1bar_k == pytest.approx(560.0, abs=10.0)


def test_mgh2_like_dh0_range_65_to_75_spans_540_to_615_k():
    low = ReleaseThermodynamics(65.0, includes_zero_point=True).t_1bar().t_1bar_k
    high = ReleaseThermodynamics(75.0, includes_zero_point=True).t_1bar().t_1bar_k
    assert 540.0 < low < high < 615.0


def test_equilibrium_pressure_is_1_bar_at_t_1bar():
    thermo = einstein_hydride(70.0)
    assert thermo.equilibrium_pressure_bar(thermo.t_1bar().t_1bar_k) == pytest.approx(1.0, rel=1e-8)


def test_equilibrium_pressure_rises_with_temperature():
    thermo = ReleaseThermodynamics(40.0, includes_zero_point=True)
    assert thermo.equilibrium_pressure_bar(250.0) < thermo.equilibrium_pressure_bar(300.0) < 1.0


def test_van_t_hoff_ln_p_is_linear_in_inverse_t_with_slope_minus_dh_over_r():
    thermo = constant_dh_ds(40.0, 130.0)
    temperatures = np.array([250.0, 300.0, 350.0, 400.0, 500.0])
    ln_p = [thermo.ln_equilibrium_pressure_bar(t) for t in temperatures]
    (slope, intercept), residuals, *_ = np.polyfit(1 / temperatures, ln_p, 1, full=True)
    assert slope == pytest.approx(-40_000.0 / R, rel=1e-4)
    assert intercept == pytest.approx(130.0 / R, rel=1e-4)
    assert residuals[0] < 1e-8


def test_dg_negative_everywhere_is_flagged_as_releasing_below_range():
    result = ReleaseThermodynamics(-20.0, includes_zero_point=True).t_1bar()
    assert result.outcome is OneBarOutcome.RELEASES_BELOW_RANGE
    assert result.t_1bar_k is None
    assert result.t_1bar_bound_k == 100.0
    assert "T(1 bar) < 100 K" in result.describe()


def test_dg_positive_everywhere_is_flagged_as_stable_in_range():
    result = ReleaseThermodynamics(200.0, includes_zero_point=True).t_1bar(t_max_k=1000.0)
    assert result.outcome is OneBarOutcome.STABLE_IN_RANGE
    assert result.t_1bar_k is None
    assert result.t_1bar_bound_k == 1000.0
    assert "T(1 bar) > 1000 K" in result.describe()


def test_t_1bar_search_range_outside_the_data_raises_out_of_range():
    with pytest.raises(TemperatureOutOfRangeError):
        einstein_hydride(70.0).t_1bar(t_max_k=1500.0)


def test_one_bar_temperature_round_trips_through_json():
    result = einstein_hydride(70.0).t_1bar()
    restored = OneBarTemperature.from_dict(json.loads(json.dumps(result.as_dict())))
    assert restored == result
    assert restored.outcome is OneBarOutcome.CROSSES


# --- sigma -----------------------------------------------------------------------------------------------------------


def test_sigma_t_1bar_is_sigma_dh_over_ds():
    result = constant_dh_ds(40.0, 130.0, sigma=5.0).t_1bar()
    assert result.sigma_t_1bar_k == pytest.approx(5000.0 / 130.0, rel=1e-4)


def test_sigma_t_1bar_matches_the_shift_of_t_1bar_when_dh0_moves_by_sigma():
    sigma = 4.0
    central = ReleaseThermodynamics(45.0, True, sigma).t_1bar()
    shifted = ReleaseThermodynamics(45.0 + sigma, True, sigma).t_1bar()
    assert shifted.t_1bar_k - central.t_1bar_k == pytest.approx(central.sigma_t_1bar_k, rel=0.02)


def test_sigma_ln_p_is_sigma_dh_over_r_t():
    thermo = ReleaseThermodynamics(45.0, True, 6.0)
    assert thermo.sigma_ln_equilibrium_pressure_bar(400.0) == pytest.approx(6000.0 / (R * 400.0))


# --- building the solids' table --------------------------------------------------------------------------------------


def test_solid_vibrational_change_splits_zero_point_and_thermal_parts_per_mol_h2():
    temperatures = [0.0, 300.0, 600.0]
    hydride = [20.0, 18.0, 10.0]  # F_vib per formula unit, kJ/mol; F_vib(0 K) is the zero-point energy
    metal = [2.0, -1.0, -8.0]
    change = solid_vibrational_change(temperatures, reactants=[(2.0, hydride)], products=[(2.0, metal)], n_h2=2.0)
    assert change.zero_point_kj_per_mol_h2 == pytest.approx(2.0 - 20.0)
    assert change.thermal_free_energy_kj_per_mol_h2 == ((0.0, 0.0), (300.0, -1.0), (600.0, 0.0))


def test_solid_vibrational_change_needs_a_grid_starting_at_0_k():
    with pytest.raises(ConfigError, match="0 K"):
        solid_vibrational_change([100.0, 200.0], [(1.0, [1.0, 2.0])], [(1.0, [0.0, 0.0])], 1.0)
