"""The hydrogen reference of an energy source: the H2 molecule relaxed in a box, converged with box size."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from monty.json import MSONable

from screening.energy.relax import RelaxSettings, relax_structure
from screening.energy.sources import EnergySource
from screening.errors import ConfigError
from structures.crystallography import MoleculeInBox
from structures.library import get_phase

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MoleculeReference(MSONable):
    """Energy of a relaxed molecule per box edge tried, and the edge from which it no longer changes."""

    formula: str
    energy_source_id: str
    box_edges_a: tuple[float, ...]
    energies_ev: tuple[float, ...]
    bond_lengths_a: tuple[float, ...]
    converged_box_a: float
    tolerance_ev: float

    @property
    def energy_ev(self) -> float:
        """Energy of the molecule in the converged box."""
        return self.energies_ev[self.box_edges_a.index(self.converged_box_a)]


def converge_molecule_box(
    source: EnergySource,
    molecule: str = "H2",
    box_edges_a: Sequence[float] = (6.0, 8.0, 10.0, 12.0, 15.0),
    tolerance_ev: float = 1e-3,
    settings: RelaxSettings | None = None,
) -> MoleculeReference:
    """Relax the molecule in growing cubic boxes; the converged edge is the first whose energy is within
    `tolerance_ev` of every larger box's (periodic images no longer interact)."""
    recipe = get_phase(molecule).recipe
    if not isinstance(recipe, MoleculeInBox):
        raise ConfigError(f"{molecule} is not a molecule of the library")
    settings = replace(settings or RelaxSettings(), relax_cell=False)
    energies, bonds = [], []
    for edge in box_edges_a:
        result = relax_structure(replace(recipe, box_a=edge).build(), source, settings).raise_if_rejected()
        energies.append(result.energy_ev)
        bonds.append(float(result.structure.get_distance(0, 1)))
        logger.info("%s in a %.1f A box: %.5f eV, bond %.4f A", molecule, edge, energies[-1], bonds[-1])
    converged = next(
        edge for i, edge in enumerate(box_edges_a) if all(abs(e - energies[i]) <= tolerance_ev for e in energies[i:])
    )
    if converged == box_edges_a[-1] and len(box_edges_a) > 1 and abs(energies[-1] - energies[-2]) > tolerance_ev:
        raise ConfigError(f"{molecule} energy not converged with box size up to {box_edges_a[-1]} A")
    return MoleculeReference(
        molecule, source.id, tuple(box_edges_a), tuple(energies), tuple(bonds), converged, tolerance_ev
    )
