"""Energy corrections fitted per energy model on experimental formation enthalpies, with uncertainty.

The form is small and physical, in the spirit of MP2020 but for one model and this chemistry:
- one term per hydrogen environment: hydride H- (bonded to metals only), H in BH4-, H in NH2-/NH2-,
  H in AlH4-/AlH6 3- (and AlH3), H in transition-metal complexes (NiH4 4-, FeH6 4-, CoH5 4-);
- one term per boride B and per nitride N (not bonded to H);
- a shift of each other element's chemical potential in compounds.
The fit is Bayesian least squares: a zero-mean Gaussian prior on each term (so a term without data
stays at zero with its prior width as uncertainty), experimental uncertainties plus a model scatter
per atom fitted so that the reduced chi-square is one. The posterior covariance gives each term's
sigma and propagates to every formation and reaction enthalpy.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import numpy as np
from monty.json import MSONable
from pymatgen.core import Structure

from screening.energy.phase_results import PhaseResult
from screening.errors import ConfigError
from screening.thermo.phase_set import PhaseSet
from screening.units import EV_TO_KJ_PER_MOL

logger = logging.getLogger(__name__)

TRAINING_SET = Path(__file__).parents[1] / "data" / "formation_enthalpies.csv"

# Prior widths (eV per atom the term counts): species terms may be large (the H2 molecule's own
# error enters every H term), element shifts should be small.
PRIOR_SIGMA_SPECIES_EV = 0.3
PRIOR_SIGMA_ELEMENT_EV = 0.1
# Bounds of the model scatter per atom (eV) that the leave-one-out calibration searches.
MIN_SCATTER_EV_PER_ATOM, MAX_SCATTER_EV_PER_ATOM = 1e-4, 0.5
# A bond shorter than this between H and its nearest non-H neighbour makes H part of a complex anion.
COMPLEX_BOND_A = {"B": 1.45, "N": 1.25, "Al": 1.85, "Ni": 1.75, "Fe": 1.75, "Co": 1.75, "Mn": 1.75, "Ru": 1.85}
TRANSITION_METAL_COMPLEX = frozenset({"Ni", "Fe", "Co", "Mn", "Ru"})


def hydrogen_environment(structure: Structure, index: int) -> str:
    """The correction term of one H site, from its nearest non-hydrogen neighbour."""
    neighbours = [n for n in structure.get_neighbors(structure[index], 3.5) if n.specie.symbol != "H"]
    if not neighbours:
        return "H:molecular"
    nearest = min(neighbours, key=lambda n: n.nn_distance)
    symbol = nearest.specie.symbol
    if nearest.nn_distance <= COMPLEX_BOND_A.get(symbol, 0.0):
        return "H:TM-H" if symbol in TRANSITION_METAL_COMPLEX else f"H:{symbol}-H"
    return "H:hydride"


def correction_features(result: PhaseResult) -> dict[str, float]:
    """How often each correction term occurs in one formula unit of a computed phase. Elements and the
    H2 molecule have none: they are the references."""
    composition = result.composition
    if len(composition) == 1:
        return {}
    structure = result.structure
    units = structure.composition.get_reduced_composition_and_factor()[1]
    counts: dict[str, float] = {}
    bonded_to_h: set[int] = set()
    for i, site in enumerate(structure):
        if site.specie.symbol != "H":
            continue
        term = hydrogen_environment(structure, i)
        counts[term] = counts.get(term, 0.0) + 1.0 / units
        for neighbour in structure.get_neighbors(site, 1.9):
            bonded_to_h.add(neighbour.index)
    for i, site in enumerate(structure):
        symbol = site.specie.symbol
        if symbol in ("B", "N") and i not in bonded_to_h:
            term = "B:boride" if symbol == "B" else "N:nitride"
            counts[term] = counts.get(term, 0.0) + 1.0 / units
    for element, amount in composition.items():
        if element.symbol not in ("H", "B", "N"):
            counts[f"mu:{element.symbol}"] = float(amount)
    return counts


@dataclass(frozen=True)
class TrainingCompound(MSONable):
    """One experimental formation enthalpy of the training set."""

    phase: str
    dhf_kj_per_mol: float
    uncertainty_kj_per_mol: float
    source: str


def load_training_set(path: Path = TRAINING_SET, default_uncertainty_kj_per_mol: float = 4.0) -> list[TrainingCompound]:
    """The training compounds; a blank uncertainty gets a stated default (4 kJ/mol)."""
    with path.open() as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return [
            TrainingCompound(
                row["phase"],
                float(row["dhf_kj_per_mol"]),
                float(row["uncertainty_kj_per_mol"] or default_uncertainty_kj_per_mol),
                row["source"],
            )
            for row in rows
        ]


class CorrectionForm(StrEnum):
    """Which terms are fitted. `auto` picks, among the others, the form whose leave-one-compound-out error on
    the training set is lowest: the data decide whether a term earns its place, never the reaction rows."""

    AUTO = "auto"
    NONE = "none"  # no terms: the model's scatter alone, fitted, for sigma
    SPECIES = "species"  # hydrogen environments, boride B and nitride N
    ELEMENTS = "elements"  # one chemical-potential shift per element
    FULL = "full"  # both


def form_terms(form: CorrectionForm, terms: Iterable[str]) -> list[str]:
    """The terms of `terms` that a (concrete) form fits."""
    keep = {
        CorrectionForm.NONE: lambda t: False,
        CorrectionForm.SPECIES: lambda t: not t.startswith("mu:"),
        CorrectionForm.ELEMENTS: lambda t: t.startswith("mu:"),
        CorrectionForm.FULL: lambda t: True,
    }[CorrectionForm(form)]
    return sorted(t for t in terms if keep(t))


@dataclass
class CorrectionScheme(MSONable):
    """Fitted correction terms (eV per occurrence) with their covariance, and the model scatter per atom,
    calibrated so that the training compounds left out one at a time have a chi-square of one. `form` is
    the form fitted; `leave_one_out_mae_kj_per_mol` the leave-one-compound-out error of each form tried."""

    terms: list[str]
    values_ev: list[float]
    covariance_ev2: list[list[float]]
    model_sigma_ev_per_atom: float
    energy_source_id: str
    with_vibrations: bool
    training_phases: list[str]
    form: str = CorrectionForm.FULL.value
    leave_one_out_mae_kj_per_mol: dict[str, float] = field(default_factory=dict)

    @property
    def sigmas_ev(self) -> dict[str, float]:
        """One-sigma uncertainty of each term."""
        return {t: float(np.sqrt(self.covariance_ev2[i][i])) for i, t in enumerate(self.terms)}

    def _vector(self, features: dict[str, float]) -> np.ndarray:
        return np.array([features.get(t, 0.0) for t in self.terms])

    def correction_ev(self, result: PhaseResult) -> float:
        """Energy added to one formula unit of the phase."""
        if not self.terms:
            return 0.0
        return float(self._vector(correction_features(result)) @ np.array(self.values_ev))

    def uncalibrated_terms(self, results_with_coefficients: Sequence[tuple[float, PhaseResult]]) -> dict[str, float]:
        """The terms of the form that apply to sum(coefficient * phase) but that no training compound carries, with
        their net count: their value stays at the prior's zero, and their prior width is all that is known of them.
        A form without a kind of term (no element shifts, say) does not count that kind as uncalibrated."""
        net: dict[str, float] = {}
        for c, r in results_with_coefficients:
            features = correction_features(r)  # a neighbour search: once per phase
            for term in form_terms(CorrectionForm(self.form), features):
                if term not in self.terms:
                    net[term] = net.get(term, 0.0) + c * features[term]
        return {term: count for term, count in sorted(net.items()) if abs(count) > 1e-9}

    def sigma_ev(self, results_with_coefficients: Sequence[tuple[float, PhaseResult]]) -> float:
        """One sigma of sum(coefficient * corrected enthalpy): the fitted terms' covariance, the prior width of
        every term no training compound constrains (times its net count), and an independent model scatter per
        atom of every compound (elements and H2 are exact references)."""
        vector = sum(
            (c * self._vector(correction_features(r)) for c, r in results_with_coefficients),
            start=np.zeros(len(self.terms)),
        )
        covariance = np.array(self.covariance_ev2, dtype=float).reshape(len(self.terms), len(self.terms))
        parameter_variance = float(vector @ covariance @ vector)
        prior_variance = sum(
            (count * prior_sigma_ev(term)) ** 2
            for term, count in self.uncalibrated_terms(results_with_coefficients).items()
        )
        scatter_variance = sum(
            (c * r.atoms_per_formula_unit * self.model_sigma_ev_per_atom) ** 2
            for c, r in results_with_coefficients
            if len(r.composition) > 1
        )
        return float(np.sqrt(parameter_variance + prior_variance + scatter_variance))

    def summary(self) -> str:
        """The form, the fitted terms in kJ/mol with sigmas, one per line, and the model scatter."""
        sigmas = self.sigmas_ev
        tried = ", ".join(f"{f} {mae:.1f}" for f, mae in self.leave_one_out_mae_kj_per_mol.items())
        lines = [f"form {self.form}" + (f" (leave-one-compound-out MAE, kJ/mol: {tried})" if tried else "")]
        lines += [f"{t:<12} {v * EV_TO_KJ_PER_MOL:+8.2f} +/- {sigmas[t] * EV_TO_KJ_PER_MOL:6.2f} kJ/mol"
                  for t, v in zip(self.terms, self.values_ev, strict=True)]  # fmt: skip
        lines.append(f"model scatter {self.model_sigma_ev_per_atom * EV_TO_KJ_PER_MOL:.2f} kJ/mol per atom")
        return "\n".join(lines)


def prior_sigma_ev(term: str) -> float:
    """The width of a term's zero-mean prior (eV per occurrence): what is known of a term before any data."""
    return PRIOR_SIGMA_ELEMENT_EV if term.startswith("mu:") else PRIOR_SIGMA_SPECIES_EV


