"""Complete phase sets of a chemical system: library phases and candidates generated from prototypes."""

import pytest

from structures.candidates import phases_for_system
from structures.substitution import PROTOTYPES, Prototype, SiteRole


def test_phase_set_of_mgh2_ni_includes_library_and_generated_candidates():
    names = {p.name for p in phases_for_system("MgH2", "Ni")}
    assert {"Mg2Ni", "Mg2NiH4", "MgH2", "Ni"} <= names
    assert any(n.endswith("-C15") for n in names)
    assert "NiH-rocksalt" in names


def test_generated_polymorphs_of_one_formula_all_compete():
    names = {p.name for p in phases_for_system("MgH2", "Al")}
    assert {"MgAl2-C15", "MgAl2-C14"} <= names and {"NiH2-fluorite", "NiH2-rutile"} <= {
        p.name for p in phases_for_system("MgH2", "Ni")
    }


def test_a_formula_the_library_knows_is_not_generated_again():
    names = {p.name for p in phases_for_system("MgH2", "CaH2")}
    assert "CaMg2" in names and not any(n.startswith("CaMg2-") for n in names)


@pytest.mark.parametrize(("host", "additive"), [("LiBH4", "Cr"), ("LiBH4", "CaH2")])
def test_borohydride_systems_get_diboride_candidates(host, additive):
    names = {p.formula for p in phases_for_system(host, additive)}
    assert {"CrB2"} <= names or {"CaB6"} <= names


def test_alkali_metals_get_no_diboride_or_laves_candidates():
    formulas = {p.formula for p in phases_for_system("LiBH4", "Ni")}
    assert "LiB2" not in formulas and not any("Li" in f and "Ni" in f for f in formulas)
    assert "NiB2" in formulas


def test_a_new_prototype_with_existing_roles_takes_part_without_other_changes(monkeypatch):
    zincblende_like = Prototype("LiH-copy", "LiH", "a second MH type", ("hydride",),
                                {"Li": SiteRole.METAL_WITHOUT_HYDRIDE}, requires=("H",))  # fmt: skip
    monkeypatch.setitem(PROTOTYPES, zincblende_like.name, zincblende_like)
    names = {p.name for p in phases_for_system("MgH2", "Ni")}
    assert {"NiH-rocksalt", "NiH-LiH-copy"} <= names


def test_laves_candidates_put_host_and_additive_metals_on_both_sites():
    names = {p.name for p in phases_for_system("MgH2", "Al")}
    assert {"MgAl2-C15", "Mg2Al-C15", "MgAl2-C14", "Mg2Al-C14"} <= names
