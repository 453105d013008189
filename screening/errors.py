"""Errors of the energy, reaction and workflow layers, all under the one `HydrideScreenError` base."""

from structures.errors import (
    CrystallographyError,
    FormulaError,
    HydrideScreenError,
    MaterialsProjectError,
    StructureImportError,
    SubstitutionError,
    UnknownPhaseError,
)

__all__ = [
    "ConfigError",
    "CrystallographyError",
    "FormulaError",
    "HydrideScreenError",
    "MaterialsProjectError",
    "RelaxationFailed",
    "StructureImportError",
    "SubstitutionError",
    "TemperatureOutOfRangeError",
    "UnbalancedReactionError",
    "UnknownPhaseError",
    "UnsupportedElementError",
]


class ConfigError(HydrideScreenError, ValueError):
    """A setting or screen configuration that is missing, misspelt or out of range."""


class UnsupportedElementError(HydrideScreenError, ValueError):
    """An element the chosen energy source was not trained or parametrised for."""


class RelaxationFailed(HydrideScreenError, RuntimeError):
    """A relaxation that did not converge or ended in an unphysical state; the phase must not be used."""


class UnbalancedReactionError(HydrideScreenError, ValueError):
    """A reaction whose sides cannot be balanced."""


class TemperatureOutOfRangeError(HydrideScreenError, ValueError):
    """A temperature outside the range where the thermochemical data are valid (no extrapolation is done)."""
