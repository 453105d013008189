"""Hydride conversion anodes against lithium (e.g. MgH2 + 2 Li -> Mg + 2 LiH).

Lithium is the open element: raising its chemical potential from the hydride to Li metal walks the
critical compositions of the phase diagram, and each step is a conversion reaction with its own
voltage, V = -dH / (x e) per Li taken up (Li metal from the same energy source is the reference).
pymatgen's ConversionElectrode is not used: it cannot take hydrogen-bearing products reliably, and
this walk is the same one the hydrogen-release path uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

from monty.json import MSONable
from pymatgen.core import Composition, Element
from scipy.constants import physical_constants

from screening.errors import ConfigError
from screening.reactions.release_path import (
    AMOUNT_TOLERANCE,
    assemblage,
    net_change,
    open_element_levels,
    phase_diagram,
    reaction_text,
)
from screening.thermo.phase_set import PhaseSet
from screening.thermo.thermochemistry import Thermochemistry, formation_enthalpy_ev, origins_of

LITHIUM = Element("Li")
FARADAY_C_PER_MOL = physical_constants["Faraday constant"][0]
COULOMB_TO_MAH = 1 / 3.6  # 1 mAh = 3.6 C


@dataclass(frozen=True)
class AnodeStep(MSONable):
    """One conversion step: Li taken up per formula unit of hydride, its voltage and capacity."""

    reaction: str
    li_start_per_formula_unit: float
    li_end_per_formula_unit: float
    voltage_v: float
    capacity_mah_per_g: float
    products: tuple[str, ...]
    experimental_phases: tuple[str, ...] = ()  # phases whose formation enthalpy was measured
    energy_origins: tuple[str, ...] = ()  # per phase: experiment (source) or model, with sigma


@dataclass
class ConversionAnode(MSONable):
    """A hydride as a conversion anode: theoretical capacity (mAh per g of hydride), average voltage vs
    Li/Li+ (capacity-weighted over the steps), and the solid volume change on full lithiation relative
    to the hydride (Li metal not counted, as the papers do)."""

    hydride: str
    capacity_mah_per_g: float
    voltage_v: float
    volume_change_pct: float
    steps: list[AnodeStep]
    energy_source_id: str
    with_vibrations: bool
    flags: list[str] = field(default_factory=list)


def capacity_mah_per_g(li_per_formula_unit: float, molar_mass_g_per_mol: float) -> float:
    """n F / (3.6 M): charge of n Li per formula unit, per gram of hydride."""
    return li_per_formula_unit * FARADAY_C_PER_MOL * COULOMB_TO_MAH / molar_mass_g_per_mol


def conversion_anode(
    hydride: str, phase_set: PhaseSet, thermochemistry: Thermochemistry | None = None
) -> ConversionAnode:
    """Conversion steps of one formula unit of `hydride` with Li, down to the Li metal potential."""
    start = phase_set.get(hydride)
    composition = Composition(start.formula)
    if LITHIUM in composition:
        raise ConfigError(f"{hydride} already contains Li; give the delithiated hydride")
    pd = phase_diagram(phase_set, thermochemistry)
    if LITHIUM not in pd.elements:
        raise ConfigError("the phase set has no lithium phase: Li metal is the reference of every voltage")
    levels = [0.0, *(x for x in open_element_levels(pd, composition, LITHIUM) if x > AMOUNT_TOLERANCE)]
    states = [{start.name: (1.0, start)}]
    states += [assemblage(pd, composition + Composition({"Li": x})) for x in levels[1:]]
    molar_mass = float(composition.weight)
    steps = []
    for (x0, before), (x1, after) in pairwise(zip(levels, states, strict=True)):
        changes = [(n, r) for n, r in net_change(before, after) if r.formula != "Li"]
        dh_ev = sum(n * formation_enthalpy_ev(r, phase_set, thermochemistry) for n, r in changes)
        voltage = -dh_ev / (x1 - x0)
        if voltage <= 0:
            break  # Li metal would plate before this step
        experimental_phases, energy_origins = origins_of(thermochemistry, (r for _, r in changes))
        steps.append(
            AnodeStep(
                reaction=f"{reaction_text(changes, 0.0)} (+{x1 - x0:.4g} Li)",
                li_start_per_formula_unit=x0,
                li_end_per_formula_unit=x1,
                voltage_v=voltage,
                capacity_mah_per_g=capacity_mah_per_g(x1 - x0, molar_mass),
                products=tuple(sorted(r.formula for n, r in after.values() if n > 0)),
                experimental_phases=experimental_phases,
                energy_origins=energy_origins,
            )
        )
    if not steps:
        raise ConfigError(f"{hydride} takes up no lithium above 0 V in this phase set")
    total_li = steps[-1].li_end_per_formula_unit
    final = states[levels.index(total_li)]
    final_volume = sum(n * r.solid_volume_per_formula_unit_a3 for n, r in final.values() if r.formula != "Li")
    return ConversionAnode(
        hydride=start.formula,
        capacity_mah_per_g=capacity_mah_per_g(total_li, molar_mass),
        voltage_v=sum(s.voltage_v * (s.li_end_per_formula_unit - s.li_start_per_formula_unit) for s in steps)
        / total_li,
        volume_change_pct=100.0 * (final_volume / start.solid_volume_per_formula_unit_a3 - 1.0),
        steps=steps,
        energy_source_id=phase_set.energy_source_id,
        with_vibrations=phase_set.with_vibrations,
    )
