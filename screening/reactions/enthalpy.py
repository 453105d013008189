"""Enthalpy of a balanced hydrogen-release reaction per mol H2 released, raw and corrected, with sigma."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from monty.json import MSONable
from pymatgen.core import Composition

from screening.energy.phase_results import PhaseResult
from screening.errors import UnbalancedReactionError
from screening.thermo.phase_set import PhaseSet
from screening.thermo.thermochemistry import Thermochemistry, origins_of
from screening.units import EV_TO_KJ_PER_MOL

if TYPE_CHECKING:  # pymatgen's reaction module pulls structure matching and scipy.optimize: only when parsing
    from pymatgen.analysis.reaction_calculator import BalancedReaction

H2 = Composition("H2")


def parse_reaction(text: str) -> BalancedReaction:
    """A balanced reaction from text such as '2 LiBH4 + MgH2 -> 2 LiH + MgB2 + 4 H2'."""
    from pymatgen.analysis.reaction_calculator import BalancedReaction, ReactionError

    try:
        return BalancedReaction.from_str(text.replace("→", "->"))
    except (ReactionError, ValueError, IndexError) as exc:
        raise UnbalancedReactionError(f"cannot read {text!r} as a balanced reaction ({exc})") from exc


def h2_released(reaction: BalancedReaction) -> float:
    """Moles of H2 on the product side minus the reactant side."""
    return float(sum(reaction.get_coeff(c) for c in reaction.all_comp if c.reduced_composition == H2 and len(c) == 1))


@dataclass(frozen=True)
class ReactionEnthalpy(MSONable):
    """dH of a desorption reaction per mol H2 (positive: releasing H2 costs energy). `with_vibrations`
    says whether zero-point and 298 K thermal enthalpies are in it (else static energies only)."""

    reaction: str
    h2_released_mol: float
    dh_raw_kj_per_mol_h2: float
    dh_kj_per_mol_h2: float
    sigma_kj_per_mol_h2: float
    with_vibrations: bool
    energy_source_id: str
    phases: tuple[str, ...]
    uncalibrated_terms: tuple[str, ...] = ()  # correction terms of the reaction that no training compound carries
    experimental_phases: tuple[str, ...] = ()  # phases whose formation enthalpy is a measured value
    energy_origins: tuple[str, ...] = ()  # where each phase's formation enthalpy came from, with its sigma


def reaction_enthalpy(
    text: str, phase_set: PhaseSet, thermochemistry: Thermochemistry | None = None
) -> ReactionEnthalpy:
    """dH per mol H2 of a balanced reaction given as text, from the phase set's ground states."""
    reaction = parse_reaction(text)
    n_h2 = h2_released(reaction)
    if n_h2 <= 0:
        raise UnbalancedReactionError(f"{text!r} releases no H2; write it in the desorption direction")
    terms = []
    for composition in reaction.all_comp:
        if composition.reduced_composition == H2 and len(composition) == 1:
            continue  # formation enthalpy of H2 is zero by definition
        units = composition.get_reduced_composition_and_factor()[1]
        terms.append((reaction.get_coeff(composition) * units, phase_set.get(composition.reduced_formula)))
    return enthalpy_of_terms(str(reaction), terms, n_h2, phase_set, thermochemistry)


def enthalpy_of_terms(
    label: str,
    terms: list[tuple[float, PhaseResult]],
    n_h2: float,
    phase_set: PhaseSet,
    thermochemistry: Thermochemistry | None = None,
) -> ReactionEnthalpy:
    """dH per mol H2 of sum(coefficient * phase), coefficients in formula units, products positive."""
    per_h2 = [(c / n_h2, r) for c, r in terms]
    raw_ev = sum(c * phase_set.formation_enthalpy_ev_per_formula_unit(r) for c, r in per_h2)
    thermo = thermochemistry
    correction_ev = sum(c * thermo.correction_ev(r) for c, r in per_h2) if thermo else 0.0
    sigma_ev = thermo.sigma_ev(per_h2) if thermo else 0.0
    experimental_phases, energy_origins = origins_of(thermo, (r for _, r in terms))
    return ReactionEnthalpy(
        reaction=label,
        h2_released_mol=n_h2,
        dh_raw_kj_per_mol_h2=raw_ev * EV_TO_KJ_PER_MOL,
        dh_kj_per_mol_h2=(raw_ev + correction_ev) * EV_TO_KJ_PER_MOL,
        sigma_kj_per_mol_h2=sigma_ev * EV_TO_KJ_PER_MOL,
        with_vibrations=phase_set.with_vibrations,
        energy_source_id=phase_set.energy_source_id,
        phases=tuple(r.name for _, r in terms),
        uncalibrated_terms=tuple(thermo.uncalibrated_terms(per_h2)) if thermo else (),
        experimental_phases=experimental_phases,
        energy_origins=energy_origins,
    )
