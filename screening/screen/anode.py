"""An anode screen: each hydride converted with lithium (capacity, voltage, volume change), ranked.
The job-sized pieces the workflow calls; one failing hydride is reported, not fatal."""

from __future__ import annotations

from screening.errors import HydrideScreenError
from screening.reactions.anodes import AnodeCriteria, ConversionAnode, conversion_anode, rank_anodes
from screening.screen.documents import PairFailure, RunProvenance, ScreenRun, utc_now
from screening.thermo.model import ComputedPhases


def screen_anode(hydride: str, computed: ComputedPhases) -> ConversionAnode | PairFailure:
    """`conversion_anode` of one hydride; a user-facing error becomes a failure of the hydride + Li pair."""
    try:
        return conversion_anode(hydride, computed.phase_set, computed.corrections)
    except HydrideScreenError as error:
        return PairFailure(hydride, "Li", str(error))


def anode_run(
    outcomes: list[ConversionAnode | PairFailure],
    phase_failures: dict[str, str],
    criteria: AnodeCriteria,
    provenance: RunProvenance,
) -> ScreenRun:
    """The finished run of an anode screen: the anodes ranked, and what failed."""
    anodes = rank_anodes([o for o in outcomes if isinstance(o, ConversionAnode)], criteria)
    failed = {f"{o.host} + {o.additive}": o.reason for o in outcomes if isinstance(o, PairFailure)}
    return ScreenRun(provenance, utc_now(), anodes=anodes, failed=phase_failures | failed)
