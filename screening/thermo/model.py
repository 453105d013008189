"""The energy model of a run in one object: energy source, relaxation and phonon settings, whether measured
formation enthalpies come first and whether fitted corrections are applied. It computes a set of library phases
together with everything their energies need (element references, the H2 molecule, the training compounds)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial

from monty.json import MSONable
from pymatgen.core import Structure

from screening.energy.cache import ResultCache, default_cache_dir
from screening.energy.phase_results import PhaseFailure, PhaseResult, PhononFunction, compute_phase_or_failure
from screening.energy.phonons import PhononResult, PhononSettings, compute_phonons
from screening.energy.relax import RelaxSettings
from screening.energy.sources import EnergySource
from screening.errors import ConfigError
from screening.thermo.corrections import CorrectionForm, load_training_set
from screening.thermo.phase_set import PhaseSet
from screening.thermo.thermochemistry import Thermochemistry, ThermochemistryMode, build_thermochemistry
from structures.library import PhaseLibrary, default_library
from structures.phase import Phase

logger = logging.getLogger(__name__)


@dataclass
class EnergyModel(MSONable):
    """Default: SevenNet-0, zero-point and 298 K vibrational enthalpies from phonopy, measured formation
    enthalpies where known for the library's polymorph (`thermochemistry`), and for every other phase
    corrections fitted on the measured ones, of the form that predicts left-out compounds best
    (`correction_form`). `with_vibrations=False` is the fast static mode."""

    source: EnergySource = field(default_factory=EnergySource)
    relax_settings: RelaxSettings = field(default_factory=RelaxSettings)
    phonon_settings: PhononSettings = field(default_factory=lambda: PhononSettings.for_purpose("zero_point"))
    with_vibrations: bool = True
    with_corrections: bool = True
    thermochemistry: ThermochemistryMode = ThermochemistryMode.EXPERIMENTAL_FIRST
    correction_form: CorrectionForm = CorrectionForm.AUTO

    def __post_init__(self) -> None:
        self.thermochemistry = ThermochemistryMode(self.thermochemistry)
        self.correction_form = CorrectionForm(self.correction_form)

    def phases_needed(self, phases: Iterable[Phase], library: PhaseLibrary) -> list[Phase]:
        """The phases plus what their energies need (see `phases_needed`)."""
        return phases_needed(
            phases, library, self.with_corrections, self.source.is_database, self.source.supported_elements()
        )

    def phonons(self, cache: ResultCache) -> PhononFunction | None:
        """The phonon calculation of this model (cached), or None in the static mode."""
        return phonon_function(self.phonon_settings, cache) if self.with_vibrations else None

    def compute(
        self,
        phases: Iterable[Phase],
        cache: ResultCache | None = None,
        library: PhaseLibrary | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> ComputedPhases:
        """The phases (and everything they need) computed, corrections fitted, failures reported.
        A phase that fails (unsupported element, rejected relaxation) is reported, never used."""
        library = library or default_library()
        cache = cache or ResultCache(default_cache_dir())
        phonons = self.phonons(cache)
        outcomes = []
        for phase in self.phases_needed(phases, library):
            if progress is not None:
                progress(phase.name)
            outcomes.append(compute_phase_or_failure(phase, self.source, self.relax_settings, cache, phonons))
        return assemble_phases(
            outcomes, self.with_vibrations, self.with_corrections, self.thermochemistry, self.correction_form
        )


@dataclass
class ComputedPhases(MSONable):
    """What an energy model made of a set of phases: the phase set, its thermochemistry (measured values and
    fitted corrections; None: the raw model) and the phases that failed, by name, with the reason."""

    phase_set: PhaseSet
    thermochemistry: Thermochemistry | None
    failed: dict[str, str] = field(default_factory=dict)


def assemble_phases(
    outcomes: Iterable[PhaseResult | PhaseFailure],
    with_vibrations: bool,
    with_corrections: bool,
    thermochemistry: ThermochemistryMode | str = ThermochemistryMode.EXPERIMENTAL_FIRST,
    correction_form: CorrectionForm | str = CorrectionForm.AUTO,
) -> ComputedPhases:
    """One phase set from computed phases (failures set aside), with its thermochemistry: measured values
    (experimental-first) and corrections fitted when asked. Model-only without corrections is the raw model."""
    outcomes = list(outcomes)
    results = [o for o in outcomes if isinstance(o, PhaseResult)]
    failed = {o.name: o.reason for o in outcomes if isinstance(o, PhaseFailure)}
    phase_set = PhaseSet.of(results, with_vibrations)
    mode = ThermochemistryMode(thermochemistry)
    if not with_corrections and mode is ThermochemistryMode.MODEL_ONLY:
        return ComputedPhases(phase_set, None, failed)
    form = correction_form if with_corrections else None
    try:
        chemistry = build_thermochemistry(phase_set, mode, form)
    except ConfigError as error:  # e.g. every training compound failed: the run goes on, and says so
        failed["corrections"] = f"not fitted, energies uncorrected: {error}"
        chemistry = build_thermochemistry(phase_set, mode, None)
    return ComputedPhases(phase_set, chemistry, failed)


def phases_needed(
    phases: Iterable[Phase],
    library: PhaseLibrary,
    with_corrections: bool,
    database_only: bool = False,
    supported_elements: frozenset[str] | None = None,
) -> list[Phase]:
    """The phases plus element references, the H2 molecule and (with corrections) the training compounds the
    energy source can handle (`supported_elements`, None: all), so that a limited source reports no failures of
    compounds nobody asked for. With `database_only` (a database energy source such as the Materials Project)
    only the database's own phases: it has their energies, its element and H2 references among them."""
    if database_only:
        return list({p.name: p for p in phases if p.material_id}.values())
    wanted = {p.name: p for p in phases}
    if with_corrections:
        for compound in load_training_set():
            if compound.phase not in library:
                continue
            phase = library.get(compound.phase)
            if supported_elements is None or {el.symbol for el in phase.composition} <= supported_elements:
                wanted.setdefault(compound.phase, phase)
    elements = {el.symbol for p in wanted.values() for el in p.composition}
    for element in sorted(elements - {"H"}):
        for phase in library.in_chemical_system([element]):
            wanted.setdefault(phase.name, phase)
    h2 = library.get("H2")
    wanted.setdefault(h2.name, h2)
    return list(wanted.values())


def phonon_function(settings: PhononSettings, cache: ResultCache) -> PhononFunction:
    """Phonons with these settings, cached, in the form `compute_phase` takes."""
    return partial(_phonons, settings=settings, cache=cache)


def _phonons(
    structure: Structure, source: EnergySource, is_molecule: bool, settings: PhononSettings, cache: ResultCache
) -> PhononResult:
    return compute_phonons(structure, source, settings, cache, is_molecule=is_molecule)
