"""Free energy, temperature of 1 bar H2 and equilibrium pressure of a desorption reaction per mol H2, with or
without phonons.

Conventions: reactions are written in the desorption direction (solids -> solids + n H2) and every reaction
quantity is per mol H2 released. dG > 0 means the hydride is stable against release at 1 bar; dG < 0 means H2 is
released. The H2 gas terms come from `screening.thermo.h2_gas`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from monty.json import MSONable
from scipy.constants import kilo, zero_Celsius

from screening.errors import ConfigError
from screening.thermo.h2_gas import (
    H2_T_MAX_K,
    H2_T_MIN_K,
    check_temperature,
    h2_entropy_j_per_mol_k,
    h2_gibbs_energy_from_0k_kj_per_mol,
)
from screening.units import R_KJ_PER_MOL_K

if TYPE_CHECKING:
    from scipy.interpolate import BSpline

logger = logging.getLogger(__name__)


TemperatureTable = tuple[tuple[float, float], ...]


class OneBarOutcome(StrEnum):
    """How dG(T) of a desorption reaction behaves over the searched temperature range."""

    CROSSES = "crosses"  # dG goes from positive to negative at t_1bar_k
    RELEASES_BELOW_RANGE = "releases_below_range"  # dG < 0 already at t_min_k: T(1 bar) lies below it
    STABLE_IN_RANGE = "stable_in_range"  # dG > 0 up to t_max_k: T(1 bar) lies above it


@dataclass(frozen=True)
class OneBarTemperature(MSONable):
    """The temperature at which the equilibrium H2 pressure is 1 bar (dG = 0), or the flagged reason there is none
    in the searched range [t_min_k, t_max_k]. `t_1bar_k` and `sigma_t_1bar_k` are set only when the outcome is
    `crosses`; `t_1bar_bound_k` always gives the number to rank or report against."""

    outcome: OneBarOutcome
    t_min_k: float
    t_max_k: float
    t_1bar_k: float | None = None
    sigma_t_1bar_k: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "outcome", OneBarOutcome(self.outcome))
        if (self.outcome is OneBarOutcome.CROSSES) != (self.t_1bar_k is not None):
            raise ConfigError("t_1bar_k must be given exactly when the outcome is 'crosses'")

    @property
    def found(self) -> bool:
        """Whether dG crosses zero inside the searched range."""
        return self.outcome is OneBarOutcome.CROSSES

    @property
    def t_1bar_bound_k(self) -> float:
        """T(1 bar) when found; otherwise the range end it lies beyond (an upper bound for `releases_below_range`,
        a lower bound for `stable_in_range`)."""
        if self.t_1bar_k is not None:
            return self.t_1bar_k
        return self.t_min_k if self.outcome is OneBarOutcome.RELEASES_BELOW_RANGE else self.t_max_k

    def describe(self) -> str:
        """One line for people."""
        if self.t_1bar_k is not None:
            sigma = f" +- {self.sigma_t_1bar_k:.0f}" if self.sigma_t_1bar_k else ""
            return f"T(1 bar) = {self.t_1bar_k:.0f}{sigma} K ({self.t_1bar_k - zero_Celsius:.0f} C)"
        if self.outcome is OneBarOutcome.RELEASES_BELOW_RANGE:
            return f"releases H2 at 1 bar already at {self.t_min_k:.0f} K: T(1 bar) < {self.t_min_k:.0f} K"
        return f"does not release H2 at 1 bar up to {self.t_max_k:.0f} K: T(1 bar) > {self.t_max_k:.0f} K"


@dataclass(frozen=True)
class ReleaseThermodynamics(MSONable):
    """Free energy of a desorption reaction (solids -> solids + n H2) per mol H2 as a function of temperature:

        dG(T) = dH0 + [H(T) - H(0) - T S(T)]_H2(1 bar) + dF_solids,thermal(T)

    - `dh0_kj_per_mol_h2`: the 0 K reaction energy per mol H2 in the desorption direction,
      [sum E(solid products) + n E(H2) - sum E(reactants)] / n. With `includes_zero_point` it must contain the
      zero-point energies of every solid and of the H2 molecule; without, it is static (fast mode, less accurate).
    - `solid_vibrational_free_energy_change_kj_per_mol_h2`: optional (T in K, value) samples of the thermal part of
      the solids' harmonic vibrational free energy, [F_vib(T) - ZPE](products) - [F_vib(T) - ZPE](reactants) per
      mol H2, on a temperature grid (interpolated with a cubic spline). It needs `includes_zero_point`, because
      the zero-point part of F_vib belongs in dh0. Without it the solids contribute nothing beyond dh0, so dS is
      the H2 gas entropy alone.
    - `sigma_kj_per_mol_h2`: one-standard-deviation uncertainty of dh0, propagated to T(1 bar) and ln p_eq.

    The supported temperatures are the H2 data range (100-6000 K) intersected with the range of the table."""

    dh0_kj_per_mol_h2: float
    includes_zero_point: bool
    sigma_kj_per_mol_h2: float = 0.0
    solid_vibrational_free_energy_change_kj_per_mol_h2: TemperatureTable | None = None

    def __post_init__(self) -> None:
        if not math.isfinite(self.dh0_kj_per_mol_h2):
            raise ConfigError(f"dh0_kj_per_mol_h2 must be finite, got {self.dh0_kj_per_mol_h2}")
        if not (math.isfinite(self.sigma_kj_per_mol_h2) and self.sigma_kj_per_mol_h2 >= 0):
            raise ConfigError(f"sigma_kj_per_mol_h2 must be finite and >= 0, got {self.sigma_kj_per_mol_h2}")
        table = self.solid_vibrational_free_energy_change_kj_per_mol_h2
        if table is None:
            return
        if not self.includes_zero_point:
            raise ConfigError(
                "a solid vibrational free energy table needs dh0 with zero-point energies (includes_zero_point=True)"
            )
        rows = tuple((float(t_k), float(value)) for t_k, value in table)
        temperatures = np.array([t_k for t_k, _ in rows])
        if len(rows) < 2 or not np.all(np.isfinite(np.array(rows))):
            raise ConfigError("the solid vibrational free energy table needs at least two finite (T, value) rows")
        if temperatures[0] < 0 or np.any(np.diff(temperatures) <= 0):
            raise ConfigError("the solid vibrational free energy table needs strictly increasing T >= 0 K")
        if temperatures[-1] < H2_T_MIN_K or temperatures[0] > H2_T_MAX_K:
            raise ConfigError(
                f"the solid vibrational free energy table ({temperatures[0]:g}-{temperatures[-1]:g} K) does not "
                f"overlap the H2 data range ({H2_T_MIN_K:g}-{H2_T_MAX_K:g} K)"
            )
        object.__setattr__(self, "solid_vibrational_free_energy_change_kj_per_mol_h2", rows)

    @property
    def has_phonons(self) -> bool:
        """Whether the solids' thermal vibrational free energy is included."""
        return self.solid_vibrational_free_energy_change_kj_per_mol_h2 is not None

    @property
    def supported_range_k(self) -> tuple[float, float]:
        """The temperatures (K) at which every quantity is defined; no extrapolation outside."""
        table = self.solid_vibrational_free_energy_change_kj_per_mol_h2
        if table is None:
            return H2_T_MIN_K, H2_T_MAX_K
        return max(H2_T_MIN_K, table[0][0]), min(H2_T_MAX_K, table[-1][0])

    @cached_property
    def _solid_spline(self) -> BSpline:
        from scipy.interpolate import make_interp_spline  # 0.4 s of import: when evaluated, not when read

        table = np.array(self.solid_vibrational_free_energy_change_kj_per_mol_h2)
        return make_interp_spline(table[:, 0], table[:, 1], k=min(3, len(table) - 1))

    def _check(self, t_k: float) -> None:
        check_temperature(t_k, *self.supported_range_k, what="this reaction")

    def solid_thermal_free_energy_kj_per_mol_h2(self, t_k: float) -> float:
        """dF_solids,thermal(T) per mol H2 in kJ/mol (0 without phonons)."""
        self._check(t_k)
        return float(self._solid_spline(t_k)) if self.has_phonons else 0.0

    def dg_kj_per_mol_h2(self, t_k: float) -> float:
        """Reaction Gibbs energy per mol H2 at T and 1 bar H2, kJ/mol; negative means H2 is released."""
        self._check(t_k)
        return (
            self.dh0_kj_per_mol_h2
            + h2_gibbs_energy_from_0k_kj_per_mol(t_k)
            + self.solid_thermal_free_energy_kj_per_mol_h2(t_k)
        )

    def ds_j_per_mol_h2_k(self, t_k: float) -> float:
        """Reaction entropy per mol H2 at T, J/(mol K): -d dG/dT = S_H2(T) - d dF_solids,thermal/dT (analytic)."""
        self._check(t_k)
        solid = float(self._solid_spline(t_k, 1)) * kilo if self.has_phonons else 0.0
        return h2_entropy_j_per_mol_k(t_k) - solid

    def dh_kj_per_mol_h2(self, t_k: float) -> float:
        """Reaction enthalpy per mol H2 at T, kJ/mol: dG + T dS (includes the gas's thermal enthalpy)."""
        return self.dg_kj_per_mol_h2(t_k) + t_k * self.ds_j_per_mol_h2_k(t_k) / kilo

    def ln_equilibrium_pressure_bar(self, t_k: float) -> float:
        """ln(p_eq / 1 bar) = -dG(T) / (R T) (van't Hoff), dG per mol H2."""
        return -self.dg_kj_per_mol_h2(t_k) / (R_KJ_PER_MOL_K * t_k)

    def equilibrium_pressure_bar(self, t_k: float) -> float:
        """Equilibrium H2 pressure in bar: 1 bar * exp(-dG(T) / (R T)); inf where that overflows a float."""
        try:
            return math.exp(self.ln_equilibrium_pressure_bar(t_k))
        except OverflowError:
            return math.inf

    def sigma_ln_equilibrium_pressure_bar(self, t_k: float) -> float:
        """One-sigma uncertainty of ln(p_eq / 1 bar) from sigma of dh0: sigma / (R T)."""
        self._check(t_k)
        return self.sigma_kj_per_mol_h2 / (R_KJ_PER_MOL_K * t_k)

    def t_1bar(self, t_min_k: float | None = None, t_max_k: float | None = None) -> OneBarTemperature:
        """Solve dG(T) = 0 for the lowest temperature at which dG turns from positive to negative.

        dG is sampled every <= 10 K over [t_min_k, t_max_k] (default: the supported range) and the first sign change
        is refined with Brent's method. sigma of T(1 bar) is first order: sigma_dH / |d dG/dT| = sigma_dH / dS."""
        low, high = self.supported_range_k
        t_min_k = low if t_min_k is None else t_min_k
        t_max_k = high if t_max_k is None else t_max_k
        for t_k in (t_min_k, t_max_k):
            self._check(t_k)
        if t_max_k <= t_min_k:
            raise ConfigError(f"T(1 bar) search range is empty: {t_min_k} K to {t_max_k} K")
        grid = np.linspace(t_min_k, t_max_k, max(2, math.ceil((t_max_k - t_min_k) / 10.0) + 1))
        dg = np.array([self.dg_kj_per_mol_h2(float(t_k)) for t_k in grid])
        if dg[0] < 0:
            return OneBarTemperature(OneBarOutcome.RELEASES_BELOW_RANGE, t_min_k, t_max_k)
        released = np.flatnonzero(dg <= 0)
        if released.size == 0:
            return OneBarTemperature(OneBarOutcome.STABLE_IN_RANGE, t_min_k, t_max_k)
        first = int(released[0])
        if dg[first] == 0:
            root = float(grid[first])
        else:
            from scipy.optimize import brentq

            root = float(brentq(self.dg_kj_per_mol_h2, grid[first - 1], grid[first], xtol=1e-9, rtol=1e-12))
        if np.any(dg[first:] > 0):
            logger.warning(
                "dG(T) changes sign more than once in %g-%g K; reporting the lowest T(1 bar)", *grid[[0, -1]]
            )
        slope = self.ds_j_per_mol_h2_k(root) / kilo  # |d dG/dT| in kJ/(mol K)
        sigma = self.sigma_kj_per_mol_h2 / abs(slope) if slope != 0 else math.inf
        return OneBarTemperature(OneBarOutcome.CROSSES, t_min_k, t_max_k, t_1bar_k=root, sigma_t_1bar_k=sigma)


