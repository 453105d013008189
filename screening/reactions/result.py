"""The result document of one hydrogen-release reaction of a host + additive mixture: what the path
solver produces, the ranking consumes and the store keeps. Units are in every field name."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction

from monty.json import MSONable
from scipy.constants import zero_Celsius


def mixture_label(host: str, additive: str = "", additive_per_host_mol: float = 0.0) -> str:
    """'MgH2 + 0.5 Si', with simple fractions written as such ('LiBH4 + 1/6 CaH2')."""
    if not additive or additive_per_host_mol == 0:
        return host
    fraction = Fraction(additive_per_host_mol).limit_denominator(12)
    exact = abs(float(fraction) - additive_per_host_mol) < 1e-5
    ratio = str(fraction) if exact and fraction.denominator not in (1, 2, 4) else f"{additive_per_host_mol:g}"
    return f"{host} + {ratio} {additive}"


class ReactionFlag(StrEnum):
    """Findings a user must see next to the numbers."""

    INTENDED_REACTION_NOT_ON_PATH = "intended_reaction_not_on_path"
    ADDITIVE_INERT = "additive_inert"
    EXOTHERMIC_WITHOUT_H2 = "exothermic_without_h2"
    UNKNOWN_PHASES_MISSING = "unknown_phases_missing"
    IMAGINARY_MODES = "imaginary_modes"
    STATIC_ENERGIES_ONLY = "static_energies_only"
    NO_1_BAR_TEMPERATURE_IN_RANGE = "no_1_bar_temperature_in_range"
    HYPOTHETICAL_PRODUCT = "hypothetical_product"  # a product was generated from a prototype, not observed
    UNCALIBRATED_CHEMISTRY = "uncalibrated_chemistry"  # a correction term of the step has no training data
    COMPUTED_STRUCTURE = "computed_structure"  # a phase of the step has a searched or model structure, not measured


@dataclass
class ReactionResult(MSONable):
    """One H2-release step (or an intended reaction) of a mixture, in the desorption direction.

    `t_1bar_k` is None when dG(T) does not cross zero in the searched range (see the flags); then
    `t_1bar_bound_k` is the end of that range (H2 already released below it, or still bound above it);
    `step` counts release steps from 1 in order of rising temperature (0 for an intended reaction
    evaluated as written)."""

    host: str
    additive: str
    additive_per_host_mol: float
    reaction: str
    step: int
    h2_released_mol: float
    dh_kj_per_mol_h2: float
    sigma_kj_per_mol_h2: float
    ds_j_per_mol_h2_k: float
    t_1bar_k: float | None
    sigma_t_1bar_k: float | None
    h2_wt_pct: float
    h2_kg_per_m3: float
    volume_change_pct: float
    reactants: list[str]
    products: list[str]
    energy_source_id: str
    with_vibrations: bool
    flags: list[str] = field(default_factory=list)
    t_1bar_bound_k: float | None = None  # when dG does not cross zero: the end of the searched range it lies beyond
    uncalibrated_terms: list[str] = field(default_factory=list)  # correction terms without training data
    experimental_phases: list[str] = field(default_factory=list)  # phases whose formation enthalpy was measured
    energy_origins: list[str] = field(default_factory=list)  # per phase: experiment (source) or model, with sigma

    @property
    def mixture(self) -> str:
        """The mixture this step belongs to, e.g. 'LiBH4 + 0.5 MgH2'."""
        return mixture_label(self.host, self.additive, self.additive_per_host_mol)

    @property
    def t_1bar_c(self) -> float | None:
        """T(1 bar) in degrees Celsius."""
        return None if self.t_1bar_k is None else self.t_1bar_k - zero_Celsius
