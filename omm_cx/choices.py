"""Every choice omm_cx writes to its records and reads from its inputs, as string enums in
one module: the JSON and YAML keep the plain strings (``Ensemble.NPT == "npt"``,
``str(Ensemble.NPT) == "npt"``). Build records (:mod:`omm_cx.systems.record`), run configs
and run records (:mod:`omm_cx.simulation`) and study state files (:mod:`omm_cx.studies.state`)
share them; :class:`RunStatus` is the one status vocabulary of runs and of the runs of a
study. Base stage: imports nothing of omm_cx.
"""

from __future__ import annotations

import enum


class Choice(str, enum.Enum):
    """A choice written to JSON as its plain string value (``str()`` gives the value)."""

    def __str__(self) -> str:
        return str(self.value)


class ChargePolicy(Choice):
    """``neutral``: the system is neutral (the builder removes surplus ions);
    ``background``: a net charge is left to PME's uniform neutralizing background."""

    NEUTRAL = "neutral"
    BACKGROUND = "background"


class BuildSource(Choice):
    """Where the system came from: a recipe (:mod:`omm_cx.systems.recipes`) or a PDB file
    with a force field (a run config's ``system:`` source)."""

    RECIPE = "recipe"
    STRUCTURE = "structure"


class Role(Choice):
    """Role of a species in the force field."""

    CATION = "cation"
    ANION = "anion"
    LIGAND = "ligand"


class Facet(Choice):
    """Facet of a dumbbell tip facing the rod."""

    F100 = "100"
    F111 = "111"


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
    """State of a run (run.json) and of a run of a study (its status.json). ``pending``:
    not started (studies); ``running`` stays when the process was killed;
    ``interrupted``: stopped by a signal; ``stopped``: stopped at its wall-time budget
    (``max_wall_time``) with a checkpoint; both continue with ``--resume``."""

    PENDING = "pending"
    RUNNING = "running"
    FINISHED = "finished"
    INTERRUPTED = "interrupted"
    STOPPED = "stopped"
    FAILED = "failed"


class SeedSource(Choice):
    """Where the run's seed came from: the config, or drawn at random (then recorded)."""

    CONFIG = "config"
    RANDOM = "random"


__all__ = ["Barostat", "BuildSource", "ChargePolicy", "Choice", "Ensemble", "Facet", "Precision",
           "Role", "RunStatus", "SeedSource", "SourceKind", "TrajectoryFormat"]
