"""The `hydride-screen` command line. Only this module prints. A user mistake (any `HydrideScreenError`) becomes one
line on stderr and exit code 2, never a traceback. Exit codes of `run` for schedulers: 0 run stored (phases or
pairs that failed are listed on stderr; with --strict they give 3), 2 bad input (nothing written), 1 the run did
not finish."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import sys
import time
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from scipy.constants import zero_Celsius

from screening.energy.sources import ENERGY_SOURCES
from screening.errors import ConfigError, HydrideScreenError, MaterialsProjectError
from screening.reactions.anodes import ConversionAnode
from screening.reactions.result import ReactionResult
from screening.report.tables import (
    ANODE_COLUMNS,
    anode_row,
    candidate_columns,
    candidate_row,
    rows_as_csv,
    run_rows,
)
from screening.screen.documents import ScreenRun
from screening.screen.ranking import RankedCandidate
from screening.store import ResultsStore, StoreLocation
from structures.library import default_library
from structures.phase import Phase
from workflows.run_summary import RunSummary

if TYPE_CHECKING:
    from workflows.config import ScreenConfig

RUN_ID = re.compile(r"[0-9A-Za-z_-]+")  # run ids become folder names: no separators, no dots
EXIT_BAD_INPUT = 2
EXIT_NOT_FINISHED = 1
EXIT_FAILURES = 3
# Measured on 2 cores (docs/performance.md): two one-thread workers beat one process with torch's two threads.
DEFAULT_WORKERS = min(2, os.cpu_count() or 1)


class HydrideScreenApp(typer.Typer):
    """The Typer app, with every `HydrideScreenError` a command lets through reported as one line (exit 2)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except HydrideScreenError as error:
            typer.echo(f"error: {error}", err=True)
            sys.exit(EXIT_BAD_INPUT)


