"""The fitted correction scheme: environment classification, recovery of known terms, uncertainty."""

import pytest
from tests_support import fixed_result

from screening.thermo.corrections import correction_features, fit_corrections, load_training_set
from screening.thermo.phase_set import PhaseSet
from screening.units import EV_TO_KJ_PER_MOL


def test_hydrogen_environments_are_told_apart_from_structure():
    assert correction_features(fixed_result("MgH2", 0.0)) == {"H:hydride": 2.0, "mu:Mg": 1.0}
    assert correction_features(fixed_result("LiBH4", 0.0)) == {"H:B-H": 4.0, "mu:Li": 1.0}
    assert correction_features(fixed_result("LiAlH4", 0.0)) == {"H:Al-H": 4.0, "mu:Li": 1.0, "mu:Al": 1.0}
    assert correction_features(fixed_result("LiNH2", 0.0)) == {"H:N-H": 2.0, "mu:Li": 1.0}
    assert correction_features(fixed_result("MgB2", 0.0)) == {"B:boride": 2.0, "mu:Mg": 1.0}
    assert correction_features(fixed_result("Mg", 0.0)) == {}


TRUE_TERMS_EV = {"H:hydride": -0.05, "H:B-H": 0.04, "B:boride": -0.10, "mu:Mg": 0.02}


def synthetic_phase_set() -> PhaseSet:
    """Elements at zero energy; each compound's energy is its experimental formation enthalpy minus the
    true correction, so a perfect fit recovers TRUE_TERMS_EV exactly."""
    compounds = ["MgH2", "LiH", "NaH", "KH", "CaH2", "LiBH4", "NaBH4", "KBH4", "MgB2", "TiB2", "CrB2", "Mg2Si"]
    training = {t.phase: t.dhf_kj_per_mol / EV_TO_KJ_PER_MOL for t in load_training_set()}
    results = [fixed_result(n, 0.0) for n in ["H2", "Mg", "Li", "Na", "K", "Ca", "B", "Ti", "Cr", "Si"]]
    for name in compounds:
        result = fixed_result(name, 0.0)
        result.energy_per_formula_unit_ev = training[name] - sum(
            TRUE_TERMS_EV.get(term, 0.0) * n for term, n in correction_features(result).items()
        )
        results.append(result)
    return PhaseSet.of(results)


def test_fit_recovers_known_terms_on_synthetic_data():
    scheme = fit_corrections(synthetic_phase_set(), load_training_set())
    fitted = dict(zip(scheme.terms, scheme.values_ev, strict=True))
    for term, value in TRUE_TERMS_EV.items():
        assert fitted[term] == pytest.approx(value, abs=0.01), term


def test_corrected_formation_enthalpy_matches_experiment_on_synthetic_data():
    phase_set = synthetic_phase_set()
    scheme = fit_corrections(phase_set, load_training_set())
    mgb2 = phase_set.get("MgB2")
    corrected = phase_set.formation_enthalpy_ev_per_formula_unit(mgb2) + scheme.correction_ev(mgb2)
    assert corrected * EV_TO_KJ_PER_MOL == pytest.approx(-91.96, abs=1.5)


def test_term_without_training_data_keeps_its_prior_width_as_sigma():
    phase_set = synthetic_phase_set()
    scheme = fit_corrections(phase_set, load_training_set(), terms=[*TRUE_TERMS_EV, "H:N-H"])
    assert scheme.sigmas_ev["H:N-H"] == pytest.approx(0.3, rel=1e-3)
    assert scheme.sigmas_ev["H:B-H"] < 0.05


def test_leaving_out_compounds_removes_them_from_the_fit():
    scheme = fit_corrections(synthetic_phase_set(), load_training_set(), exclude_formulas={"MgB2", "LiBH4"})
    assert "MgB2" not in scheme.training_phases and "LiBH4" not in scheme.training_phases
    assert "NaBH4" in scheme.training_phases


def test_training_set_states_a_source_for_every_compound():
    training = load_training_set()
    assert len(training) >= 20
    assert all(t.source for t in training)
