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
from dataclasses import dataclass
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


@dataclass
class CorrectionScheme(MSONable):
    """Fitted correction terms (eV per occurrence) with their covariance, and the model scatter."""

    terms: list[str]
    values_ev: list[float]
    covariance_ev2: list[list[float]]
    model_sigma_ev_per_atom: float
    energy_source_id: str
    with_vibrations: bool
    training_phases: list[str]

    @property
    def sigmas_ev(self) -> dict[str, float]:
        """One-sigma uncertainty of each term."""
        return {t: float(np.sqrt(self.covariance_ev2[i][i])) for i, t in enumerate(self.terms)}

    def _vector(self, features: dict[str, float]) -> np.ndarray:
        return np.array([features.get(t, 0.0) for t in self.terms])

    def correction_ev(self, result: PhaseResult) -> float:
        """Energy added to one formula unit of the phase."""
        return float(self._vector(correction_features(result)) @ np.array(self.values_ev))

    def uncalibrated_terms(self, results_with_coefficients: Sequence[tuple[float, PhaseResult]]) -> dict[str, float]:
        """The terms that apply to sum(coefficient * phase) but that no training compound carries, with their net
        count: their value stays at the prior's zero, and their prior width is all that is known of them."""
        net: dict[str, float] = {}
        for c, r in results_with_coefficients:
            for term, count in correction_features(r).items():
                if term not in self.terms:
                    net[term] = net.get(term, 0.0) + c * count
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
        """The fitted terms in kJ/mol with sigmas, one per line."""
        sigmas = self.sigmas_ev
        lines = [f"{t:<12} {v * EV_TO_KJ_PER_MOL:+8.2f} +/- {sigmas[t] * EV_TO_KJ_PER_MOL:6.2f} kJ/mol"
                 for t, v in zip(self.terms, self.values_ev, strict=True)]  # fmt: skip
        lines.append(f"model scatter {self.model_sigma_ev_per_atom * EV_TO_KJ_PER_MOL:.2f} kJ/mol per atom")
        return "\n".join(lines)


def prior_sigma_ev(term: str) -> float:
    """The width of a term's zero-mean prior (eV per occurrence): what is known of a term before any data."""
    return PRIOR_SIGMA_ELEMENT_EV if term.startswith("mu:") else PRIOR_SIGMA_SPECIES_EV


def fit_corrections(
    phase_set: PhaseSet,
    training: Iterable[TrainingCompound],
    exclude_formulas: Iterable[str] = (),
    terms: Sequence[str] | None = None,
) -> CorrectionScheme:
    """Fit the correction terms on the training compounds present in the phase set, leaving out any
    compound whose formula is in `exclude_formulas` (for leave-out validation)."""
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
    features = [correction_features(r) for _, r in rows]
    terms = list(terms) if terms is not None else sorted({t for f in features for t in f})
    design = np.array([[f.get(t, 0.0) for t in terms] for f in features])
    targets = np.array(
        [c.dhf_kj_per_mol / EV_TO_KJ_PER_MOL - phase_set.formation_enthalpy_ev_per_formula_unit(r) for c, r in rows]
    )
    experimental_variance = np.array([(c.uncertainty_kj_per_mol / EV_TO_KJ_PER_MOL) ** 2 for c, _ in rows])
    atoms = np.array([r.atoms_per_formula_unit for _, r in rows])
    prior_precision = np.diag([1.0 / prior_sigma_ev(t) ** 2 for t in terms])
    model_sigma = 0.01
    for _ in range(50):  # fixed point: the scatter per atom that makes the reduced chi-square one
        weights = 1.0 / (experimental_variance + (atoms * model_sigma) ** 2)
        covariance = np.linalg.inv(design.T @ (design * weights[:, None]) + prior_precision)
        values = covariance @ design.T @ (weights * targets)
        residuals = targets - design @ values
        dof = max(len(rows) - np.trace(design @ covariance @ design.T * weights[None, :]), 1.0)
        excess = max(float(np.sum(residuals**2 / atoms**2) / dof - np.mean(experimental_variance / atoms**2)), 0.0)
        new_sigma = max(np.sqrt(excess), 1e-4)
        if abs(new_sigma - model_sigma) < 1e-6:
            break
        model_sigma = new_sigma
    return CorrectionScheme(
        terms=terms,
        values_ev=[float(v) for v in values],
        covariance_ev2=covariance.tolist(),
        model_sigma_ev_per_atom=float(model_sigma),
        energy_source_id=phase_set.energy_source_id,
        with_vibrations=phase_set.with_vibrations,
        training_phases=[r.name for _, r in rows],
    )


def corrected_formation_enthalpy_ev(
    result: PhaseResult, phase_set: PhaseSet, corrections: CorrectionScheme | None
) -> float:
    """Formation enthalpy per formula unit (eV) plus the correction, when a scheme is given."""
    energy = phase_set.formation_enthalpy_ev_per_formula_unit(result)
    return energy + (corrections.correction_ev(result) if corrections is not None else 0.0)
