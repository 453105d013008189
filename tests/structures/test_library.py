"""The shipped phase library: every entry builds, is sane, and the phases the project needs are there."""

import pytest
from pymatgen.core import Composition

from structures.checks import distance_problems, phase_problems
from structures.errors import CrystallographyError, FormulaError, UnknownPhaseError
from structures.library import default_library, get_phase, phase_from_record

LIBRARY = list(default_library())

REQUIRED = [
    # elements
    "H2", "H2-solid", "Li", "Na", "K", "Mg", "Ca", "B", "C", "Al", "Si", "Ge", "Ti", "V", "Cr", "Fe", "Co", "Ni",
    "Cu", "Zn", "Y", "La",
    # binary hydrides
    "LiH", "NaH", "KH", "MgH2", "CaH2", "AlH3", "TiH2", "YH2", "LaH2",
    # complex hydrides
    "LiBH4", "NaBH4", "KBH4", "Mg(BH4)2", "Ca(BH4)2", "LiAlH4", "Li3AlH6", "NaAlH4", "Na3AlH6", "LiNH2", "Li2NH",
    "Mg(NH2)2", "Mg2NiH4", "Mg2FeH6",
    # borides, nitrides, silicides, intermetallics
    "MgB2", "AlB2", "CaB6", "CrB2", "TiB2", "Li3N", "Li3BN2", "Mg2Si", "Mg2Ge", "Mg2Ni", "Mg2Cu", "MgCu2", "Mg17Al12",
    # products of the reference reactions: a model on a measured frame, a published prototype
    "Li2Ca(NH)2", "Li3AlN2", "LiMgN",
]  # fmt: skip


@pytest.mark.parametrize("name", REQUIRED)
def test_required_phase_is_in_library_with_its_formula(name):
    phase = get_phase(name)
    assert phase.composition.almost_equals(Composition(name.split("-")[0]).reduced_composition)
    assert phase.source


@pytest.mark.parametrize("phase", LIBRARY, ids=[p.name for p in LIBRARY])
def test_library_phase_passes_composition_symmetry_distance_and_charge_checks(phase):
    assert phase_problems(phase) == []


@pytest.mark.parametrize("phase", [p for p in LIBRARY if not p.is_molecule and "searched" not in p.tags],
                         ids=lambda p: p.name)  # fmt: skip
def test_crystalline_phase_states_experimental_lattice_and_space_group(phase):
    assert phase.experimental_lattice is not None
    assert phase.space_group


@pytest.mark.parametrize("phase", [p for p in LIBRARY if "searched" in p.tags], ids=lambda p: p.name)
def test_searched_phase_carries_its_search_record_and_no_experimental_lattice(phase):
    assert "structure search" in phase.source and "cache key search-" in phase.source
    assert phase.experimental_lattice is None
    assert phase.space_group


def test_mgh2_is_rutile_with_two_formula_units_and_its_alias_resolves():
    mgh2 = get_phase("alpha-MgH2")
    structure = mgh2.build()
    assert mgh2.name == "MgH2"
    assert structure.composition == Composition("Mg2H4")
    assert mgh2.space_group == "P4_2/mnm"


def test_alpha_boron_has_twelve_atoms():
    assert len(get_phase("B").build()) == 12


def test_formula_lookup_finds_the_one_phase_with_that_formula():
    assert get_phase("Mg1 H2").name == "MgH2"


def test_unknown_phase_name_is_an_error_that_names_it_and_suggests():
    with pytest.raises(UnknownPhaseError, match=r"'MgH3'.*did you mean"):
        get_phase("MgH3")


def test_ambiguous_formula_is_an_error_listing_the_candidates():
    with pytest.raises(UnknownPhaseError, match=r"ambiguous.*H2-solid"):
        get_phase("H")


