"""The choices of a run, as string enums: the JSON and YAML keep the plain strings
(``Ensemble.NPT == "npt"``, ``str(Ensemble.NPT) == "npt"``).

Used by the run config (:mod:`omm_cx.simulation.config_schema` validates the YAML strings
into these, case-insensitively) and by the run record (:mod:`omm_cx.simulation.record`).
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
    """State of a run in run.json. ``running`` stays when the process was killed;
    ``interrupted``: stopped by a signal; ``stopped``: stopped at its wall-time budget
    (``max_wall_time``) with a checkpoint; both continue with ``--resume``."""

    RUNNING = "running"
    FINISHED = "finished"
    INTERRUPTED = "interrupted"
    STOPPED = "stopped"
    FAILED = "failed"


class SeedSource(Choice):
    """Where the run's seed came from: the config, or drawn at random (then recorded)."""

    CONFIG = "config"
    RANDOM = "random"


__all__ = ["Barostat", "Ensemble", "Precision", "RunStatus", "SeedSource", "SourceKind",
           "TrajectoryFormat"]
