"""The energy side of the structure search (`structures.search`): a relaxation with an energy source as the plain
function the search takes, and the name of that relaxation for the search's cache key."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

from pymatgen.core import Structure

from screening.energy.cache import settings_fields
from screening.energy.relax import RelaxSettings, relax_structure
from screening.energy.sources import EnergySource
from screening.errors import HydrideScreenError
from structures.search import RelaxFunction

logger = logging.getLogger(__name__)

# A search starts from guessed cells: the volume may change a lot, and a candidate that has not converged in
# `max_steps` still ranks by its (upper-bound) energy; the best one is relaxed again tightly by the caller.
SEARCH_RELAX_SETTINGS = RelaxSettings(
    fmax_ev_per_a=0.05, max_stress_gpa=0.1, max_steps=150, keep_symmetry=True, max_volume_change_pct=150.0
)
# The search's screen: a few steps rank many candidates better than the rigid-unit model does, at a fraction of a
# full relaxation (LiBH4's 25 lowest candidates, SevenNet-0: the one that relaxes onto experiment is 15th in the
# rigid-unit model and first after 15 steps; 2-10 s a candidate on 2 cores).
SEARCH_SCREEN_SETTINGS = replace(SEARCH_RELAX_SETTINGS, max_steps=15)
TIGHT_RELAX_SETTINGS = RelaxSettings(fmax_ev_per_a=0.02, max_stress_gpa=0.05, max_steps=200, keep_symmetry=True)


def relax_function(source: EnergySource, settings: RelaxSettings = SEARCH_RELAX_SETTINGS) -> RelaxFunction:
    """Relax a candidate with `source`: (total energy in eV, relaxed structure), or None when the relaxation failed
    or was rejected for any reason other than running out of steps."""

    def relax(structure: Structure) -> tuple[float, Structure] | None:
        try:
            result = relax_structure(structure, source, settings)
        except HydrideScreenError as error:
            logger.info("candidate %s failed: %s", structure.composition.reduced_formula, error)
            return None
        if result.rejected_reason and not result.rejected_reason.startswith("did not converge"):
            return None
        return result.energy_ev, result.structure

    return relax


def relax_key(
    source: EnergySource, settings: RelaxSettings = SEARCH_RELAX_SETTINGS, screen: RelaxSettings | None = None
) -> str:
    """The relaxations' part of a search's cache key: energy source id and settings, the screen's when there is one."""
    payload = {"source": source.id, "settings": settings_fields(settings)}
    if screen is not None:
        payload["screen"] = settings_fields(screen)
    return json.dumps(payload, sort_keys=True, default=str)