app = HydrideScreenApp(
    help="Screen additives that destabilize light-metal hydrides, and hydride conversion anodes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
SOURCE_NAMES = ", ".join(ENERGY_SOURCES)


def echo_table(headings: Sequence[str], rows: Sequence[Sequence[str]], title: str = "") -> None:
    """A plain-text table (rich, no colour, as wide as it needs) on stdout."""
    table = Table(*headings, title=title or None, box=None, pad_edge=False, title_justify="left")
    for row in rows:
        table.add_row(*row)
    Console(width=400, no_color=True, highlight=False).print(table)


class StructureFormat(StrEnum):
    """Export formats of `phases --show`."""

    text = "text"
    cif = "cif"
    poscar = "poscar"
    json = "json"


class TableFormat(StrEnum):
    """Machine formats of the query commands."""

    text = "text"
    json = "json"
    csv = "csv"


def phase_summary(phase: Phase) -> dict[str, object]:
    """The columns of the phase list, as a JSON-ready mapping."""
    return {
        "name": phase.name,
        "formula": phase.formula,
        "space_group": phase.space_group or ("molecule" if phase.is_molecule else ""),
        "atoms": len(phase.build()),
        "source": phase.source,
        "tags": list(phase.tags),
        "aliases": list(phase.aliases),
        "experimental_space_group": phase.experimental_space_group or phase.space_group,
        "note": phase.note,
    }


def structure_text(phase: Phase, fmt: StructureFormat) -> str:
    """One phase's structure in the requested format."""
    from pymatgen.io.cif import CifWriter
    from pymatgen.io.vasp import Poscar

    structure = phase.build()
    if fmt is StructureFormat.cif:
        return str(CifWriter(structure, symprec=0.01 if phase.space_group else None))
    if fmt is StructureFormat.poscar:
        return str(Poscar(structure, comment=f"{phase.name}: {phase.source}"[:200]))
    if fmt is StructureFormat.json:
        return json.dumps(structure.as_dict(), indent=1)
    return (
        f"{phase.name} ({phase.formula}, {phase.space_group or 'no space group'})\nsource: {phase.source}\n"
        + (f"note: {phase.note}\n" if phase.note else "")
        + str(structure)
    )


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress to stderr.")] = False) -> None:
    """Set up logging for the library code; third-party warnings only with --verbose."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr)
    if not verbose:
        warnings.simplefilter("ignore")


@app.command()
def phases(
    show: Annotated[str | None, typer.Option(help="Print one phase's structure (name, alias or formula).")] = None,
    fmt: Annotated[StructureFormat, typer.Option("--format", help="Format for --show.")] = StructureFormat.text,
    tag: Annotated[str | None, typer.Option(help="List only phases with this tag, e.g. complex-hydride.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List the phase library with provenance, or print one structure."""
    library = default_library()
    if show is not None:
        typer.echo(structure_text(library.get(show), fmt))
        return
    rows = [phase_summary(p) for p in (library.with_tag(tag) if tag else library)]
    if as_json:
        typer.echo(json.dumps(rows, indent=1))
        return
    cells = [[r["name"], r["formula"], r["space_group"], str(r["atoms"]), r["source"]] for r in rows]
    echo_table(["name", "formula", "space group", "atoms", "source"], cells)
    typer.echo(f"{len(rows)} phases")


@app.command()
def sources(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """The named energy sources ([energy] source = ...); any ASE calculator also works by import path."""
    rows = [{"name": e.name, "package": e.package, "database": e.is_database, "description": e.description}
            for e in ENERGY_SOURCES.values()]  # fmt: skip
    if as_json:
        typer.echo(json.dumps(rows, indent=1))
        return
    echo_table(["name", "package", "description"], [[r["name"], r["package"], r["description"]] for r in rows])
    typer.echo('or any ASE calculator by import path, e.g. source = "ase.calculators.vasp:Vasp" + [energy.options]')


@app.command()
def anode(
    hydride: Annotated[str, typer.Argument(help="The hydride to lithiate, e.g. MgH2.")],
    source: Annotated[str, typer.Option(help=f"Energy source ({SOURCE_NAMES}, or an import path).")] = "sevennet",
    static: Annotated[bool, typer.Option("--static", help="Static energies only (no phonons): faster.")] = False,
    corrections: Annotated[bool, typer.Option(help="Apply the fitted energy corrections.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Conversion of a hydride with Li: capacity, voltage vs Li/Li+ and volume change."""
    from screening.energy.sources import EnergySource
    from screening.reactions.anodes import conversion_anode
    from screening.thermo.model import EnergyModel
    from structures.candidates import anode_phases

    library = default_library()
    start = library.get(hydride)
    energy_source = EnergySource(source)
    energy_source.check_elements({el.symbol for el in start.composition} | {"Li"}, f"{start.name} + Li")
    model = EnergyModel(energy_source, with_vibrations=not static, with_corrections=corrections)
    computed = model.compute(anode_phases(start.name, library), library=library)
    result = conversion_anode(start.formula, computed.phase_set, computed.thermochemistry)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=1, default=str))
        return
    typer.echo(f"{result.hydride} vs Li/Li+ ({result.energy_source_id}{', static' if static else ''})")
    typer.echo(f"capacity       {result.capacity_mah_per_g:8.1f} mAh/g")
    typer.echo(f"average voltage{result.voltage_v:8.3f} V")
    typer.echo(f"volume change  {result.volume_change_pct:+8.1f} % (solids, relative to the hydride)")
    _echo_anode_steps(result)


StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store", help="Store directory or mongodb:// URI (default: $HYDRIDE_SCREEN_STORE or the user data dir)."
    ),
]
RunOption = Annotated[str | None, typer.Option("--run", help="Run id (a unique prefix is enough); default: latest.")]


def store_location(store: str | None) -> StoreLocation:
    """A store location from the --store option (a directory, or a MongoDB URI)."""
    if store and store.startswith(("mongodb://", "mongodb+srv://")):
        return StoreLocation(uri=store)
    return StoreLocation(path=store)


def load_run(store: str | None, run_id: str | None, host: str | None = None) -> ScreenRun:
    """A stored run (the newest one, of `host` when given, unless a run id is given)."""
    with ResultsStore.reader(store_location(store)) as results:
        return results.load(run_id, host)


def echo_rows(rows: list[dict[str, Any]], columns: Sequence[str], fmt: TableFormat) -> None:
    """Print rows as JSON or CSV."""
    if fmt is TableFormat.json:
        typer.echo(json.dumps(rows, indent=1, default=str))
    else:
        typer.echo(rows_as_csv(rows, columns), nl=False)


def _t(value_k: float | None) -> str:
    return "--" if value_k is None else f"{value_k - zero_Celsius:.0f} C"


def _flags(flags: list[str]) -> str:
    return f"  [{', '.join(flags)}]" if flags else ""


@app.command()
def top(
    host: Annotated[str | None, typer.Option(help="Host hydride, e.g. MgH2 (default: every host of the run).")] = None,
    run: RunOption = None,
    n: Annotated[int, typer.Option("--n", min=0, help="How many candidates.")] = 10,
    fmt: Annotated[TableFormat, typer.Option("--format", help="Output format.")] = TableFormat.text,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Same as --format csv.")] = False,
    store: StoreOption = None,
) -> None:
    """The best candidates of the latest run (of a host), from the store."""
    fmt = TableFormat.json if as_json else TableFormat.csv if as_csv else fmt
    screen_run = load_run(store, run, host)
    if screen_run.ranked is None:
        anodes = screen_run.anodes[:n]
        if fmt is TableFormat.text:
            _print_anodes(screen_run, anodes)
        else:
            echo_rows([anode_row(a) for a in anodes], ANODE_COLUMNS, fmt)
        return
    best = screen_run.ranked.top(n, host)
    if fmt is TableFormat.text:
        _print_candidates(screen_run, best)
    else:
        echo_rows([candidate_row(c) for c in best], candidate_columns(screen_run.ranked.criteria), fmt)


def _run_title(screen_run: ScreenRun) -> str:
    p = screen_run.provenance
    return f"run {p.run_id} ({p.screen_name}, {screen_run.finished_utc}, {p.energy_source_id})"


def _print_candidates(screen_run: ScreenRun, candidates: list[RankedCandidate]) -> None:
    """The ranked table: the columns every ranking shows, plus the number each further score term reads."""
    shown = {"dh_kj_per_mol_h2", "t_1bar_k", "h2_wt_pct", "volume_change_pct"}
    extra = [t for t in screen_run.ranked.criteria.terms if t.column and t.column not in shown]
    headings = ["#", "mixture", "dH kJ/mol H2", "T(1 bar)", "wt% H2", "dV %", *(t.heading for t in extra), "score"]
    rows = [
        [str(c.rank), c.label, f"{c.dh_kj_per_mol_h2:.1f} +/- {c.sigma_kj_per_mol_h2:.1f}", _t(c.t_1bar_k),
         f"{c.h2_wt_pct:.2f}", f"{c.volume_change_pct:+.1f}", *(f"{getattr(c, t.column):.1f}" for t in extra),
         f"{c.score:.2f}", f"{c.reaction}{_flags(c.flags)}"]
        for c in candidates
    ]  # fmt: skip
    echo_table([*headings, "first release step  [flags of the mixture, all steps]"], rows, _run_title(screen_run))
    if not candidates:
        typer.echo("no candidate passes the filters")


def _print_anodes(screen_run: ScreenRun, anodes: list[ConversionAnode]) -> None:
    rows = [[a.hydride, f"{a.capacity_mah_per_g:.1f}", f"{a.voltage_v:.3f}", f"{a.volume_change_pct:+.1f}",
             ", ".join(a.flags)] for a in anodes]  # fmt: skip
    echo_table(["hydride", "mAh/g", "V vs Li", "dV %", "flags"], rows, _run_title(screen_run))


@app.command()
def show(
    what: Annotated[
        str,
        typer.Argument(
            help="A candidate ('MgH2 + Si', 'LiBH4 + 0.5 MgH2'), a reaction ('2 MgH2 + Si -> Mg2Si + 2 H2') "
            "or, in an anode run, a hydride ('MgH2')."
        ),
    ],
    run: RunOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    store: StoreOption = None,
) -> None:
    """One candidate (why it ranks where it does, every step of its release path), or every mixture of a
    run in which a given reaction occurs."""
    words = what.split("->")[0].split("+")[0].split()
    if not words:
        raise ConfigError(f"show needs a candidate ('MgH2 + Si'), a reaction or a hydride, got {what!r}")
    host = words[-1]
    screen_run = load_run(store, run, None if "->" in what else host)
    if "->" in what:
        _show_reaction(screen_run.reactions_matching(what), as_json)
        return
    if screen_run.ranked is None:
        _show_anode(screen_run.anode(host), as_json)
        return
    found = screen_run.candidate(what)
    steps = screen_run.steps_of(found)
    if as_json:
        document = {"candidate": found.as_dict(), "steps": [s.as_dict() for s in steps]}
        typer.echo(json.dumps(document, indent=1, default=str))
        return
    typer.echo(f"{found.label}  (rank {found.rank}, run {screen_run.run_id})")
    typer.echo(screen_run.ranked.explain(found))
    for step in steps:
        _echo_step(step)


def _echo_step(step: ReactionResult) -> None:
    typer.echo(f"  step {step.step}: {step.reaction}")
    typer.echo(f"    dH {step.dh_kj_per_mol_h2:.1f} +/- {step.sigma_kj_per_mol_h2:.1f} kJ/mol H2, "
               f"dS {step.ds_j_per_mol_h2_k:.1f} J/(mol H2 K), T(1 bar) {_t(step.t_1bar_k)}, "
               f"{step.h2_wt_pct:.2f} wt% H2, {step.h2_kg_per_m3:.1f} kg H2/m3, "
               f"solid volume {step.volume_change_pct:+.1f} %{_flags(step.flags)}")  # fmt: skip
    if step.uncalibrated_terms:
        typer.echo(f"    correction terms without training data (sigma from their prior): "
                   f"{', '.join(step.uncalibrated_terms)}")  # fmt: skip
    if step.energy_origins:
        typer.echo(f"    measured formation enthalpies: {', '.join(step.experimental_phases) or 'none'}")
        for origin in step.energy_origins:
            typer.echo(f"      {origin}")


def _show_reaction(reactions: list[ReactionResult], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in reactions], indent=1, default=str))
        return
    for reaction in reactions:
        typer.echo(reaction.mixture)
        _echo_step(reaction)


