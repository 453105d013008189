"""What a local run did, as `run` reports it: light enough for the command line to import without jobflow."""

from __future__ import annotations

from dataclasses import dataclass

from monty.json import MSONable

from screening.screen.documents import ScreenRun


@dataclass
class RunSummary(MSONable):
    """What a local run did: the stored run, how many calculations it had to compute (the rest came
    from the cache), how many jobs it ran, and how long it took."""

    run: ScreenRun
    calculations_computed: int
    jobs: int
    wall_s: float
    reused: bool = False  # a stored run with the same inputs, reported instead of running again

    def line(self) -> str:
        """One line for logs and cron mail."""
        run, provenance = self.run, self.run.provenance
        found = f"{len(run.ranked.candidates)} candidates" if run.ranked else f"{len(run.anodes)} anodes"
        failed = f", {len(run.failed)} failed" if run.failed else ""
        if self.reused:
            return (
                f"run {provenance.run_id} ({provenance.screen_name}): {found}{failed}; unchanged: stored "
                f"{run.finished_utc} from the same config, code, data and energy source, nothing computed "
                "(--rerun runs it again)"
            )
        return (
            f"run {provenance.run_id} ({provenance.screen_name}): {found}{failed}; {provenance.phases_total} phases, "
            f"{self.calculations_computed} new calculations (the rest from the cache); "
            f"{self.jobs} jobs in {self.wall_s:.0f} s"
        )
