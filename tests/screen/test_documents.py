"""Every result document survives a JSON round trip (the store and jobflow keep them as JSON)."""

import json

import pytest
from monty.json import MontyDecoder, MontyEncoder
from tests_support import fixed_result

from screening.energy.cache import ResultCache
from screening.energy.phase_results import compute_phase
from screening.energy.phonons import PhononSettings, compute_phonons
from screening.energy.relax import RelaxSettings
from screening.energy.sources import EnergySource
from screening.reactions.anodes import conversion_anode
from screening.reactions.release_path import Mixture, analyse_mixture
from screening.screen.ranking import rank_candidates
from screening.thermo.corrections import fit_corrections, load_training_set
from screening.thermo.phase_set import PhaseSet
from structures.library import get_phase


def round_trip(document):
    return json.loads(json.dumps(document, cls=MontyEncoder), cls=MontyDecoder)


@pytest.fixture(scope="module")
def hand_made_set():
    energies = {"MgH2": -0.79, "LiH": -0.94, "LiBH4": -1.97, "MgB2": -0.95}
    names = ("H2", "Li", "Mg", "B", "LiH", "MgH2", "LiBH4", "MgB2")
    return PhaseSet.of(fixed_result(n, energies.get(n, 0.0)) for n in names)


def test_phase_result_with_phonons_round_trips(tmp_path):
    emt, cache = EnergySource("emt"), ResultCache(tmp_path)
    settings = PhononSettings(min_supercell_length_a=5.0)
    result = compute_phase(
        get_phase("Cu"), emt, RelaxSettings(), cache, lambda s, src, mol: compute_phonons(s, src, settings, cache)
    )
    back = round_trip(result)
    assert back.zero_point_energy_ev_per_formula_unit == pytest.approx(result.zero_point_energy_ev_per_formula_unit)
    assert back.structure == result.structure


def test_release_path_and_ranked_list_round_trip(hand_made_set):
    path = analyse_mixture(Mixture("LiBH4", "MgH2", 0.5), hand_made_set)
    back = round_trip(path)
    assert back.steps[0].reaction == path.steps[0].reaction
    ranked = rank_candidates(path.steps)
    assert round_trip(ranked).candidates[0].score == pytest.approx(ranked.candidates[0].score)


def test_anode_and_correction_scheme_round_trip(hand_made_set):
    anode = conversion_anode("MgH2", hand_made_set)
    assert round_trip(anode).voltage_v == pytest.approx(anode.voltage_v)
    scheme = fit_corrections(hand_made_set, load_training_set())
    assert round_trip(scheme).values_ev == pytest.approx(scheme.values_ev)
