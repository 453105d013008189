"""Where each formation enthalpy of a run comes from: a measured value where one is known for the polymorph
the library builds, else the energy model with its fitted corrections (OQMD's "fit-partial" idea, made
explicit per phase). Every phase and every reaction step can say which, with its sigma.

A measured value is a 298.15 K standard formation enthalpy. It replaces the model's formation enthalpy of
that polymorph by a constant shift, which every computed polymorph of the formula shares, so polymorph
differences and the temperature dependence of every solid (its phonons) still come from the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from monty.json import MSONable

from screening.energy.phase_results import PhaseResult
from screening.thermo.corrections import (
    CorrectionForm,
    CorrectionScheme,
    TrainingCompound,
    fit_corrections,
    load_training_set,
)
from screening.thermo.phase_set import PhaseSet
from screening.units import EV_TO_KJ_PER_MOL


class ThermochemistryMode(StrEnum):
    """Whether measured formation enthalpies replace the model's where they are known."""

    EXPERIMENTAL_FIRST = "experimental-first"
    MODEL_ONLY = "model-only"


class EnergyOriginKind(StrEnum):
    """What a phase's formation enthalpy is."""

    EXPERIMENT = "experiment"
    MODEL = "model"
    ELEMENT = "element"  # an element or H2: zero by definition, the reference of every other phase


@dataclass(frozen=True)
class ExperimentalAnchor(MSONable):
    """A measured formation enthalpy tied to the library phase (polymorph) it was measured on, with the energy
    model's own formation enthalpy of that phase, so the shift between the two is known."""

    phase: str
    formula: str
    dhf_kj_per_mol: float
    uncertainty_kj_per_mol: float
    source: str
    model_dhf_ev: float

    @property
    def shift_ev(self) -> float:
        """What is added to the model's formation enthalpy of every polymorph of this formula (eV per f.u.)."""
        return self.dhf_kj_per_mol / EV_TO_KJ_PER_MOL - self.model_dhf_ev


@dataclass(frozen=True)
class EnergyOrigin(MSONable):
    """Where one phase's formation enthalpy came from, and its own one-sigma uncertainty (kJ/mol per f.u.)."""

    phase: str
    kind: EnergyOriginKind
    source: str
    sigma_kj_per_mol: float

    def describe(self) -> str:
        """One line for people, e.g. 'MgH2: experiment +- 2.5 kJ/mol (pymatgen ..., mp-23710)'."""
        if self.kind is EnergyOriginKind.ELEMENT:
            return f"{self.phase}: element reference"
        return f"{self.phase}: {self.kind.value} +- {self.sigma_kj_per_mol:.1f} kJ/mol ({self.source})"


@dataclass
class Thermochemistry(MSONable):
    """The formation enthalpies of a run beyond the raw model: measured anchors (experimental-first) and the
    fitted corrections for every other phase (None: the raw model). It adjusts a phase's model formation
    enthalpy (`correction_ev`) and gives the sigma of any combination of phases (`sigma_ev`)."""

    mode: ThermochemistryMode
    corrections: CorrectionScheme | None
    anchors: list[ExperimentalAnchor] = field(default_factory=list)
    energy_source_id: str = ""

    def __post_init__(self) -> None:
        self.mode = ThermochemistryMode(self.mode)
        self._by_formula = {a.formula: a for a in self.anchors}

    def anchor_of(self, result: PhaseResult) -> ExperimentalAnchor | None:
        """The measured value that sets this phase's formation enthalpy, or None."""
        return self._by_formula.get(result.formula)

    @property
    def experimental_formulas(self) -> list[str]:
        """The formulas whose formation enthalpy is measured."""
        return sorted(self._by_formula)

    def correction_ev(self, result: PhaseResult) -> float:
        """Energy added to one formula unit of the phase's model formation enthalpy."""
        if (anchor := self.anchor_of(result)) is not None:
            return anchor.shift_ev
        return self.corrections.correction_ev(result) if self.corrections is not None else 0.0

    def _split(
        self, results_with_coefficients: Sequence[tuple[float, PhaseResult]]
    ) -> tuple[list[tuple[float, PhaseResult]], list[tuple[float, PhaseResult]]]:
        measured = [(c, r) for c, r in results_with_coefficients if self.anchor_of(r) is not None]
        modelled = [(c, r) for c, r in results_with_coefficients if self.anchor_of(r) is None]
        return measured, modelled

    def uncalibrated_terms(self, results_with_coefficients: Sequence[tuple[float, PhaseResult]]) -> dict[str, float]:
        """Correction terms of the modelled phases that no training compound carries (see CorrectionScheme)."""
        if self.corrections is None:
            return {}
        return self.corrections.uncalibrated_terms(self._split(results_with_coefficients)[1])

    def sigma_ev(self, results_with_coefficients: Sequence[tuple[float, PhaseResult]]) -> float:
        """One sigma of sum(coefficient * formation enthalpy). Measured phases carry their experiment's uncertainty
        (one per formula: two polymorphs share it) and, when they are not the measured polymorph, the model's
        scatter for the difference; the modelled phases carry the corrections' sigma (0 for the raw model)."""
        measured, modelled = self._split(results_with_coefficients)
        scatter_ev = self.corrections.model_sigma_ev_per_atom if self.corrections is not None else 0.0
        net_by_formula: dict[str, float] = {}
        variance = 0.0
        for c, r in measured:
            anchor = self.anchor_of(r)
            net_by_formula[anchor.formula] = net_by_formula.get(anchor.formula, 0.0) + c
            if r.name != anchor.phase:
                variance += (c * r.atoms_per_formula_unit * scatter_ev) ** 2
        variance += sum(
            (net * self._by_formula[f].uncertainty_kj_per_mol / EV_TO_KJ_PER_MOL) ** 2
            for f, net in net_by_formula.items()
        )
        if self.corrections is not None and modelled:
            variance += self.corrections.sigma_ev(modelled) ** 2
        return float(variance**0.5)

    def origin(self, result: PhaseResult) -> EnergyOrigin:
        """Where the phase's formation enthalpy comes from, with its own sigma."""
        if len(result.composition) == 1:
            return EnergyOrigin(result.name, EnergyOriginKind.ELEMENT, "", 0.0)
        sigma = self.sigma_ev([(1.0, result)]) * EV_TO_KJ_PER_MOL
        if (anchor := self.anchor_of(result)) is not None:
            measured_on = "" if result.name == anchor.phase else f"; measured on {anchor.phase}, shift shared"
            return EnergyOrigin(result.name, EnergyOriginKind.EXPERIMENT, anchor.source + measured_on, sigma)
        corrections = "raw" if self.corrections is None else f"{self.corrections.form} corrections"
        return EnergyOrigin(result.name, EnergyOriginKind.MODEL, f"{self.energy_source_id}, {corrections}", sigma)


