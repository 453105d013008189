"""H2 ideal gas at 1 bar from tabulated reference data (NIST-JANAF via the NIST WebBook's Shomate fits, the
JANAF table below 298 K): heat capacity, enthalpy, entropy and Gibbs energy above the 0 K ground state.

The standard state of H2 is the ideal gas at 1 bar (p° = 0.1 MPa, as in NIST-JANAF). Energies from DFT or
machine-learned potentials are 0 K energies, so the gas enthalpy is added as H(T) - H(0), the thermal enthalpy above
the molecule's ground state (which already contains its zero-point energy). That is why
`H2_H298_MINUS_H0_KJ_PER_MOL` is needed next to the Shomate H(T) - H(298.15 K).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy.constants import kilo

from screening.errors import ConfigError, TemperatureOutOfRangeError
from screening.units import R_KJ_PER_MOL_K

H2_SHOMATE_SOURCE = (
    "NIST Chemistry WebBook, NIST Standard Reference Database 69, Hydrogen (CAS 1333-74-0), gas phase "
    "thermochemistry data, Shomate equation parameters; data from M. W. Chase Jr., NIST-JANAF Thermochemical "
    "Tables, 4th ed., J. Phys. Chem. Ref. Data Monograph 9 (1998)"
)
H2_JANAF_SOURCE = (
    "M. W. Chase Jr., NIST-JANAF Thermochemical Tables, 4th ed., J. Phys. Chem. Ref. Data Monograph 9 (1998), "
    "table for hydrogen, diatomic (H2), reference state, ideal gas at 0.1 MPa"
)


@dataclass(frozen=True)
class ShomateRange:
    """Shomate coefficients for one temperature range (NIST WebBook convention, t = T / 1000 K):
    Cp = A + B t + C t^2 + D t^3 + E / t^2 in J/(mol K);
    H(T) - H(298.15 K) = A t + B t^2/2 + C t^3/3 + D t^4/4 - E/t + F - H in kJ/mol;
    S(T) = A ln t + B t + C t^2/2 + D t^3/3 - E/(2 t^2) + G in J/(mol K)."""

    t_min_k: float
    t_max_k: float
    a: float
    b: float
    c: float
    d: float
    e: float
    f: float
    g: float
    h: float

    def heat_capacity_j_per_mol_k(self, t_k: float) -> float:
        t = t_k / 1000.0
        return self.a + self.b * t + self.c * t**2 + self.d * t**3 + self.e / t**2

    def enthalpy_kj_per_mol(self, t_k: float) -> float:
        t = t_k / 1000.0
        return self.a * t + self.b * t**2 / 2 + self.c * t**3 / 3 + self.d * t**4 / 4 - self.e / t + self.f - self.h

    def entropy_j_per_mol_k(self, t_k: float) -> float:
        t = t_k / 1000.0
        return self.a * math.log(t) + self.b * t + self.c * t**2 / 2 + self.d * t**3 / 3 - self.e / (2 * t**2) + self.g


# H2 gas, from H2_SHOMATE_SOURCE. NIST lists the first range from 298 K; below 298.15 K the JANAF table is used.
H2_SHOMATE_RANGES: tuple[ShomateRange, ...] = (
    ShomateRange(298.0, 1000.0, 33.066178, -11.363417, 11.432816, -2.772874, -0.158558, -9.980797, 172.707974, 0.0),
    ShomateRange(1000.0, 2500.0, 18.563083, 12.257357, -2.859786, 0.268238, 1.977990, -1.147438, 156.288133, 0.0),
    ShomateRange(2500.0, 6000.0, 43.413560, -4.293079, 1.272428, -0.096876, -20.533862, -38.515158, 162.081354, 0.0),
)

# H2 gas below the Shomate range, from H2_JANAF_SOURCE: T (K), Cp (J/(mol K)), S (J/(mol K)), H - H(298.15 K) (kJ/mol).
# The Shomate fit is not valid below 298 K (its E/t^2 term diverges and normal H2's rotational heat capacity has a
# minimum near 200 K that it does not describe). Between these rows H and S are cubic Hermite interpolants whose
# slopes are the tabulated Cp and Cp/T, so H, S and Cp = dH/dT reproduce every row and stay mutually consistent.
H2_JANAF_LOW_T_ROWS: tuple[tuple[float, float, float, float], ...] = (
    (100.0, 28.154, 100.727, -5.468),
    (200.0, 27.447, 119.412, -2.774),
    (250.0, 28.344, 125.640, -1.378),
    (298.15, 28.836, 130.680, 0.0),
)

# H(298.15 K) - H(0 K) of H2 gas, kJ/mol: the 0 K row of the same JANAF table (H - H(Tr) = -8.467 kJ/mol).
# CODATA Key Values (Cox, Wagman, Medvedev 1989) give 8.468 +- 0.001; the 1 J/mol difference is immaterial.
H2_H298_MINUS_H0_KJ_PER_MOL = 8.467

T_REFERENCE_K = 298.15
H2_T_MIN_K = H2_JANAF_LOW_T_ROWS[0][0]
H2_T_MAX_K = H2_SHOMATE_RANGES[-1].t_max_k

_LOW_T = np.array(H2_JANAF_LOW_T_ROWS)


@cache
def _low_t_splines() -> tuple:
    """Hermite splines through the JANAF rows below the Shomate range: H - H(298) in kJ/mol (slope Cp) and S in
    J/mol/K (slope Cp/T). Built on first use: scipy.interpolate costs 0.4 s of import, which reading results skips."""
    from scipy.interpolate import CubicHermiteSpline

    t_k, cp, s, h = _LOW_T[:, 0], _LOW_T[:, 1], _LOW_T[:, 2], _LOW_T[:, 3]
    return CubicHermiteSpline(t_k, h, cp / kilo), CubicHermiteSpline(t_k, s, cp / t_k)


def check_temperature(t_k: float, t_min_k: float = H2_T_MIN_K, t_max_k: float = H2_T_MAX_K, what: str = "") -> None:
    """Raise TemperatureOutOfRangeError unless t_k is finite and within [t_min_k, t_max_k] (no extrapolation)."""
    if not (math.isfinite(t_k) and t_min_k <= t_k <= t_max_k):
        subject = f" for {what}" if what else ""
        raise TemperatureOutOfRangeError(
            f"temperature {t_k} K is outside the supported range{subject}, {t_min_k:g}-{t_max_k:g} K"
        )


def _shomate_range(t_k: float) -> ShomateRange:
    for shomate in H2_SHOMATE_RANGES:
        if t_k <= shomate.t_max_k:
            return shomate
    raise TemperatureOutOfRangeError(f"temperature {t_k} K is above the H2 Shomate range (max {H2_T_MAX_K:g} K)")


def h2_heat_capacity_j_per_mol_k(t_k: float) -> float:
    """Isobaric heat capacity Cp of H2 ideal gas in J/(mol K), valid 100-6000 K (Shomate fit from 298.15 K,
    the derivative of the JANAF-based enthalpy interpolant below)."""
    check_temperature(t_k, what="H2 gas")
    if t_k < T_REFERENCE_K:
        return float(_low_t_splines()[0](t_k, 1)) * kilo
    return _shomate_range(t_k).heat_capacity_j_per_mol_k(t_k)


def h2_enthalpy_kj_per_mol(t_k: float) -> float:
    """H(T) - H(298.15 K) of H2 ideal gas in kJ/mol, valid 100-6000 K (negative below 298.15 K)."""
    check_temperature(t_k, what="H2 gas")
    if t_k < T_REFERENCE_K:
        return float(_low_t_splines()[0](t_k))
    return _shomate_range(t_k).enthalpy_kj_per_mol(t_k)


def h2_entropy_j_per_mol_k(t_k: float) -> float:
    """Absolute (third-law) entropy S(T) of H2 ideal gas at 1 bar in J/(mol K), valid 100-6000 K."""
    check_temperature(t_k, what="H2 gas")
    if t_k < T_REFERENCE_K:
        return float(_low_t_splines()[1](t_k))
    return _shomate_range(t_k).entropy_j_per_mol_k(t_k)


def h2_enthalpy_from_0k_kj_per_mol(t_k: float) -> float:
    """H(T) - H(0 K) of H2 ideal gas in kJ/mol: the thermal enthalpy above the ground state, which is what adds to
    a 0 K (static or static + zero-point) energy of the molecule."""
    return h2_enthalpy_kj_per_mol(t_k) + H2_H298_MINUS_H0_KJ_PER_MOL


def h2_gibbs_energy_from_0k_kj_per_mol(t_k: float, p_bar: float = 1.0) -> float:
    """G(T, p) - H(0 K) of H2 ideal gas in kJ/mol: [H(T) - H(0)] - T S(T) + R T ln(p / 1 bar).

    Added to the molecule's 0 K energy (with zero-point energy) it gives the H2 chemical potential at T and p."""
    if not p_bar > 0:
        raise ConfigError(f"H2 pressure must be positive, got {p_bar} bar")
    gibbs = h2_enthalpy_from_0k_kj_per_mol(t_k) - t_k * h2_entropy_j_per_mol_k(t_k) / kilo
    return gibbs + R_KJ_PER_MOL_K * t_k * math.log(p_bar)
