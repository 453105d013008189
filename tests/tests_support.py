"""Helpers shared by tests: phase results with fixed energies on library structures."""

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
