"""The choices of a run, as string enums: the JSON and YAML keep the plain strings
(``Ensemble.NPT == "npt"``, ``str(Ensemble.NPT) == "npt"``).

Used by the run record (:mod:`omm_cx.simulation.record`); the run-config reader may use
them for its choices too.
"""

from __future__ import annotations

from omm_cx.systems.record import Choice


class Ensemble(Choice):
    """``nvt``: Langevin thermostat; ``npt``: the same plus a Monte Carlo barostat;
    ``nve``: Verlet, no thermostat."""

    NVT = "nvt"
    NPT = "npt"
    NVE = "nve"


class Barostat(Choice):
    """Monte Carlo barostat of an npt run: one scale for the box, or one per box length."""

    ISOTROPIC = "isotropic"
    ANISOTROPIC = "anisotropic"


class TrajectoryFormat(Choice):
    DCD = "dcd"
    XTC = "xtc"


class Precision(Choice):
    """Floating-point precision of a GPU platform."""

    SINGLE = "single"
    MIXED = "mixed"
    DOUBLE = "double"


class SourceKind(Choice):
    """The system source of a run config: a build directory, a recipe, or a PDB file with a
    force field (``system:``)."""

    BUILD = "build"
    RECIPE = "recipe"
    SYSTEM = "system"


class RunStatus(Choice):
    """State of a run in run.json. ``running`` stays when the process was killed."""

    RUNNING = "running"
    FINISHED = "finished"
    INTERRUPTED = "interrupted"
    FAILED = "failed"


class SeedSource(Choice):
    """Where the run's seed came from: the config, or drawn at random (then recorded)."""

    CONFIG = "config"
    RANDOM = "random"


__all__ = ["Barostat", "Ensemble", "Precision", "RunStatus", "SeedSource", "SourceKind",
           "TrajectoryFormat"]
