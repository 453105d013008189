"""The `hydride-screen` command line. Only this module prints; user mistakes become one line on
stderr and exit code 2, never a traceback."""

from __future__ import annotations

import json
import logging
import sys
from enum import StrEnum
from typing import Annotated

import typer
from pymatgen.io.cif import CifWriter
from pymatgen.io.vasp import Poscar

from structures.errors import HydrideScreenError
from structures.library import default_library
from structures.phase import Phase

app = typer.Typer(
    help="Screen additives that destabilize light-metal hydrides, and hydride conversion anodes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class StructureFormat(StrEnum):
    """Export formats of `phases --show`."""

    text = "text"
    cif = "cif"
    poscar = "poscar"
    json = "json"


def fail(error: Exception) -> None:
    """Report a user-facing error in one line and exit non-zero."""
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(code=2)


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


@app.command()
def phases(
    show: Annotated[str | None, typer.Option(help="Print one phase's structure (name, alias or formula).")] = None,
    fmt: Annotated[StructureFormat, typer.Option("--format", help="Format for --show.")] = StructureFormat.text,
    tag: Annotated[str | None, typer.Option(help="List only phases with this tag, e.g. complex-hydride.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List the phase library with provenance, or print one structure."""
    library = default_library()
    try:
        if show is not None:
            typer.echo(structure_text(library.get(show), fmt))
            return
        selected = library.with_tag(tag) if tag else list(library)
    except HydrideScreenError as error:
        fail(error)
    rows = [phase_summary(p) for p in selected]
    if as_json:
        typer.echo(json.dumps(rows, indent=1))
        return
    typer.echo(f"{'name':<22} {'formula':<12} {'space group':<12} {'atoms':>5}  source")
    for row in rows:
        name, formula, group = row["name"], row["formula"], row["space_group"]
        typer.echo(f"{name:<22} {formula:<12} {group:<12} {row['atoms']:>5}  {row['source']}")
    typer.echo(f"{len(rows)} phases")


@app.command()
def anode(
    hydride: Annotated[str, typer.Argument(help="The hydride to lithiate, e.g. MgH2.")],
    source: Annotated[str, typer.Option(help="Energy source (sevennet, sevennet-mf, chgnet, emt, import path).")] = (
        "sevennet"
    ),
    static: Annotated[bool, typer.Option("--static", help="Static energies only (no phonons): faster.")] = False,
    corrections: Annotated[bool, typer.Option(help="Apply the fitted energy corrections.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Conversion of a hydride with Li: capacity, voltage vs Li/Li+ and volume change."""
    from screening.anodes import conversion_anode
    from screening.calculators import EnergySource
    from screening.candidate_phases import anode_phases
    from screening.energy_model import EnergyModel

    library = default_library()
    try:
        start = library.get(hydride)
        model = EnergyModel(EnergySource(source), with_vibrations=not static, with_corrections=corrections)
        computed = model.compute(anode_phases(start.name, library), library=library)
        result = conversion_anode(start.formula, computed.phase_set, computed.corrections)
    except HydrideScreenError as error:
        fail(error)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=1, default=str))
        return
    typer.echo(f"{result.hydride} vs Li/Li+ ({result.energy_source_id}{', static' if static else ''})")
    typer.echo(f"capacity       {result.capacity_mah_per_g:8.1f} mAh/g")
    typer.echo(f"average voltage{result.voltage_v:8.3f} V")
    typer.echo(f"volume change  {result.volume_change_pct:+8.1f} % (solids, relative to the hydride)")
    for step in result.steps:
        typer.echo(f"  {step.voltage_v:6.3f} V  {step.capacity_mah_per_g:7.1f} mAh/g  {step.reaction}")


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress to stderr.")] = False) -> None:
    """Set up logging for the library code."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr)