@dataclass
class TrainingData:
    """The training compounds present in a phase set, as the arrays a fit needs (eV per formula unit)."""

    phases: list[str]
    features: list[dict[str, float]]
    targets_ev: np.ndarray  # experimental minus model formation enthalpy
    variance_ev2: np.ndarray  # experimental variance
    atoms: np.ndarray

    @classmethod
    def of(
        cls, phase_set: PhaseSet, training: Iterable[TrainingCompound], exclude_formulas: Iterable[str] = ()
    ) -> TrainingData:
        """The compounds of `training` that the phase set computed, less those of `exclude_formulas`."""
        excluded = set(exclude_formulas)
        rows: list[tuple[TrainingCompound, PhaseResult]] = []
        for compound in training:
            try:
                result = phase_set.get(compound.phase)
            except KeyError:
                logger.info("training compound %s not computed; skipped", compound.phase)
                continue
            if result.formula not in excluded:
                rows.append((compound, result))
        if not rows:
            raise ConfigError("no training compound is in the phase set: cannot fit corrections")
        return cls(
            phases=[r.name for _, r in rows],
            features=[correction_features(r) for _, r in rows],
            targets_ev=np.array(
                [
                    c.dhf_kj_per_mol / EV_TO_KJ_PER_MOL - phase_set.formation_enthalpy_ev_per_formula_unit(r)
                    for c, r in rows
                ]
            ),
            variance_ev2=np.array([(c.uncertainty_kj_per_mol / EV_TO_KJ_PER_MOL) ** 2 for c, _ in rows]),
            atoms=np.array([r.atoms_per_formula_unit for _, r in rows]),
        )

    def design(self, terms: Sequence[str]) -> np.ndarray:
        """Counts of each term in each compound (compounds x terms)."""
        return np.array([[f.get(t, 0.0) for t in terms] for f in self.features]).reshape(len(self.phases), len(terms))


