"""The energy side of the structure search: a relaxation as the plain function `structures.search` takes, its cache
key, and (slow) a small search with SevenNet-0 that must find rocksalt LiH from the formula alone."""

import pytest
from pymatgen.core import Lattice, Structure

from screening.energy.relax import RelaxSettings, relax_phase
from screening.energy.search import SEARCH_RELAX_SETTINGS, TIGHT_RELAX_SETTINGS, relax_function, relax_key
from screening.energy.sources import EnergySource
from structures.library import get_phase
from structures.search import SearchSpec, search

EMT = EnergySource("emt")


def test_relax_function_returns_total_energy_and_relaxed_structure():
    fcc_al = Structure(Lattice.cubic(4.2), ["Al"] * 4, [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
    energy_ev, relaxed = relax_function(EMT)(fcc_al)
    assert energy_ev < 0.5  # EMT's fcc Al sits near its zero of energy
    assert relaxed.volume != pytest.approx(fcc_al.volume)
    assert len(relaxed) == 4


def test_relax_function_gives_none_for_an_element_the_source_cannot_handle():
    lithium = Structure(Lattice.cubic(3.5), ["Li", "Li"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    assert relax_function(EMT)(lithium) is None


def test_relax_function_gives_none_for_overlapping_atoms():
    overlapping = Structure(Lattice.cubic(5.0), ["Cu", "Cu"], [[0, 0, 0], [0.06, 0, 0]])
    assert relax_function(EMT, RelaxSettings(max_steps=5, keep_symmetry=False))(overlapping) is None


def test_relax_key_names_source_and_settings():
    assert relax_key(EMT) != relax_key(EnergySource("sevennet"))
    assert relax_key(EMT, SEARCH_RELAX_SETTINGS) != relax_key(EMT, TIGHT_RELAX_SETTINGS)
    assert EMT.id in relax_key(EMT)


@pytest.mark.slow
def test_sevennet_search_of_lih_gets_down_to_rocksalt_from_the_formula(tmp_path):
    sevennet = EnergySource("sevennet")
    spec = SearchSpec({"Li": 1, "H": 1}, formula_units=(1, 2), max_atoms=4, n_generated=60, n_relaxed=8,
                      space_groups=(186, 194, 216, 221, 225))  # fmt: skip
    result = search(spec, relax_function(sevennet), relax_key(sevennet), tmp_path)
    rocksalt = relax_phase(get_phase("LiH"), sevennet, SEARCH_RELAX_SETTINGS)
    print(result.best.space_group, 1000 * (result.best.energy_per_atom_ev - rocksalt.energy_per_atom_ev), "meV/atom")
    # the lowest structure found is rocksalt, or another one within 5 meV/atom of it (or below, for this model)
    assert result.best.energy_per_atom_ev <= rocksalt.energy_per_atom_ev + 0.005
