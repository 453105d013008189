"""Phase results of one energy source, with that source's own references: the H2 molecule for
hydrogen and each element's lowest-energy computed phase. Formation enthalpies come from here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from monty.json import MSONable
from pymatgen.core import Composition

from screening.energy.phase_results import PhaseResult
from screening.errors import ConfigError, UnknownPhaseError
from screening.thermo.h2_gas import H2_H298_MINUS_H0_KJ_PER_MOL, T_REFERENCE_K
from screening.units import EV_TO_KJ_PER_MOL

STANDARD_TEMPERATURE_K = T_REFERENCE_K


def vibrational_enthalpy_ev(result: PhaseResult, temperature_k: float) -> float:
    """Vibrational enthalpy per formula unit at T (zero point included), H = F + T S from the phonons; for the H2
    molecule, its zero point plus the gas-phase H(298) - H(0)."""
    if result.zero_point_energy_ev_per_formula_unit is None:
        raise ConfigError(f"{result.name}: vibrations were not computed")
    if result.is_molecule:
        if abs(temperature_k - STANDARD_TEMPERATURE_K) > 1e-6:
            raise ConfigError("gas-phase enthalpies other than at 298.15 K come from screening.thermo.release")
        return result.zero_point_energy_ev_per_formula_unit + H2_H298_MINUS_H0_KJ_PER_MOL / EV_TO_KJ_PER_MOL
    return result.phonons.enthalpy_at(temperature_k)


@dataclass
class PhaseSet(MSONable):
    """Computed phases of one energy source. `with_vibrations` adds zero-point and thermal enthalpies
    (phonons) to every energy; otherwise energies are static (0 K, no zero point) and say so."""

    results: list[PhaseResult]
    with_vibrations: bool = False
    energy_source_id: str = ""
    _by_name: dict[str, PhaseResult] = field(default_factory=dict, init=False, repr=False)
    _references_ev: dict[str, float] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        sources = {r.energy_source_id for r in self.results}
        if len(sources) > 1:
            raise ConfigError(f"phase results mix energy sources {sorted(sources)}; one run uses one source")
        self.energy_source_id = self.energy_source_id or next(iter(sources), "")
        if self.with_vibrations:
            missing = [r.name for r in self.results if r.zero_point_energy_ev_per_formula_unit is None]
            if missing:
                raise ConfigError(f"vibrations requested but not computed for {', '.join(missing)}")
        self._by_name = {r.name: r for r in self.results}

    def get(self, name_or_formula: str) -> PhaseResult:
        """A result by phase name, else the lowest-enthalpy result of that formula (the ground state)."""
        if name_or_formula in self._by_name:
            return self._by_name[name_or_formula]
        try:
            formula = Composition(name_or_formula).reduced_formula
        except ValueError as exc:
            raise UnknownPhaseError(f"{name_or_formula!r} is neither a computed phase nor a formula") from exc
        if formula == "H2":
            molecules = [r for r in self.results if r.is_molecule and r.formula == "H2"]
            if molecules:
                return molecules[0]
        candidates = [r for r in self.results if r.formula == formula]
        if not candidates:
            raise UnknownPhaseError(f"no computed phase of {formula} in this phase set")
        return min(candidates, key=self.enthalpy_per_formula_unit_ev)

    def enthalpy_per_formula_unit_ev(self, result: PhaseResult) -> float:
        """Static energy, plus the vibrational enthalpy at 298.15 K when vibrations are on."""
        energy = result.energy_per_formula_unit_ev
        if self.with_vibrations:
            energy += vibrational_enthalpy_ev(result, STANDARD_TEMPERATURE_K)
        return energy

    def element_reference_ev_per_atom(self, element: str) -> float:
        """The chemical potential of an element: half the H2 molecule for H (the gas is the reference, not
        solid H2), else the lowest enthalpy per atom among the computed phases of that pure element.
        Found once per element: formation enthalpies ask for it for every phase of every fit."""
        if element not in self._references_ev:
            if element == "H":
                self._references_ev[element] = self.enthalpy_per_formula_unit_ev(self.get("H2")) / 2
            else:
                pure = [r for r in self.results if r.formula == Composition(element).reduced_formula]
                if not pure:
                    raise UnknownPhaseError(f"no computed phase of the element {element}: it is needed as a reference")
                self._references_ev[element] = min(
                    self.enthalpy_per_formula_unit_ev(r) / r.atoms_per_formula_unit for r in pure
                )
        return self._references_ev[element]

    def formation_enthalpy_ev_per_formula_unit(self, result: PhaseResult) -> float:
        """Enthalpy of formation from the elements in their references, per formula unit (eV)."""
        references = sum(
            amount * self.element_reference_ev_per_atom(el.symbol) for el, amount in result.composition.items()
        )
        return self.enthalpy_per_formula_unit_ev(result) - references

    def formation_enthalpy_kj_per_mol(self, name: str) -> float:
        """Formation enthalpy per mole of formula units."""
        return self.formation_enthalpy_ev_per_formula_unit(self.get(name)) * EV_TO_KJ_PER_MOL

    def in_chemical_system(self, elements: Iterable[str]) -> PhaseSet:
        """The results whose elements all lie in `elements` (a phase diagram wants one system only)."""
        allowed = set(elements)
        subset = [r for r in self.results if {el.symbol for el in r.composition} <= allowed]
        return PhaseSet(subset, self.with_vibrations, self.energy_source_id)

    @classmethod
    def of(cls, results: Iterable[PhaseResult], with_vibrations: bool = False) -> PhaseSet:
        """A phase set from any iterable of results."""
        return cls(list(results), with_vibrations)