def _echo_anode_steps(anode: ConversionAnode) -> None:
    for step in anode.steps:
        typer.echo(f"  {step.voltage_v:6.3f} V  {step.capacity_mah_per_g:7.1f} mAh/g  {step.reaction}")
        if step.energy_origins:
            typer.echo(f"      measured formation enthalpies: {', '.join(step.experimental_phases) or 'none'}")


def _show_anode(anode: ConversionAnode, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(anode.as_dict(), indent=1, default=str))
        return
    typer.echo(f"{anode.hydride} vs Li/Li+: {anode.capacity_mah_per_g:.1f} mAh/g, {anode.voltage_v:.3f} V average, "
               f"solid volume {anode.volume_change_pct:+.1f} %{_flags(anode.flags)}")  # fmt: skip
    _echo_anode_steps(anode)


@app.command()
def runs(
    host: Annotated[str | None, typer.Option(help="Only runs that screened this host.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    store: StoreOption = None,
) -> None:
    """The history of finished runs, newest first."""
    with ResultsStore.reader(store_location(store)) as results:
        records = results.records(host)
    if as_json:
        rows = [{k: v for k, v in r.as_dict().items() if not k.startswith("@")} for r in records]
        typer.echo(json.dumps(rows, indent=1, default=str))
        return
    rows = [[r.run_id, r.finished_utc, r.screen_name, str(r.n_candidates), str(r.n_failed), r.energy_source_id]
            for r in records]  # fmt: skip
    echo_table(["run", "finished (UTC)", "screen", "found", "failed", "energy source"], rows)
    typer.echo(f"{len(records)} runs")


@app.command()
def export(
    run: RunOption = None,
    fmt: Annotated[TableFormat, typer.Option("--format", help="csv or json (text means csv).")] = TableFormat.csv,
    output: Annotated[str | None, typer.Option(help="File to write (default: stdout).")] = None,
    store: StoreOption = None,
) -> None:
    """Every reaction (or anode) of a run, with its provenance, as CSV or JSON."""
    path = None if output is None else output_file(output)
    rows, columns = run_rows(load_run(store, run))
    text = json.dumps(rows, indent=1, default=str) if fmt is TableFormat.json else rows_as_csv(rows, columns)
    if path is None:
        typer.echo(text, nl=False)
    else:
        path.write_text(text)
        typer.echo(f"{len(rows)} rows written to {path}")


def output_file(name: str) -> Path:
    """The file `--output` names: a name, in a folder that exists, not a folder itself, not a link."""
    if not name.strip():
        raise ConfigError("--output needs a file name")
    path = Path(name).expanduser()
    if path.is_dir():
        raise ConfigError(f"--output {path} is a folder; give a file name")
    if path.is_symlink():
        raise ConfigError(f"--output {path} is a symbolic link; give a plain file name")
    if not path.parent.is_dir():
        raise ConfigError(f"--output {path}: the folder {path.parent} does not exist")
    return path


@app.command()
def report(
    run: Annotated[str | None, typer.Argument(help="Run id (default: the latest run).")] = None,
    output: Annotated[str | None, typer.Option(help="Folder to write (default: ./report-RUN).")] = None,
    n: Annotated[int, typer.Option("--n", min=1, help="How many top candidates to label and plot.")] = 10,
    overwrite: Annotated[
        bool, typer.Option(help="Replace the report files of an earlier report in the folder.")
    ] = False,
    store: StoreOption = None,
) -> None:
    """A run report: ranked table (HTML, CSV), dH vs wt% with the target window, van't Hoff plot."""
    from screening.report.page import write_report

    if output is not None and not output.strip():
        raise ConfigError("--output needs a folder name")
    screen_run = load_run(store, run)
    if screen_run.ranked is None:
        raise ConfigError("reports are drawn for hydrogen-storage runs; use `top` or `export` for anode runs")
    p = screen_run.provenance
    if output is None and not RUN_ID.fullmatch(p.run_id):
        raise ConfigError(f"the stored run id {p.run_id!r} is not a plain id; give --output")
    written = write_report(
        screen_run.ranked,
        Path(output).expanduser() if output else Path(f"report-{p.run_id}"),
        title=f"{p.screen_name}: ranked candidates",
        n_top=n,
        subtitle=f"run {p.run_id}, finished {screen_run.finished_utc}, {p.energy_source_id}, "
        f"hydride-screen {p.code_version}, config {p.config_hash}",
        overwrite=overwrite,
    )
    typer.echo(f"report written to {written.html_path}")


@app.command()
def prune(
    store: StoreOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Remove what is listed (default: only list it).")] = False,
    idle_hours: Annotated[
        float, typer.Option(min=0.0, help="Leave runs alone that did anything in the last this many hours.")
    ] = 1.0,
) -> None:
    """List (and with --yes remove) the job documents of runs that never finished: killed or failed runs. A
    finished run's results, record and jobs are never removed; a run active within --idle-hours is left alone."""
    location = store_location(store)
    cutoff = (datetime.now(UTC) - timedelta(hours=idle_hours)).isoformat()
    with ResultsStore.at(location) as results:
        unfinished = results.unfinished_runs(location)
        idle = [r for r in unfinished if r.last_activity_utc < cutoff]
        for run in idle:
            if yes:
                results.remove_unfinished(location, run)
            typer.echo(f"{'removed' if yes else 'unfinished'} {run.run_id}: {run.job_documents} job documents, "
                       f"last activity {run.last_activity_utc or 'unknown'}")  # fmt: skip
    active = len(unfinished) - len(idle)
    note = f"; {active} active within {idle_hours:g} h left alone" if active else ""
    verb = "removed" if yes else "found (remove with --yes)"
    typer.echo(f"{len(idle)} unfinished runs {verb}{note}")


def load_config(screen: Path | None, store: str | None) -> ScreenConfig:
    """The screen file (default: the embedded default screen) with the store from --store if given."""
    from workflows.config import DEFAULT_SCREEN, ScreenConfig  # pydantic and the screen plans: not for queries

    config = ScreenConfig.from_file(screen or DEFAULT_SCREEN)
    return config.with_store(store_location(store)) if store else config


def _run_with_progress(config: ScreenConfig, workers: int) -> RunSummary:
    """Run, with a progress bar on a terminal, and a line per finished job on stderr otherwise (cron, nohup)."""
    from workflows.run import run_screen_locally  # jobflow: for runs, not for queries

    if not sys.stderr.isatty():
        started = time.monotonic()

        def log_line(done: int, total: int, name: str) -> None:
            typer.echo(f"[{done}/{total}, {time.monotonic() - started:.0f} s] {name}", err=True)

        return run_screen_locally(config, log_line, workers)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task(config.name, total=None)

        def advance(done: int, total: int, name: str) -> None:
            progress.update(task, completed=done, total=total, description=f"{config.name}: {name}")

        return run_screen_locally(config, advance, workers)


def _stored_run_with_inputs(config: ScreenConfig) -> RunSummary | None:
    """The stored run of the same inputs as a run summary that computed nothing, or None."""
    location = config.store
    if location.is_embedded and not location.directory.exists():
        return None
    started = time.perf_counter()
    with ResultsStore.reader(location) as results:
        found = results.run_with_inputs(config.inputs_hash)
    return None if found is None else RunSummary(found, 0, 0, time.perf_counter() - started, reused=True)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@app.command()
def run(
    screen: Annotated[Path | None, typer.Argument(help="Screen file (TOML); default: the MgH2 screen.")] = None,
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run record as JSON.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit with 3 when any phase or pair failed.")] = False,
    rerun: Annotated[
        bool, typer.Option("--rerun", help="Run even when a stored run has the same inputs (reused otherwise).")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            envvar="HYDRIDE_SCREEN_WORKERS",
            help="Processes that compute new phases side by side, sharing the cores (1: all in this process).",
        ),
    ] = DEFAULT_WORKERS,
) -> None:
    """Run a screen on this machine: compute what is new, rank, store. One summary line on stdout. A stored run
    with the same config, code, data and energy source is reported instead of running again (--rerun runs)."""
    config = load_config(screen, store)
    reused = None if rerun else _stored_run_with_inputs(config)
    signal.signal(signal.SIGTERM, _interrupt)  # a scheduler's kill: finish as Ctrl-C does, with exit code 1
    try:
        summary = reused or _run_with_progress(config, workers)
    except (ConfigError, MaterialsProjectError):  # raised before anything is written: bad input
        raise
    except HydrideScreenError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=EXIT_NOT_FINISHED) from None
    except KeyboardInterrupt:
        typer.echo("error: interrupted; the run did not finish (its calculations so far are cached)", err=True)
        raise typer.Exit(code=EXIT_NOT_FINISHED) from None
    if as_json:
        record = {k: v for k, v in summary.run.record().as_dict().items() if not k.startswith("@")}
        counts = {"calculations_computed": summary.calculations_computed, "reused": summary.reused}
        typer.echo(json.dumps(record | counts))
    else:
        typer.echo(summary.line())
    for what, reason in summary.run.failed.items():
        typer.echo(f"failed: {what}: {reason}", err=True)
    if strict and summary.run.failed:
        raise typer.Exit(code=EXIT_FAILURES)


