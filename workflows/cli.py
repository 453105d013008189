"""The `hydride-screen` command: the query and physics commands of `screening.cli`, plus `run`, which
executes a screen's jobflow graph. Exit codes for schedulers: 0 run stored (phases or pairs that failed
are listed on stderr; with --strict they give 3), 2 bad input (nothing written), 1 run did not finish."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from screening.cli import StoreOption, app, fail, store_location
from screening.errors import ConfigError, HydrideScreenError, MaterialsProjectError
from workflows.config import DEFAULT_SCREEN, ScreenConfig
from workflows.run import RunSummary, run_screen_locally

EXIT_FAILURES = 3


def load_config(screen: Path | None, store: str | None) -> ScreenConfig:
    """The screen file (default: the embedded default screen) with the store from --store if given."""
    config = ScreenConfig.from_file(screen or DEFAULT_SCREEN)
    return config.with_store(store_location(store)) if store else config


def _run_with_progress(config: ScreenConfig) -> RunSummary:
    """Run, with a progress bar on a terminal and no per-job output otherwise."""
    if not sys.stderr.isatty():
        return run_screen_locally(config)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task(config.name, total=None)

        def advance(done: int, total: int, name: str) -> None:
            progress.update(task, completed=done, total=total, description=f"{config.name}: {name}")

        return run_screen_locally(config, advance)


@app.command()
def run(
    screen: Annotated[Path | None, typer.Argument(help="Screen file (TOML); default: the MgH2 screen.")] = None,
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run record as JSON.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit with 3 when any phase or pair failed.")] = False,
) -> None:
    """Run a screen on this machine: compute what is new, rank, store. One summary line on stdout."""
    try:
        config = load_config(screen, store)
    except HydrideScreenError as error:
        fail(error)
    try:
        summary = _run_with_progress(config)
    except (ConfigError, MaterialsProjectError) as error:  # raised before anything is written
        fail(error)
    except HydrideScreenError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=1) from None
    if as_json:
        typer.echo(json.dumps(summary.run.record() | {"calculations_computed": summary.calculations_computed}))
    else:
        typer.echo(summary.line())
    for what, reason in summary.run.failed.items():
        typer.echo(f"failed: {what}: {reason}", err=True)
    if strict and summary.run.failed:
        raise typer.Exit(code=EXIT_FAILURES)
