"""A screen run in this process, without jobflow: the same plan (`HydrogenStorageScreen` or `AnodeScreen`) that
the jobflow graph executes job by job, here executed in one call."""

from __future__ import annotations

from collections.abc import Callable

from screening.energy.cache import ResultCache
from screening.screen.anode import AnodeScreen
from screening.screen.documents import RunProvenance, ScreenRun
from screening.screen.hydrogen import HydrogenStorageScreen
from screening.thermo.model import EnergyModel
from structures.library import PhaseLibrary, default_library
from structures.materials_project import MaterialsProjectStructures

Screen = HydrogenStorageScreen | AnodeScreen


def run_screen(
    screen: Screen,
    model: EnergyModel,
    provenance: RunProvenance | None = None,
    cache: ResultCache | None = None,
    library: PhaseLibrary | None = None,
    materials_project: MaterialsProjectStructures | None = None,
    progress: Callable[[str], None] | None = None,
) -> ScreenRun:
    """Compute every phase the screen needs once, analyse each target (pair or hydride), and finish the run.
    With a Materials Project client, MP phases join every chemical system."""
    library = library or default_library()
    phases = model.phases_needed(screen.phases(library, materials_project), library)
    computed = model.compute(phases, cache, library, progress)
    outcomes = [screen.analyse(target, computed) for target in screen.targets()]
    provenance = provenance or RunProvenance.new(screen, model.source.id)
    provenance.phases_total = len(phases)
    return screen.finish(outcomes, computed.failed, provenance)
