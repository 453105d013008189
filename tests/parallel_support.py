"""A phase task for the worker tests, in a module of its own: a worker process imports it to unpickle the task, and
tests_support (imported by processes that must not load jobflow) stays free of the workflows package."""

from workflows.parallel_phases import PhaseTask


class BrokenWorkerTask(PhaseTask):
    """A phase task that raises where it is computed (in a worker process), as an unforeseen error would."""

    def compute(self) -> None:
        raise RuntimeError(f"{self.phase.name}: broken on purpose")
