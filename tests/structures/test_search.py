"""The structure search: candidates that are symmetric, charge balanced and sane; caching; the relaxation comes
from the caller (here stand-ins without any energy model, so these tests need none)."""

from dataclasses import replace

import numpy as np
import pytest
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Composition, Lattice, Structure
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from structures.checks import distance_problems
from structures.library import get_phase
from structures.search import (
    COMPLEX_UNITS,
    HOP_GAIN_EV,
    SearchSpec,
    StructureSearchError,
    _Arrangement,
    _compact_supercell,
    _draw_weights,
    _group,
    _hopped,
    _orderings,
    _orientation,
    _orientations,
    _relaxed_in_units,
    _site_rotations,
    _unit_model,
    generate_candidates,
    rigid_unit_energy_per_fu,
    search,
    search_key,
    unit_of,
)

# a small search: few arrangements, a few common groups (monoclinic and orthorhombic, where BH4 sits on mirrors)
LIBH4 = SearchSpec(
    {"Li": 1, "BH4": 1}, formula_units=(1, 2), max_atoms=12, n_generated=12, n_relaxed=3, n_chains=3, n_hops=15,
    space_groups=(4, 11, 14, 19, 26, 31, 33, 62),
)  # fmt: skip


@pytest.fixture(scope="module")
def candidates():
    return generate_candidates(LIBH4)


def _volume_relax(structure):
    """A stand-in relaxation: energy grows with volume per atom, structure unchanged."""
    return structure.volume / len(structure) * len(structure) * 0.01, structure


def test_candidates_have_the_formula_and_no_clashing_atoms(candidates):
    assert candidates
    for origin, structure in candidates:
        assert structure.composition.reduced_composition == Composition("LiBH4")
        assert len(structure) <= LIBH4.max_atoms
        assert not [p for p in distance_problems(structure) if not p.startswith("H-H")], origin


def test_candidates_keep_boron_tetrahedrally_bonded_to_four_hydrogens(candidates):
    for _, structure in candidates:
        for i, site in enumerate(structure):
            if site.specie.symbol == "B":
                neighbours = [n for n in structure.get_neighbors(site, 1.3) if n.specie.symbol == "H"]
                assert len(neighbours) == 4, i


def test_candidate_keeps_the_symmetry_of_the_group_its_origin_names(candidates):
    for origin, structure in candidates:
        if not origin.startswith("random"):
            continue  # a basin-hopping chain imposes no symmetry
        named = _group(int(origin.split("(")[1].split(")")[0]))
        point_group = SpacegroupAnalyzer(structure, symprec=0.01).get_point_group_operations()
        n_rotations = len(named.rotations) // named.n_centring
        assert len(point_group) % n_rotations == 0, origin  # the named group is a subgroup of what it has


def test_same_seed_gives_the_same_candidates_and_another_seed_others(candidates):
    again = [s for _, s in generate_candidates(LIBH4)]
    other = [s for _, s in generate_candidates(replace(LIBH4, seed=1))]
    first = [s for _, s in candidates]
    assert all(np.allclose(a.cart_coords, b.cart_coords) for a, b in zip(first, again, strict=True))
    assert not all(
        len(a) == len(b) and np.allclose(a.lattice.matrix, b.lattice.matrix) for a, b in zip(first, other, strict=False)
    )


def test_tetrahedron_on_a_mirror_plane_is_turned_to_fit_it():
    group = _group(62)  # Pnma: 4c sites (x, 1/4, z) lie on a mirror
    lattice = Lattice.orthorhombic(7.2, 4.4, 6.8)
    rotations = _site_rotations(group, lattice, np.array([0.3, 0.25, 0.43]))
    assert len(rotations) == 2
    offsets = _orientation(COMPLEX_UNITS["BH4"], rotations, np.random.default_rng(0))
    mirrored = offsets @ rotations[1].T
    gaps = np.linalg.norm(mirrored[:, None] - offsets[None], axis=2).min(axis=1)
    assert gaps.max() < 1e-3


