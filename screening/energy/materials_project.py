"""The `materials-project` energy source: MP's own (MP2020-corrected GGA/GGA+U) energies and relaxed
structures as phase results, so a screen can run on DFT data without any local calculation.

Its energies carry MP2020's anion corrections, fitted for DFT; they are never mixed with a local
model's energies (PhaseSet refuses two energy source ids in one set). MP's hydrogen reference is its
molecular H2 crystal; here that phase stands for the H2 molecule (`is_molecule`), as MP's own phase
diagrams use it."""

from __future__ import annotations

from collections.abc import Iterable

from screening.energy.phase_results import PhaseResult, formula_units
from screening.errors import UnknownPhaseError
from structures.materials_project import MaterialsProjectRecord, MaterialsProjectStructures
from structures.phase import Phase


def energy_source_id(record: MaterialsProjectRecord) -> str:
    """One id per database version and thermo type: energies of other versions are another source."""
    return f"materials-project@{record.database_version}:{record.thermo_type or 'default'}"


def phase_result_from_record(record: MaterialsProjectRecord) -> PhaseResult:
    """MP's corrected energy and relaxed structure of one material as a phase result."""
    structure = record.structure
    units = formula_units(structure)
    return PhaseResult(
        name=f"{record.formula}-{record.material_id}",
        formula=record.formula,
        structure=structure,
        energy_per_formula_unit_ev=record.energy_per_atom_ev * len(structure) / units,
        volume_per_formula_unit_a3=structure.volume / units,
        energy_source_id=energy_source_id(record),
        relax_settings=None,  # MP's own relaxation, not one of ours
        is_molecule=record.formula == "H2",
        source=f"Materials Project {record.material_id} ({record.database_version}, fetched {record.fetched_at})",
    )


def phase_result_of(phase: Phase, client: MaterialsProjectStructures | None = None) -> PhaseResult:
    """The MP energy of a phase that is one of MP's materials (it carries a `material_id`)."""
    if not phase.material_id:
        raise UnknownPhaseError(
            f"{phase.name} is not a Materials Project material: the materials-project source has energies only "
            "for MP's own phases"
        )
    return phase_result_from_record((client or MaterialsProjectStructures()).record(phase.material_id))


def phase_results_from_records(records: Iterable[MaterialsProjectRecord]) -> list[PhaseResult]:
    """Phase results of many records (e.g. a whole chemical system)."""
    return [phase_result_from_record(r) for r in records]
