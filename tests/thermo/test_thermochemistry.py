"""Experimental-first thermochemistry: measured values where the library's polymorph was measured, the model
with corrections elsewhere; the correction form chosen by leave-one-compound-out; sigma calibrated on left-out
compounds."""

import json
from dataclasses import replace

import numpy as np
import pytest
from monty.json import MontyDecoder, MontyEncoder
from tests_support import fixed_result

from screening.reactions.enthalpy import reaction_enthalpy
from screening.reactions.release_path import Mixture, release_path
from screening.thermo.corrections import (
    CorrectionForm,
    TrainingData,
    correction_features,
    fit_corrections,
    leave_one_out,
    load_training_set,
)
from screening.thermo.phase_set import PhaseSet
from screening.thermo.thermochemistry import (
    EnergyOriginKind,
    Thermochemistry,
    ThermochemistryMode,
    build_thermochemistry,
    formation_enthalpy_ev,
)
from screening.units import EV_TO_KJ_PER_MOL
from structures.library import default_library

MEASURED = {t.phase: t for t in load_training_set()}
COMPOUNDS = ["MgH2", "LiH", "NaH", "KH", "CaH2", "LiBH4", "NaBH4", "KBH4", "MgB2", "TiB2", "CrB2", "Mg2Si", "Mg2Ni"]
ELEMENTS = ["H2", "Mg", "Li", "Na", "K", "Ca", "B", "Ti", "Cr", "Si", "Ni"]


def phase_set_with(terms_ev: dict[str, float], noise_ev: float = 0.0, extra: tuple = ()) -> PhaseSet:
    """Elements at zero; each compound at its measured formation enthalpy minus `terms_ev` (so a fit of those
    terms recovers them) plus Gaussian noise per atom (fixed seed)."""
    rng = np.random.default_rng(7)
    results = [fixed_result(n, 0.0) for n in ELEMENTS]
    for name in COMPOUNDS:
        result = fixed_result(name, 0.0)
        shift = sum(terms_ev.get(term, 0.0) * n for term, n in correction_features(result).items())
        noise = noise_ev * result.atoms_per_formula_unit * rng.standard_normal()
        result.energy_per_formula_unit_ev = MEASURED[name].dhf_kj_per_mol / EV_TO_KJ_PER_MOL - shift + noise
        results.append(result)
    return PhaseSet.of([*results, *extra])


def test_every_measured_value_names_a_library_phase_with_a_measured_structure():
    library = default_library()
    for name, measured in MEASURED.items():
        phase = library.get(name)
        assert phase.name == name and phase.formula, name
        assert not {"searched", "model", "generated"} & set(phase.tags), f"{name}: not a measured structure"
        assert measured.source and measured.uncertainty_kj_per_mol > 0


def test_experimental_first_takes_the_measured_value_and_says_so():
    phase_set = phase_set_with({"H:hydride": -0.05, "mu:Mg": 0.03})
    chemistry = build_thermochemistry(phase_set, ThermochemistryMode.EXPERIMENTAL_FIRST)
    mgh2 = phase_set.get("MgH2")
    assert formation_enthalpy_ev(mgh2, phase_set, chemistry) * EV_TO_KJ_PER_MOL == pytest.approx(-76.1, abs=1e-9)
    dh = reaction_enthalpy("MgH2 -> Mg + H2", phase_set, chemistry)
    assert dh.dh_kj_per_mol_h2 == pytest.approx(76.1, abs=1e-9)
    assert dh.sigma_kj_per_mol_h2 == pytest.approx(MEASURED["MgH2"].uncertainty_kj_per_mol, abs=1e-9)
    assert dh.experimental_phases == ("MgH2",)
    origin = chemistry.origin(mgh2)
    assert origin.kind is EnergyOriginKind.EXPERIMENT and "mp-23710" in origin.source
    assert any(o.startswith("Mg: element reference") for o in dh.energy_origins)