def test_tetrahedron_on_an_inversion_centre_has_no_orientation():
    group = _group(2)  # P-1: the origin is an inversion centre
    rotations = _site_rotations(group, Lattice.cubic(5.0), np.zeros(3))
    assert _orientation(COMPLEX_UNITS["BH4"], rotations, np.random.default_rng(0)) is None


def _rock_salt_nabh4(a_a: float = 6.2) -> _Arrangement:
    """Na on 4a and B on 4b of Fm-3m, in the conventional cell (a is a starting value, not data)."""
    group = _group(225)
    na, b = unit_of("Na"), unit_of("BH4")
    corners = [np.array(p, dtype=float) for p in ((0, 0, 0), (0.5, 0.5, 0), (0.5, 0, 0.5), (0, 0.5, 0.5))]
    sites = [(na, p) for p in corners] + [(b, (p + 0.5) % 1.0) for p in corners]
    return _Arrangement(group, Lattice.cubic(a_a), 1, sites)


def test_tetrahedron_on_the_rock_salt_site_takes_either_of_its_two_minus_43m_orientations():
    arrangement = _rock_salt_nabh4()
    rotations = _site_rotations(arrangement.group, arrangement.lattice, np.array([0.5, 0.5, 0.5]))
    assert len(rotations) == 48
    assert _orientation(COMPLEX_UNITS["BH4"], rotations, np.random.default_rng(0)) is None
    orientations = _orientations(COMPLEX_UNITS["BH4"], rotations, np.random.default_rng(0))
    assert len(orientations) == 2
    for offsets in orientations:  # every B-H along a <111> direction, the tetrahedron kept by 24 of the 48
        assert np.allclose(np.abs(offsets), 1.21 / np.sqrt(3), atol=1e-3)
        kept = [
            w
            for w in rotations
            if np.linalg.norm((offsets @ w.T)[:, None] - offsets[None], axis=2).min(axis=1).max() < 1e-3
        ]
        assert len(kept) == 24
    gaps = np.linalg.norm(orientations[0][:, None] + orientations[1][None], axis=2).min(axis=1)
    assert gaps.max() < 1e-3  # the two are each other's inversion


def test_orderings_of_rock_salt_borohydride_are_distinct_and_include_ordered_nabh4():
    orderings = _orderings(_rock_salt_nabh4(), 24, np.random.default_rng(0))
    matcher = StructureMatcher()
    assert 2 <= len(orderings) < 16  # 16 patterns, most of them copies under the cubic symmetry
    assert not any(matcher.fit(x, y) for i, x in enumerate(orderings) for y in orderings[i + 1 :])
    for structure in orderings:
        assert structure.composition.reduced_formula == "NaBH4" and len(structure) == 24
        assert not distance_problems(structure)
    experimental = get_phase("NaBH4").build()  # ordered low-temperature NaBH4: never given to the generator
    relaxed = [_relaxed_in_units(s, [unit_of("Na"), unit_of("BH4")], 4)[1] for s in orderings]
    assert sum(matcher.fit(s, experimental) for s in relaxed) == 1


def test_orderings_are_not_made_beyond_the_cell_cap():
    assert _orderings(_rock_salt_nabh4(), 23, np.random.default_rng(0)) == []


def test_formula_that_is_not_charge_balanced_is_an_error():
    with pytest.raises(StructureSearchError, match="not charge balanced"):
        SearchSpec({"Mg": 1, "BH4": 1}).unit_list()


def test_unknown_unit_is_an_error_naming_it():
    with pytest.raises(StructureSearchError, match="unknown unit 'XH9'"):
        unit_of("XH9")


def test_cell_cap_below_one_formula_unit_is_an_error():
    with pytest.raises(StructureSearchError, match="fits in 4 atoms"):
        generate_candidates(SearchSpec({"Li": 1, "BH4": 1}, max_atoms=4))