ProjectOption = Annotated[
    str | None,
    typer.Option("--project", help="jobflow-remote project (default: its default project, or the only one)."),
]


@app.command()
def submit(
    screen: Annotated[Path | None, typer.Argument(help="Screen file (TOML); default: the MgH2 screen.")] = None,
    project: ProjectOption = None,
    worker: Annotated[
        str | None, typer.Option("--worker", help="Send every job to this worker (default: the project's routes).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Submit a screen to a cluster with jobflow-remote (the hpc extra); nothing when its run is already stored or
    still queued. The project's runner (`jf runner start`) takes the jobs to the workers; follow with `status`."""
    from workflows.submit import submit_screen

    submission = submit_screen(load_config(screen, None), project, worker)
    if as_json:
        typer.echo(json.dumps({k: v for k, v in submission.as_dict().items() if not k.startswith("@")}))
    else:
        typer.echo(submission.line())


@app.command()
def status(
    run: Annotated[str | None, typer.Argument(help="Run id (a unique prefix is enough); default: every run.")] = None,
    project: ProjectOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Progress of submitted screens, newest first: jobs by state, failed jobs and unusable phases with reasons."""
    from workflows.submit import screen_status

    found = screen_status(run, project)
    if as_json:
        typer.echo(json.dumps([s.as_dict() for s in found], indent=1, default=str))
        return
    for screen_status_ in found:
        typer.echo("\n".join(screen_status_.lines() if run else [screen_status_.line()]))
    if not found:
        typer.echo("no submitted runs")