def test_model_only_and_predictive_leave_out_never_use_the_measured_value():
    phase_set = phase_set_with({"H:hydride": -0.05, "mu:Mg": 0.03})
    model_only = build_thermochemistry(phase_set, ThermochemistryMode.MODEL_ONLY)
    predictive = build_thermochemistry(phase_set, exclude_formulas={"MgH2", "Mg"})
    for chemistry in (model_only, predictive):
        dh = reaction_enthalpy("MgH2 -> Mg + H2", phase_set, chemistry)
        assert dh.experimental_phases == ()
        assert chemistry.origin(phase_set.get("MgH2")).kind is EnergyOriginKind.MODEL
    assert "MgH2" not in predictive.corrections.training_phases
    assert "MgH2" in model_only.corrections.training_phases


def test_another_polymorph_shares_the_measured_shift_and_adds_the_model_scatter():
    other = replace(fixed_result("MgH2", 0.0), name="MgH2-other")
    phase_set = phase_set_with({}, noise_ev=0.01, extra=(other,))
    other.energy_per_formula_unit_ev = phase_set.get("MgH2").energy_per_formula_unit_ev + 0.1  # 0.1 eV higher
    chemistry = build_thermochemistry(phase_set)
    measured, polymorph = phase_set.get("MgH2"), phase_set.get("MgH2-other")
    difference = formation_enthalpy_ev(polymorph, phase_set, chemistry) - formation_enthalpy_ev(
        measured, phase_set, chemistry
    )
    assert difference == pytest.approx(0.1)
    assert chemistry.sigma_ev([(1.0, polymorph)]) > chemistry.sigma_ev([(1.0, measured)])
    assert "measured on MgH2" in chemistry.origin(polymorph).source


def test_a_phase_without_a_measured_value_takes_the_corrected_model_with_its_sigma():
    phase_set = phase_set_with({"H:hydride": -0.05}, noise_ev=0.005, extra=(fixed_result("Mg2FeH6", -1.0),))
    chemistry = build_thermochemistry(phase_set)
    mg2feh6 = phase_set.get("Mg2FeH6")
    origin = chemistry.origin(mg2feh6)
    assert origin.kind is EnergyOriginKind.MODEL and chemistry.corrections.form in origin.source
    assert chemistry.correction_ev(mg2feh6) == pytest.approx(chemistry.corrections.correction_ev(mg2feh6))
    assert origin.sigma_kj_per_mol > 0


def test_when_the_model_matches_experiment_no_correction_term_is_fitted():
    scheme = fit_corrections(phase_set_with({}), load_training_set(), form=CorrectionForm.AUTO)
    assert scheme.form == "none" and scheme.terms == []
    assert set(scheme.leave_one_out_mae_kj_per_mol) == {"none", "species", "elements", "full"}


def test_auto_picks_the_form_that_predicts_left_out_compounds_best():
    scheme = fit_corrections(
        phase_set_with({"H:hydride": -0.08, "H:B-H": 0.05}, 0.002), load_training_set(), form="auto"
    )
    assert scheme.form in ("species", "full")
    assert scheme.leave_one_out_mae_kj_per_mol[scheme.form] == min(scheme.leave_one_out_mae_kj_per_mol.values())
    assert scheme.leave_one_out_mae_kj_per_mol["none"] > 2 * scheme.leave_one_out_mae_kj_per_mol[scheme.form]


def test_the_model_scatter_makes_left_out_compounds_chi_square_one():
    phase_set = phase_set_with({"H:hydride": -0.05}, noise_ev=0.02)
    scheme = fit_corrections(phase_set, load_training_set(), form="species")
    data = TrainingData.of(phase_set, load_training_set())
    residuals, variance = leave_one_out(data, scheme.terms, scheme.model_sigma_ev_per_atom)
    assert np.mean(residuals**2 / variance) == pytest.approx(1.0, abs=1e-3)


def test_release_steps_name_their_measured_phases_and_the_thermochemistry_round_trips():
    phase_set = phase_set_with({"H:hydride": -0.05})
    chemistry = build_thermochemistry(phase_set)
    (step,) = release_path(Mixture("MgH2"), phase_set, chemistry).steps
    assert step.experimental_phases == ["MgH2"] and len(step.energy_origins) == 2
    back = json.loads(json.dumps(chemistry, cls=MontyEncoder), cls=MontyDecoder)
    assert isinstance(back, Thermochemistry) and back.experimental_formulas == chemistry.experimental_formulas
    assert back.correction_ev(phase_set.get("MgH2")) == pytest.approx(chemistry.correction_ev(phase_set.get("MgH2")))