def origins_of(
    thermochemistry: Thermochemistry | None, results: Iterable[PhaseResult]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The measured phases among `results` and one origin line per phase (both empty for the raw model): what a
    reaction step records of where its energies came from."""
    if thermochemistry is None:
        return (), ()
    origins = [thermochemistry.origin(r) for r in results]
    measured = tuple(o.phase for o in origins if o.kind is EnergyOriginKind.EXPERIMENT)
    return measured, tuple(o.describe() for o in origins)


def measured_anchors(
    phase_set: PhaseSet, measured: Iterable[TrainingCompound], exclude_formulas: Iterable[str] = ()
) -> list[ExperimentalAnchor]:
    """Anchors for the measured compounds whose own polymorph (the named library phase) was computed from a
    measured structure: a searched, model or generated structure is not what was measured."""
    excluded = set(exclude_formulas)
    by_name = {r.name: r for r in phase_set.results}
    anchors = []
    for compound in measured:
        result = by_name.get(compound.phase)
        if result is None or result.formula in excluded or result.generated or result.computed_structure:
            continue
        anchors.append(
            ExperimentalAnchor(
                phase=result.name,
                formula=result.formula,
                dhf_kj_per_mol=compound.dhf_kj_per_mol,
                uncertainty_kj_per_mol=compound.uncertainty_kj_per_mol,
                source=compound.source,
                model_dhf_ev=phase_set.formation_enthalpy_ev_per_formula_unit(result),
            )
        )
    return anchors


def build_thermochemistry(
    phase_set: PhaseSet,
    mode: ThermochemistryMode | str = ThermochemistryMode.EXPERIMENTAL_FIRST,
    correction_form: CorrectionForm | str | None = CorrectionForm.AUTO,
    exclude_formulas: Iterable[str] = (),
    measured: Sequence[TrainingCompound] | None = None,
) -> Thermochemistry:
    """Anchors (experimental-first) and corrections (None form: the raw model) for a phase set, leaving the
    compounds of `exclude_formulas` out of both (for leave-out validation). Measured values default to
    screening/data/formation_enthalpies.csv, which is also the corrections' training set."""
    measured = load_training_set() if measured is None else measured
    excluded = list(exclude_formulas)
    mode = ThermochemistryMode(mode)
    corrections = None
    if correction_form is not None:
        corrections = fit_corrections(phase_set, measured, exclude_formulas=excluded, form=correction_form)
    anchors = measured_anchors(phase_set, measured, excluded) if mode is ThermochemistryMode.EXPERIMENTAL_FIRST else []
    return Thermochemistry(mode, corrections, anchors, phase_set.energy_source_id)


def formation_enthalpy_ev(result: PhaseResult, phase_set: PhaseSet, thermochemistry: Thermochemistry | None) -> float:
    """Formation enthalpy per formula unit (eV) as the run uses it: the model's, adjusted when a thermochemistry
    is given (a measured value, or the corrections)."""
    energy = phase_set.formation_enthalpy_ev_per_formula_unit(result)
    return energy + (thermochemistry.correction_ev(result) if thermochemistry is not None else 0.0)
