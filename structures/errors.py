"""The project's exception hierarchy: one base class, one named subclass per kind of user mistake."""


class HydrideScreenError(Exception):
    """Base of every error hydride-screen raises on purpose; the CLI prints it as one line."""


class UnknownPhaseError(HydrideScreenError, KeyError):
    """A phase name that is neither in the library nor an alias of a library phase."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class FormulaError(HydrideScreenError, ValueError):
    """A chemical formula that cannot be parsed, or names something that is not an element."""


class CrystallographyError(HydrideScreenError, ValueError):
    """Crystallographic data that contradicts itself (wrong multiplicity, unknown setting, clashing atoms)."""


class StructureImportError(HydrideScreenError, ValueError):
    """A structure file or database record that holds no usable structure."""


class SubstitutionError(HydrideScreenError, ValueError):
    """A substitution or solid-solution recipe that makes no chemical sense."""


class MaterialsProjectError(HydrideScreenError, RuntimeError):
    """The Materials Project could not be reached or answered nothing, and no cached answer exists."""