def _solve(
    design: np.ndarray, targets: np.ndarray, variance: np.ndarray, terms: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and covariance of the terms: weighted least squares with the zero-mean prior."""
    prior_precision = np.diag([1.0 / prior_sigma_ev(t) ** 2 for t in terms]).reshape(len(terms), len(terms))
    covariance = np.linalg.inv(design.T @ (design / variance[:, None]) + prior_precision)
    return covariance @ design.T @ (targets / variance), covariance


def leave_one_out(data: TrainingData, terms: Sequence[str], model_sigma_ev: float) -> tuple[np.ndarray, np.ndarray]:
    """Residual (experiment minus prediction, eV) of each compound predicted by a fit without it, and the
    variance the scheme would give that prediction (its terms' covariance, the model scatter and the
    experiment's own uncertainty)."""
    design = data.design(terms)
    variance = data.variance_ev2 + (data.atoms * model_sigma_ev) ** 2
    residuals, predicted_variance = np.empty(len(data.phases)), np.empty(len(data.phases))
    for i in range(len(data.phases)):
        keep = np.arange(len(data.phases)) != i
        values, covariance = _solve(design[keep], data.targets_ev[keep], variance[keep], terms)
        residuals[i] = data.targets_ev[i] - design[i] @ values
        predicted_variance[i] = variance[i] + design[i] @ covariance @ design[i]
    return residuals, predicted_variance


def calibrated_scatter_ev(data: TrainingData, terms: Sequence[str]) -> float:
    """The model scatter per atom (eV) at which the left-out compounds' chi-square is one: sigma then says how
    far off a compound the fit has not seen is, not how well the fit reproduces its own data."""

    def chi_square(sigma_ev: float) -> float:
        residuals, variance = leave_one_out(data, terms, sigma_ev)
        return float(np.mean(residuals**2 / variance))

    low, high = np.log(MIN_SCATTER_EV_PER_ATOM), np.log(MAX_SCATTER_EV_PER_ATOM)
    if chi_square(MIN_SCATTER_EV_PER_ATOM) <= 1.0:
        return MIN_SCATTER_EV_PER_ATOM
    if chi_square(MAX_SCATTER_EV_PER_ATOM) >= 1.0:
        return MAX_SCATTER_EV_PER_ATOM
    for _ in range(40):  # bisection in log sigma: chi-square falls as the scatter grows
        middle = (low + high) / 2
        low, high = (middle, high) if chi_square(float(np.exp(middle))) > 1.0 else (low, middle)
    return float(np.exp((low + high) / 2))


def fit_corrections(
    phase_set: PhaseSet,
    training: Iterable[TrainingCompound],
    exclude_formulas: Iterable[str] = (),
    terms: Sequence[str] | None = None,
    form: CorrectionForm | str = CorrectionForm.FULL,
) -> CorrectionScheme:
    """Fit the correction terms of `form` (or exactly `terms`) on the training compounds present in the phase
    set, leaving out any compound whose formula is in `exclude_formulas` (for leave-out validation). With
    `auto`, every concrete form is scored by leave-one-compound-out and the best one is fitted."""
    data = TrainingData.of(phase_set, training, exclude_formulas)
    present = {t for f in data.features for t in f}
    form = CorrectionForm(form)
    if terms is not None:
        candidates = {form: list(terms)}
    elif form is CorrectionForm.AUTO:
        candidates = {f: form_terms(f, present) for f in CorrectionForm if f is not CorrectionForm.AUTO}
    else:
        candidates = {form: form_terms(form, present)}
    scatter = {f: calibrated_scatter_ev(data, t) for f, t in candidates.items()}
    mae_kj = {
        f.value: float(np.mean(np.abs(leave_one_out(data, t, scatter[f])[0]))) * EV_TO_KJ_PER_MOL
        for f, t in candidates.items()
    }
    chosen = min(candidates, key=lambda f: mae_kj[f.value])
    chosen_terms = candidates[chosen]
    values, covariance = _solve(
        data.design(chosen_terms),
        data.targets_ev,
        data.variance_ev2 + (data.atoms * scatter[chosen]) ** 2,
        chosen_terms,
    )
    return CorrectionScheme(
        terms=list(chosen_terms),
        values_ev=[float(v) for v in values],
        covariance_ev2=covariance.tolist(),
        model_sigma_ev_per_atom=scatter[chosen],
        energy_source_id=phase_set.energy_source_id,
        with_vibrations=phase_set.with_vibrations,
        training_phases=data.phases,
        form=chosen.value,
        leave_one_out_mae_kj_per_mol=mae_kj,
    )
