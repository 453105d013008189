"""Helpers shared by tests: phase results with fixed energies on library structures, and calculators
that count or slow down their calls."""

import time
from typing import ClassVar

from ase.calculators.calculator import all_changes
from ase.calculators.emt import EMT

from screening.energies import PhaseResult, formula_units
from structures.library import get_phase


def fixed_result(name: str, formation_ev: float = 0.0, source_id: str = "fixed") -> PhaseResult:
    """A library phase, unrelaxed, with a given energy per formula unit (its formation enthalpy when the
    elements are given zero)."""
    phase = get_phase(name)
    structure = phase.build()
    return PhaseResult(
        name=phase.name,
        formula=phase.formula,
        structure=structure,
        energy_per_formula_unit_ev=formation_ev,
        volume_per_formula_unit_a3=structure.volume / formula_units(structure),
        energy_source_id=source_id,
        is_molecule=phase.is_molecule,
    )


class CountingEMT(EMT):
    """ASE's EMT that counts its energy evaluations, so tests can check that cached work is never redone."""

    calls: ClassVar[int] = 0

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes) -> None:
        type(self).calls += 1
        super().calculate(atoms, properties, system_changes)


class SlowEMT(EMT):
    """EMT slowed down to 20 ms per evaluation, so a test can kill a run half-way."""

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes) -> None:
        time.sleep(0.02)
        super().calculate(atoms, properties, system_changes)
