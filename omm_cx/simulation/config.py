"""Run configuration: a YAML file (or dict) -> a validated :class:`RunConfig`.

Every error names the file and the key and says what would be accepted. The whole file
is checked before anything runs: types, ranges and defaults by the schema
:class:`~omm_cx.simulation.config_schema.RunConfigInput` (``omm-cx schema run`` prints it
as JSON schema), then the keys that depend on each other. Units are in
the key names (``temperature_K``, ``timestep_fs``, ``pressure_GPa``, ...). A complete
example with every key and its default::

    # exactly one system source:
    system:                       # a PDB file + a force field (species = atom names,
      forcefield: pbcdse+psl-nonpreferential   # box = CRYST1)
      structure: quick/structure.pdb           # relative to this file's folder
      dispersion_correction: false
      ewald_error_tolerance: 5.0e-4
      guard: true                 # Buckingham-catastrophe wall
      vacuum_method: all-pairs    # no CRYST1: all-pairs | short-range-cutoff (Coulomb over
                                  # all pairs, short range within the cutoff; ~10x faster)
    # build: path/to/build_dir    # or: a build directory (structure.pdb, system.xml, build.json)
    # recipe: pbse-nc-cd-psl      # or: a recipe name or path (omm_cx.systems.recipes)

    description: free text        # optional, copied into run.json
    seed: 1                       # integrator, velocity and barostat seeds derive from it
                                  # (default: drawn at random, recorded in run.json)
    ensemble: nvt                 # nvt (Langevin) | npt (Langevin + Monte Carlo barostat) | nve
    temperature_K: 550            # thermostat; for nve the temperature of the initial velocities
    friction_per_ps: 1.0          # Langevin friction (nvt, npt)
    pressure_GPa: 0.0             # npt only
    barostat: isotropic           # npt only: isotropic | anisotropic
    barostat_interval_steps: 25   # npt only
    timestep_fs: 2.0
    length_ns: 100                # or steps: N (exactly one)
    minimize: true                # before a fresh start (never on --resume)
    minimize_tolerance_eV_per_A: 0.01   # RMS force at which minimization stops
    minimize_max_iterations: 0    # 0 = until converged
    abort_temperature_K: 1650     # stop when the kinetic temperature exceeds this (default 3 x T)
    report:                       # intervals in ps (or *_steps in steps)
      trajectory_ps: 2.0
      state_ps: 1.0
      checkpoint_ps: 20.0
      trajectory_format: dcd      # dcd | xtc
    pme: {alpha_per_nm: 2.45, grid: [75, 75, 75]}   # optional: explicit PME instead of the
                                  # system's tolerance (the tuned row of omm-cx bench)
    platform: null                # CUDA > OpenCL > CPU when null
    precision: null               # single | mixed | double; null = mixed on GPUs
    short_range_kernel: auto      # auto | native | custom: auto = the compiled kernel on
                                  # the CPU platform (omm_cx.forcefield.native)
    max_wall_time: null           # budget of each start/resume: seconds, 90m, 2h, 1:30:00;
                                  # the run stops with a checkpoint before it runs out
                                  # (exit 4, status 'stopped'; see omm_cx.simulation.walltime)

The choices (``ensemble``, ``barostat``, ``report.trajectory_format``, ``precision``) are read
case-insensitively into the string enums of :mod:`omm_cx.choices`.

Time-step rule (documented, enforced): ``timestep_fs`` must be at most
:data:`MAX_TIMESTEP_FS` (5 fs), and at most 0.5 fs x sqrt(lightest mass / amu) once the
system is known (Cu 3.99 fs, Se 4.44 fs; a hydrogen would get 0.5 fs). The lightest ions
here vibrate with periods of ~150 fs (CdSe LO phonon, 6 THz); 2 fs (the default) gives
~75 steps per period and conserves energy well (see tests/integration/test_run_physics.py); 5 fs is
the largest step we accept for these rigid-ion models.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from omm_cx import units
from omm_cx.io.validation import validate_input
from omm_cx.io.yaml_input import ConfigError, load_yaml
from omm_cx.choices import Barostat, Ensemble, Precision, SourceKind, TrajectoryFormat
from omm_cx.simulation.config_schema import (
    ABORT_TEMPERATURE_FACTOR,
    BAROSTATS,
    DEFAULT_REPORT_PS,
    ENSEMBLES,
    MASS_RULE_FS,
    MAX_TIMESTEP_FS,
    PRECISIONS,
    TRAJECTORY_FORMATS,
    RunConfigInput,
    resolve,
    to_choice,
)
from omm_cx.simulation.walltime import parse_duration

__all__ = [
    "ABORT_TEMPERATURE_FACTOR", "BAROSTATS", "DEFAULT_REPORT_PS", "ENSEMBLES", "MASS_RULE_FS",
    "MAX_TIMESTEP_FS", "PRECISIONS", "RESUMABLE_CHANGES", "TRAJECTORY_FORMATS", "ConfigError",
    "Reporting", "RunConfig", "check_timestep_for_masses", "load_config",
]

#: Keys that may change when a run is resumed (everything else must match).
RESUMABLE_CHANGES = ("steps", "length_ns", "platform", "precision", "short_range_kernel",
                     "abort_temperature_K", "minimize", "minimize_tolerance_eV_per_A",
                     "minimize_max_iterations", "description", "max_wall_time_s")


@dataclass(frozen=True)
class Reporting:
    """Report intervals in steps and the trajectory format."""

    trajectory_steps: int
    state_steps: int
    checkpoint_steps: int
    trajectory_format: TrajectoryFormat = TrajectoryFormat.DCD


@dataclass(frozen=True)
class RunConfig:
    """A validated run configuration. Paths are absolute; intervals are in steps."""

    source_kind: SourceKind             # build | recipe | system
    source: dict                        # {"path"} | {"recipe"} | {"forcefield", "structure", ...}
    ensemble: Ensemble
    temperature_K: float
    timestep_fs: float
    total_steps: int
    report: Reporting
    friction_per_ps: float = 1.0
    pressure_GPa: float | None = None
    barostat: Barostat | None = None
    barostat_interval_steps: int = 25
    minimize: bool = True
    minimize_tolerance_eV_per_A: float = 0.01
    minimize_max_iterations: int = 0
    abort_temperature_K: float = 0.0
    platform: str | None = None
    precision: Precision | None = None
    pme: tuple[float, tuple[int, int, int]] | None = None   # (alpha 1/nm, grid) or the tolerance
    short_range_kernel: str = "auto"   # auto | native | custom
    max_wall_time_s: float | None = None   # wall-time budget of each segment (s)
    seed: int | None = None
    origin: str = "run config"
    raw: dict = field(default_factory=dict, compare=False)

    @property
    def timestep_ps(self) -> float:
        return units.fs_to_ps(self.timestep_fs)

    @property
    def length_ps(self) -> float:
        return self.total_steps * self.timestep_ps

    def with_overrides(self, *, steps: int | None = None, platform: str | None = None,
                       precision: str | None = None,
                       max_wall_time: float | str | None = None) -> "RunConfig":
        """A copy with the command-line overrides applied (and checked); ``max_wall_time``
        in seconds or as text (``90m``, ``2h``, ``1:30:00``)."""
        cfg = self
        if steps is not None:
            if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
                raise ConfigError(f"--steps: expected a positive whole number, got {steps!r}")
            cfg = replace(cfg, total_steps=steps)
        if platform is not None:
            cfg = replace(cfg, platform=str(platform))
        if precision is not None:
            try:
                cfg = replace(cfg, precision=to_choice(Precision, precision))
            except ValueError as exc:
                raise ConfigError(f"--precision: {exc}") from None
        if max_wall_time is not None:
            try:
                cfg = replace(cfg, max_wall_time_s=parse_duration(max_wall_time))
            except ValueError as exc:
                raise ConfigError(f"--max-wall-time: {exc}") from None
        return cfg

    def as_dict(self) -> dict:
        """JSON-ready resolved settings (what the run actually uses)."""
        def text(choice):
            return None if choice is None else str(choice)

        return {
            "source_kind": text(self.source_kind),
            "source": dict(self.source),
            "ensemble": text(self.ensemble),
            "temperature_K": self.temperature_K,
            "friction_per_ps": self.friction_per_ps if self.ensemble != Ensemble.NVE else None,
            "pressure_GPa": self.pressure_GPa,
            "barostat": text(self.barostat),
            "barostat_interval_steps": (self.barostat_interval_steps
                                        if self.ensemble == Ensemble.NPT else None),
            "timestep_fs": self.timestep_fs,
            "steps": self.total_steps,
            "length_ns": units.ps_to_ns(self.length_ps),
            "minimize": self.minimize,
            "minimize_tolerance_eV_per_A": self.minimize_tolerance_eV_per_A,
            "minimize_max_iterations": self.minimize_max_iterations,
            "abort_temperature_K": self.abort_temperature_K,
            "report": {
                "trajectory_steps": self.report.trajectory_steps,
                "state_steps": self.report.state_steps,
                "checkpoint_steps": self.report.checkpoint_steps,
                "trajectory_format": text(self.report.trajectory_format),
            },
            "platform": self.platform,
            "precision": text(self.precision),
            "pme": None if self.pme is None else {"alpha_per_nm": self.pme[0],
                                                  "grid": list(self.pme[1])},
            "short_range_kernel": self.short_range_kernel,
            "max_wall_time_s": self.max_wall_time_s,
            "seed": self.seed,
        }


def check_timestep_for_masses(cfg: RunConfig, lightest_mass_amu: float, lightest: str) -> None:
    """Raise :class:`ConfigError` when ``timestep_fs`` breaks the mass rule (see module doc)."""
    limit = min(MAX_TIMESTEP_FS, MASS_RULE_FS * math.sqrt(lightest_mass_amu))
    if cfg.timestep_fs > limit + 1e-12:
        raise ConfigError(
            f"{cfg.origin}: key 'timestep_fs': {cfg.timestep_fs:g} fs is too large for stable MD "
            f"with the lightest particle {lightest} ({lightest_mass_amu:g} amu); the rule is "
            f"timestep_fs <= min({MAX_TIMESTEP_FS:g}, {MASS_RULE_FS:g} x sqrt(mass/amu)) = "
            f"{limit:.2f} fs; use 2 fs"
        )


def load_config(config: str | os.PathLike | Mapping[str, Any],
                base_dir: str | os.PathLike | None = None) -> RunConfig:
    """Read and validate a run configuration.

    ``config``: a YAML file or a mapping. Relative paths inside it are resolved against
    the file's folder (for a mapping: ``base_dir``, default the current directory). The
    whole file is checked (:class:`~omm_cx.simulation.config_schema.RunConfigInput`, then
    the keys that relate to each other) before anything runs.
    Raises :class:`~omm_cx.io.yaml_input.ConfigError` naming the key at fault.
    """
    if isinstance(config, Mapping):
        doc = dict(config)
        origin = "run config"
        base = Path(base_dir) if base_dir is not None else Path.cwd()
    else:
        path = Path(config)
        origin = str(path)
        doc = load_yaml(path, "run config")
        base = Path(base_dir) if base_dir is not None else path.resolve().parent
    model = validate_input(RunConfigInput, doc, origin)
    fields = resolve(model, doc, origin, base.resolve())
    return RunConfig(**{**fields, "report": Reporting(**fields["report"])})