def test_distance_check_catches_bh4_with_too_short_bonds():
    structure = get_phase("LiBH4").build()
    boron = next(i for i, site in enumerate(structure) if site.specie.symbol == "B")
    hydrogen = min(
        (i for i, site in enumerate(structure) if site.specie.symbol == "H"),
        key=lambda i: structure.get_distance(boron, i),
    )
    # pull one H to 0.8 A from its B
    vector = structure[hydrogen].coords - structure[boron].coords
    structure.translate_sites(
        [hydrogen], -vector * (1 - 0.8 / structure.get_distance(boron, hydrogen)), frac_coords=False
    )
    assert any(problem.startswith("B-H") for problem in distance_problems(structure))


def test_chemical_system_selection_returns_only_phases_of_those_elements():
    names = {p.name for p in default_library().in_chemical_system(["Mg", "H"])}
    assert {"Mg", "MgH2", "H2", "H2-solid"} <= names
    assert "LiH" not in names


def test_data_record_with_unparseable_formula_is_a_formula_error():
    record = {"name": "Mg(H2", "formula": "Mg(H2", "tags": ["hydride"], "source": "typo", "molecule": {
        "element": "H", "bond_length_a": 0.74}}  # fmt: skip
    with pytest.raises(FormulaError, match="cannot parse formula 'Mg\\(H2'"):
        phase_from_record(record, "test.toml")


def test_data_record_with_unknown_key_names_it():
    record = {"name": "X", "formula": "Mg", "tags": ["element"], "source": "s", "lattise": {}}
    with pytest.raises(CrystallographyError, match="unknown keys \\['lattise'\\]"):
        phase_from_record(record, "test.toml")


def test_li2nh_is_the_searched_non_polar_ordering_not_the_polar_model():
    li2nh = get_phase("Li2NH")
    assert "searched" in li2nh.tags and "model" not in li2nh.tags
    assert li2nh.space_group == "Pnma"


@pytest.mark.parametrize(
    ("name", "site", "coords"),
    [
        ("LiNH2", 4, (0.2429, 0.1285, 0.1910)),  # Yang et al., APL 88, 041914 (2006)
        ("LiNH2", 5, (0.3840, 0.3512, 0.1278)),
        ("YH3", 2, (1 / 3, 2 / 3, 0.167)),  # HoD3 type, AFLOW A3B_hP24_165_adg_f
    ],
)
def test_corrected_coordinates_are_the_published_ones(name, site, coords):
    assert get_phase(name).recipe.sites[site].coords == pytest.approx(coords, abs=1e-4)


def test_potassium_has_the_cod_lattice_at_78_k():
    potassium = get_phase("K")
    assert potassium.experimental_lattice.a_a == pytest.approx(5.247)
    assert potassium.temperature_k == 78


def test_li2ca_nh2_model_keeps_the_measured_heavy_atom_frame_and_cell():
    # Wu et al. (2007): P-3m1, a = 3.5664, c = 5.9540 A, Ca on 1b; the model adds H on the threefold axis
    phase = get_phase("Li2CaN2H2")
    assert phase.name == "Li2Ca(NH)2" and "model" in phase.tags and phase.space_group == "P-3m1"
    assert phase.experimental_lattice.a_a == pytest.approx(3.5664) and phase.experimental_lattice.c_a == pytest.approx(
        5.954
    )
    structure = phase.build()
    n, h = (structure.indices_from_symbol(el) for el in ("N", "H"))
    assert min(structure.get_distance(i, j) for i in n for j in h) == pytest.approx(0.94, abs=0.02)


def test_entries_found_unverifiable_say_so_and_every_entry_cites_its_source():
    for phase in LIBRARY:
        assert phase.source, phase.name
        assert phase.source_check == "" or phase.source_check.startswith(("unverified: ", "checked: ")), phase.name
    unverified = {phase.name for phase in LIBRARY if phase.source_check.startswith("unverified")}
    assert unverified == {"LiBH4", "Li3AlH6", "Li3BN2", "TiH2", "YH2", "LaH2", "MgB2", "CrB2", "Mg2Si", "Mg2Ge", "LiAl"}