# ---------------------------------------------------------------------------------------------------------------------
# Building the inputs from per-phase vibrational free energies
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SolidVibrationalChange(MSONable):
    """The solids' vibrational contribution to a desorption reaction, per mol H2, split the way
    `ReleaseThermodynamics` needs it: the zero-point part (add it to dh0) and the thermal part (its table)."""

    zero_point_kj_per_mol_h2: float
    thermal_free_energy_kj_per_mol_h2: TemperatureTable


def solid_vibrational_change(
    temperatures_k: Sequence[float],
    reactants: Sequence[tuple[float, Sequence[float]]],
    products: Sequence[tuple[float, Sequence[float]]],
    n_h2: float,
) -> SolidVibrationalChange:
    """Combine harmonic vibrational free energies of the solid phases into per-mol-H2 reaction terms.

    `temperatures_k` must start at 0 K (phonopy's default grid does), so that F_vib(0) is each phase's zero-point
    energy. `reactants` and `products` are (moles of formula units in the reaction, F_vib(T) in kJ/mol per
    formula unit on that grid) for the solids only; the H2 molecule's zero-point energy is not part of this."""
    temperatures = np.asarray(temperatures_k, dtype=float)
    if temperatures.ndim != 1 or temperatures.size < 2 or temperatures[0] != 0:
        raise ConfigError("the vibrational free energy grid needs at least two temperatures starting at 0 K")
    if not n_h2 > 0:
        raise ConfigError(f"n_h2 must be positive, got {n_h2}")
    change = np.zeros_like(temperatures)
    for sign, side in ((-1.0, reactants), (1.0, products)):
        for coefficient, free_energy in side:
            values = np.asarray(free_energy, dtype=float)
            if values.shape != temperatures.shape:
                raise ConfigError("every vibrational free energy must be sampled on the given temperature grid")
            change += sign * coefficient * values
    change /= n_h2
    thermal = change - change[0]
    return SolidVibrationalChange(
        zero_point_kj_per_mol_h2=float(change[0]),
        thermal_free_energy_kj_per_mol_h2=tuple(
            (float(t), float(v)) for t, v in zip(temperatures, thermal, strict=True)
        ),
    )
