"""Exceptions raised by omm_cx. Each message names the file, key or atom at fault."""


class OmmCxError(Exception):
    """Base class of omm_cx errors (the CLI prints these without a traceback)."""


class ForceFieldError(OmmCxError, ValueError):
    """A parameter file or a combination of them is invalid."""


class StructureError(OmmCxError, ValueError):
    """A structure (PDB, positions, box) cannot be used with the force field."""


class SimulationError(OmmCxError, RuntimeError):
    """A calculation produced non-finite or exploding energies."""
