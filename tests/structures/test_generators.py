"""Prototype substitution and ordered solid solutions."""

import pytest
from pymatgen.core import Composition
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from structures.checks import phase_problems
from structures.errors import SubstitutionError
from structures.library import get_phase
from structures.solid_solution import solid_solution, solid_solution_series
from structures.substitution import PROTOTYPES, substitute, substitute_series


def test_antifluorite_series_gives_mg2x_with_source_and_generated_tag():
    phases = substitute_series("antifluorite", "Si", ["Ge", "Sn", "Pb"])
    assert [p.formula for p in phases] == ["Mg2Ge", "Mg2Sn", "Mg2Pb"]
    for phase in phases:
        assert "generated" in phase.tags
        assert "prototype antifluorite" in phase.source and "Si->" in phase.source
        assert phase_problems(phase) == []


def test_substituted_cell_grows_with_a_larger_atom():
    mg2si = get_phase("Mg2Si").build()
    mg2ge = substitute_series("antifluorite", "Si", ["Ge"])[0].build()
    assert mg2ge.volume > mg2si.volume
    # Zen's-law estimate within 5 % of the measured Mg2Ge cell (a = 6.385 A)
    assert mg2ge.volume / len(mg2ge) == pytest.approx(6.385**3 / 12, rel=0.05)


@pytest.mark.parametrize(
    ("prototype", "replaced", "element", "formula"),
    [("AlB2", "Mg", "Ti", "TiB2"), ("C15", "Mg", "Ca", "CaCu2"), ("C14", "Mg", "Ca", "CaZn2"),
     ("rocksalt", "Li", "Na", "NaH"), ("rutile", "Mg", "Zn", "ZnH2"), ("fluorite", "Y", "Ti", "TiH2")],
)  # fmt: skip
def test_every_prototype_substitutes_and_keeps_its_space_group(prototype, replaced, element, formula):
    phase = substitute_series(prototype, replaced, [element])[0]
    assert phase.formula == Composition(formula).reduced_formula
    expected = SpacegroupAnalyzer(get_phase(PROTOTYPES[prototype].parent).build()).get_space_group_number()
    assert SpacegroupAnalyzer(phase.build()).get_space_group_number() == expected


def test_substituting_a_non_element_is_an_error_naming_it():
    with pytest.raises(SubstitutionError, match="'Qz' is not an element"):
        substitute(get_phase("Mg2Si"), {"Si": "Qz"})


def test_substituting_an_absent_element_is_an_error():
    with pytest.raises(SubstitutionError, match="has no Ge to replace"):
        substitute(get_phase("Mg2Si"), {"Ge": "Sn"})


def test_substitution_that_merges_two_sites_is_an_error():
    with pytest.raises(SubstitutionError, match="merges two sites"):
        substitute(get_phase("Mg2Si"), {"Si": "Mg"})


def test_unknown_prototype_is_named():
    with pytest.raises(SubstitutionError, match="unknown prototype 'perovskite'"):
        substitute_series("perovskite", "Mg", ["Ca"])


def test_mg_al_solid_solutions_hit_the_requested_fractions():
    phases = solid_solution_series("Mg", "Al", (1 / 16, 1 / 8, 1 / 4))
    assert [p.formula for p in phases] == ["Mg15Al", "Mg7Al", "Mg3Al"]
    for phase in phases:
        assert phase.tags == ("generated", "alloy")
        assert phase_problems(phase) == []


def test_solid_solution_spreads_two_solutes_apart():
    structure = solid_solution(get_phase("Mg"), "Al", 1 / 3).build()
    assert structure.composition == Composition("Mg4Al2")
    aluminium = [i for i, site in enumerate(structure) if site.specie.symbol == "Al"]
    nearest_mg_mg = 3.19
    assert structure.get_distance(*aluminium) > nearest_mg_mg


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.2])
def test_solid_solution_fraction_outside_zero_one_is_an_error(fraction):
    with pytest.raises(SubstitutionError, match="strictly between 0 and 1"):
        solid_solution(get_phase("Mg"), "Al", fraction)


def test_solid_solution_too_dilute_for_the_atom_limit_is_an_error():
    with pytest.raises(SubstitutionError, match="needs more than 16 atoms"):
        solid_solution(get_phase("Mg"), "Al", 1 / 64, max_atoms=16)