def test_isotype_is_substituted_and_scaled_and_comes_first():
    parent = Structure(Lattice.cubic(4.0), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    spec = SearchSpec({"Li": 1, "H": 1}, formula_units=(1,), n_generated=3, n_relaxed=1, space_groups=(221, 225),
                      isotypes=((parent, {"Na": "Li", "Cl": "H"}),))  # fmt: skip
    origin, structure = generate_candidates(spec)[0]
    assert origin == "isotype NaCl"
    assert structure.composition.reduced_formula == "LiH"
    assert structure.volume != pytest.approx(parent.volume)


def test_search_keeps_the_lowest_distinct_hits_lowest_first(tmp_path):
    result = search(LIBH4, _volume_relax, "volume-stand-in", tmp_path)
    energies = [h.energy_per_atom_ev for h in result.hits]
    assert energies == sorted(energies)
    assert 1 <= len(result.hits) <= LIBH4.n_kept
    assert result.best.space_group
    assert "structure search" in result.record() and result.cache_key in result.record()


def test_search_is_read_from_the_cache_the_second_time(tmp_path):
    calls = []

    def counting(structure):
        calls.append(1)
        return _volume_relax(structure)

    first = search(LIBH4, counting, "counting", tmp_path)
    n_calls = len(calls)
    second = search(LIBH4, counting, "counting", tmp_path)
    assert len(calls) == n_calls
    assert second.best.energy_per_atom_ev == first.best.energy_per_atom_ev


def test_another_relaxation_key_is_another_search(tmp_path):
    first = search(LIBH4, _volume_relax, "model-a", tmp_path)
    second = search(LIBH4, _volume_relax, "model-b", tmp_path)
    assert first.cache_key != second.cache_key


def test_rejected_relaxations_are_counted_not_kept(tmp_path):
    def reject_all(structure):
        return None

    result = search(LIBH4, reject_all, "rejecting", tmp_path)
    assert result.n_rejected == result.n_relaxed
    with pytest.raises(StructureSearchError, match="relaxed no candidate"):
        _ = result.best


def test_killed_search_resumes_from_the_relaxed_candidates(tmp_path):
    calls = []

    def dies_after_two(structure):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(1)
        return _volume_relax(structure)

    with pytest.raises(KeyboardInterrupt):
        search(LIBH4, dies_after_two, "resume", tmp_path)
    again = []

    def counting(structure):
        again.append(1)
        return _volume_relax(structure)

    result = search(LIBH4, counting, "resume", tmp_path)
    assert len(again) == result.n_relaxed - 2


def test_screen_ranks_more_candidates_and_only_the_lowest_are_relaxed_fully(tmp_path):
    """The screen sees n_screened candidates; the full relaxation sees the n_relaxed lowest after it, as the screen
    left them (here: marked by a strained cell), and the record says so."""
    spec = replace(LIBH4, n_relaxed=2, n_screened=6, n_chains=0)
    screened, relaxed = [], []

    def screen(structure):
        screened.append(structure.volume / len(structure))
        shrunk = structure.copy()
        shrunk.scale_lattice(structure.volume * 0.9)
        return _volume_relax(shrunk)

    def relax(structure):
        relaxed.append(structure.volume / len(structure))
        return _volume_relax(structure)

    result = search(spec, relax, "screened", tmp_path, screen=screen)
    assert len(screened) == len(generate_candidates(spec)) == 6
    assert len(relaxed) == result.n_relaxed == 2 and result.n_screened == 6
    assert sorted(relaxed) == pytest.approx(sorted(0.9 * v for v in screened)[:2])
    assert "6 screened by a short relaxation, 2 relaxed" in result.record()


def test_screening_without_a_screen_relaxation_is_refused(tmp_path):
    with pytest.raises(StructureSearchError, match="screen relaxation"):
        search(replace(LIBH4, n_screened=6), _volume_relax, "no-screen", tmp_path)


@pytest.mark.slow
def test_mg2feh6_from_its_formula_alone_comes_first_as_the_k2ptcl6_type():
    """The soft-ion relaxation puts Fe 4- on an fcc lattice with Mg 2+ in all its tetrahedral holes, the octahedra
    decorated in the full symmetry give Fm-3m, each Fe bonded to 6 H, and the rigid-unit model ranks it first."""
    spec = SearchSpec({"Mg": 2, "FeH6": 1}, formula_units=(1, 2), max_atoms=18, n_generated=30, n_relaxed=2)
    origin, structure = generate_candidates(spec)[0]
    assert origin.startswith("random Fm-3m (225)")
    assert SpacegroupAnalyzer(structure, symprec=0.01).get_space_group_number() == 225
    iron = next(site for site in structure if site.specie.symbol == "Fe")
    assert [n.specie.symbol for n in structure.get_neighbors(iron, 1.7)] == ["H"] * 6


def test_a_space_group_prior_takes_half_the_draws_and_leaves_no_group_out():
    groups = list(range(2, 231))
    weights = _draw_weights(groups, ((62, 3.0), (225, 1.0)))
    assert weights.sum() == pytest.approx(1.0)
    assert weights[groups.index(62)] == pytest.approx(0.5 / 229 + 0.5 * 0.75)
    assert weights[groups.index(225)] == pytest.approx(0.5 / 229 + 0.5 * 0.25)
    assert weights.min() == pytest.approx(0.5 / 229)
    assert _draw_weights(groups, ()) is None


def test_a_prior_is_part_of_the_key_and_no_prior_leaves_the_key_as_it_was():
    with_prior = replace(LIBH4, space_group_prior=((62, 1.0),))
    assert search_key(with_prior, "k") != search_key(LIBH4, "k")
    assert "space_group_prior" not in LIBH4.key_payload()


def test_rigid_unit_model_gives_each_centre_its_hydrogens_and_balances_the_charge():
    alanate = get_phase("NaAlH4").build()  # I4_1/a, published structure
    model = _unit_model(alanate, [unit_of("Na"), unit_of("AlH4")])
    charges = {(site.specie.symbol, q) for site, q in zip(alanate, model.charges, strict=True)}
    assert charges == {("Na", 1.0), ("Al", 1.0), ("H", -0.5)}  # hydridic H carry -0.5, Al the rest of -1
    assert len(model.bonds.pairs) == 10 * 2  # 4 Al-H and 6 H-H springs per AlH4, two units in the primitive cell
    amide = get_phase("LiNH2").build()
    model = _unit_model(amide, [unit_of("Li"), unit_of("NH2")])
    assert {round(q, 2) for q in model.charges} == {1.0, -1.5, 0.25}  # protic H carry +0.25
    assert model.charges.sum() == pytest.approx(0.0)


def test_rigid_unit_model_refuses_hydrogen_it_cannot_give_to_the_units():
    borohydride = get_phase("LiBH4").build()
    borohydride.remove_sites([next(i for i, site in enumerate(borohydride) if site.specie.symbol == "H")])
    assert _unit_model(borohydride, [unit_of("Li"), unit_of("BH4")]) is None


def test_relaxing_in_the_rigid_unit_model_keeps_the_units_and_the_symmetry():
    published = get_phase("Mg2FeH6").build()  # Fm-3m, one formula unit in the primitive cell
    units = [unit_of("Mg"), unit_of("FeH6")]
    energy_per_fu, relaxed = _relaxed_in_units(published, units, 1)
    assert energy_per_fu < 0
    assert SpacegroupAnalyzer(relaxed, symprec=0.01).get_space_group_number() == 225
    iron = next(site for site in relaxed if site.specie.symbol == "Fe")
    bonds = [n.nn_distance for n in relaxed.get_neighbors(iron, 1.8) if n.specie.symbol == "H"]
    assert len(bonds) == 6
    assert bonds == pytest.approx([1.56] * 6, abs=0.05)  # the published Fe-H, held by the springs to 3 %


def test_rigid_unit_energy_of_a_known_structure_is_per_formula_unit_whatever_its_cell():
    alanate = get_phase("NaAlH4").build()  # primitive cell, two formula units
    spec = SearchSpec({"Na": 1, "AlH4": 1})
    primitive = rigid_unit_energy_per_fu(alanate, spec)
    conventional = SpacegroupAnalyzer(alanate).get_conventional_standard_structure()  # four formula units
    assert len(conventional) == 2 * len(alanate)
    assert rigid_unit_energy_per_fu(conventional, spec) == pytest.approx(primitive, abs=1e-3)
    assert primitive < 0
    alanate.remove_sites([next(i for i, site in enumerate(alanate) if site.specie.symbol == "H")])
    with pytest.raises(StructureSearchError, match="Na2Al2H7 is not the searched NaAlH4"):
        rigid_unit_energy_per_fu(alanate, spec)


def test_rigid_unit_energy_is_none_when_the_hydrogen_does_not_belong_to_the_units():
    borohydride = get_phase("LiBH4").build()
    hydrogen = [i for i, site in enumerate(borohydride) if site.specie.symbol == "H"]
    borohydride.translate_sites(hydrogen[:1], [0.0, 0.0, 3.0], frac_coords=False)  # one H 2.7 A from every B
    spec = SearchSpec({"Li": 1, "BH4": 1})
    assert rigid_unit_energy_per_fu(get_phase("LiBH4").build(), spec) is not None
    assert rigid_unit_energy_per_fu(borohydride, spec) is None


def test_an_element_that_is_both_an_ion_and_a_unit_centre_is_an_error():
    with pytest.raises(StructureSearchError, match="Al cannot be both an ion and a unit's centre"):
        SearchSpec({"Al": 1, "AlH4": 3}).unit_list()


def test_basin_hopping_goes_below_its_start_and_keeps_the_units_whole_and_rigid(candidates):
    """A chain from a random LiBH4 candidate ends lower in the rigid-unit model than its start, with every BH4 still
    a tetrahedron of B-H 1.21 A; the search ranks such a chain's result among its candidates."""
    assert any(origin.startswith("hopped from random") for origin, _ in candidates)
    start = [structure for origin, structure in candidates if origin.startswith("random")][-1]  # the highest
    units = [unit_of("Li"), unit_of("BH4")]
    z = len(start) // 6
    start_energy, _ = _relaxed_in_units(start, units, z)
    energy, structure = _hopped(start, units, z, 15, np.random.default_rng(0))
    assert energy < start_energy - HOP_GAIN_EV
    assert structure.composition == start.composition
    for site in structure:
        if site.specie.symbol == "B":
            bonds = [n.nn_distance for n in structure.get_neighbors(site, 1.6) if n.specie.symbol == "H"]
            assert bonds == pytest.approx([1.21] * 4, abs=0.06)


def test_basin_hopping_from_the_lowest_structure_finds_nothing_new():
    """From the published Mg2FeH6, already the lowest in the model, a short chain visits nothing lower: no result."""
    published = get_phase("Mg2FeH6").build()
    units = [unit_of("Mg"), unit_of("FeH6")]
    assert _hopped(published, units, 1, 10, np.random.default_rng(0)) is None


def test_chains_run_in_the_widest_supercell_of_the_largest_cell_allowed():
    """Doubling a simple cubic cell of 3 A: the most compact double is the face-centred one (each atom 3*sqrt(2) A
    from its nearest image), not the 6 x 3 x 3 A box (3 A); it holds twice the atoms in twice the volume."""
    cell = Structure(Lattice.cubic(3.0), ["Li", "H"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    double = _compact_supercell(cell, 2)
    assert sorted(double.lattice.abc) == pytest.approx([3 * np.sqrt(2)] * 3)  # the face-centred cell, reduced
    assert len(double) == 4
    assert double.volume == pytest.approx(54.0)
    assert double.composition.reduced_formula == "LiH"
