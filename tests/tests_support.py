"""Helpers shared by tests: phase results with fixed energies on library structures, and calculators
that count or slow down their calls."""

import time
from typing import ClassVar

from ase.calculators.calculator import all_changes
from ase.calculators.emt import EMT

from screening.energy.phase_results import PhaseResult, formula_units
from screening.reactions.result import ReactionResult
from structures.library import get_phase


def fixed_result(name: str, formation_ev: float = 0.0, source_id: str = "fixed") -> PhaseResult:
    """A library phase, unrelaxed, with a given energy per formula unit (its formation enthalpy when the
    elements are given zero)."""
    phase = get_phase(name)
    structure = phase.build()
    return PhaseResult(
        name=phase.name,
        formula=phase.formula,
        structure=structure,
        energy_per_formula_unit_ev=formation_ev,
        volume_per_formula_unit_a3=structure.volume / formula_units(structure),
        energy_source_id=source_id,
        is_molecule=phase.is_molecule,
    )


class CountingEMT(EMT):
    """ASE's EMT that counts its energy evaluations, so tests can check that cached work is never redone."""

    calls: ClassVar[int] = 0

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes) -> None:
        type(self).calls += 1
        super().calculate(atoms, properties, system_changes)


class SlowEMT(EMT):
    """EMT slowed down to 20 ms per evaluation, so a test can kill a run half-way."""

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes) -> None:
        time.sleep(0.02)
        super().calculate(atoms, properties, system_changes)


def release_step(
    host: str = "LiBH4",
    additive: str = "MgH2",
    ratio: float = 0.5,
    *,
    step: int = 1,
    t_1bar_k: float | None = 300.0,
    sigma_t_1bar_k: float | None = None,
    wt_pct: float = 5.0,
    volume_change_pct: float = -10.0,
    flags: list[str] | None = None,
) -> ReactionResult:
    """A release step with the numbers the ranking reads; the rest is plausible filler."""
    return ReactionResult(
        host=host,
        additive=additive,
        additive_per_host_mol=ratio,
        reaction=f"{host} + {ratio:g} {additive} -> step {step}",
        step=step,
        h2_released_mol=1.0,
        dh_kj_per_mol_h2=40.0,
        sigma_kj_per_mol_h2=5.0,
        ds_j_per_mol_h2_k=130.0,
        t_1bar_k=t_1bar_k,
        sigma_t_1bar_k=sigma_t_1bar_k,
        h2_wt_pct=wt_pct,
        h2_kg_per_m3=80.0,
        volume_change_pct=volume_change_pct,
        reactants=[host, additive],
        products=["products"],
        energy_source_id="test",
        with_vibrations=True,
        flags=flags or [],
    )


class CalculatorCrash(Exception):
    """An error no relaxation turns into a rejected phase (those are ValueError, RuntimeError, LinAlgError)."""


class NiHydrideCrashEMT(EMT):
    """EMT that crashes on any cell holding both Ni and H, so a test can watch a job fail on a cluster while the
    jobs that do not need those phases go on."""

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes) -> None:
        symbols = set((atoms if atoms is not None else self.atoms).get_chemical_symbols())
        if {"Ni", "H"} <= symbols:
            raise CalculatorCrash("EMT crashed on a Ni-H cell")
        super().calculate(atoms, properties, system_changes)


# The command line in-process, printing at exit (to stderr) every module it imported: which heavy packages a
# command loads is part of its contract.
CLI_LISTING_MODULES = (
    "import sys\nfrom workflows.cli import app\n"
    "try:\n    app()\nfinally:\n    print(sorted(sys.modules), file=sys.stderr)"
)
