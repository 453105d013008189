"""The materials-project energy source, on recorded responses of the MP API served from 127.0.0.1."""

import pytest

from screening.energy.materials_project import phase_results_from_records
from screening.errors import ConfigError
from screening.reactions.enthalpy import reaction_enthalpy
from screening.thermo.phase_set import PhaseSet
from screening.units import EV_TO_KJ_PER_MOL


@pytest.fixture
def mg_h_records(mp_client):
    return mp_client.records_in_chemical_system("Mg-H", max_energy_above_hull_ev_per_atom=1.0)


def test_mgh2_desorption_from_mp_energies_uses_the_ground_states(mg_h_records):
    phase_set = PhaseSet.of(phase_results_from_records(mg_h_records))
    result = reaction_enthalpy("MgH2 -> Mg + H2", phase_set)
    by_atom = {r.material_id: r.energy_per_atom_ev for r in mg_h_records}
    by_hand_ev = by_atom["mp-153"] + 2 * by_atom["mp-24504"] - 3 * by_atom["mp-23710"]
    assert result.dh_raw_kj_per_mol_h2 == pytest.approx(by_hand_ev * EV_TO_KJ_PER_MOL)
    assert result.energy_source_id.startswith("materials-project@2025.09.25")


def test_mp_energies_and_a_local_model_do_not_mix(mg_h_records):
    results = phase_results_from_records(mg_h_records)
    results[0].energy_source_id = "sevennet@0.13.0"
    with pytest.raises(ConfigError, match="mix energy sources"):
        PhaseSet.of(results)


def test_materials_project_phases_join_the_candidate_phases_of_a_system(mp_client):
    from structures.candidates import phases_for_system

    names = {p.name for p in phases_for_system("MgH2", library=None, materials_project=mp_client)}
    assert {"MgH2", "Mg", "H2"} <= names  # the library's
    assert {"MgH2-mp-23710", "Mg-mp-153"} <= names  # and Materials Project's, to be recomputed
