"""The run configuration's schema (pydantic) and its checks that relate several keys.

:class:`RunConfigInput` holds every key, its type, range and default (keys and units are
described in :mod:`omm_cx.simulation.config`); :func:`resolve` checks the system source,
the ensemble-only keys, the run length and the report intervals and gives the fields of
the :class:`~omm_cx.simulation.config.RunConfig` (paths resolved, intervals in steps).
"""

from __future__ import annotations

import enum
import os
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator

from omm_cx import units
from omm_cx.io.validation import InputModel, Positive, Whole, key_error
from omm_cx.choices import Barostat, Ensemble, Precision, SourceKind, TrajectoryFormat
from omm_cx.choices import ChargePolicy
from omm_cx.simulation.walltime import parse_duration

#: The accepted strings of each choice (the values of the enums of
#: :mod:`omm_cx.choices`).
ENSEMBLES = tuple(e.value for e in Ensemble)
BAROSTATS = tuple(e.value for e in Barostat)
TRAJECTORY_FORMATS = tuple(e.value for e in TrajectoryFormat)
PRECISIONS = tuple(e.value for e in Precision)
#: Largest accepted time step (fs), whatever the masses.
MAX_TIMESTEP_FS = 5.0
#: Mass rule: timestep_fs <= MASS_RULE_FS * sqrt(lightest mass / amu).
MASS_RULE_FS = 0.5
#: Default abort temperature as a multiple of temperature_K.
ABORT_TEMPERATURE_FACTOR = 3.0
#: Default report intervals in ps.
DEFAULT_REPORT_PS = {"trajectory": 2.0, "state": 1.0, "checkpoint": 20.0}
_REPORT_KINDS = ("trajectory", "state", "checkpoint")
_SOURCES = tuple(e.value for e in SourceKind)

StepCount = Annotated[Whole, Field(ge=1)]


def to_choice(kind: type[enum.Enum], value: Any) -> Any:
    """``value`` as a member of the string enum ``kind`` (case-insensitive); ValueError
    naming the accepted strings."""
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        try:
            return kind(value.lower())
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not one of {', '.join(e.value for e in kind)}")


def choice(kind: type[enum.Enum]) -> Any:
    """A field type: one of the strings of the enum ``kind``, validated into the enum."""
    return Annotated[kind, BeforeValidator(lambda v: to_choice(kind, v))]


def _duration(v: Any) -> Any:
    return v if v is None else parse_duration(v)


#: A duration in seconds, written as seconds or as text (``90m``, ``2h``, ``1:30:00``).
Duration = Annotated[float, BeforeValidator(_duration), WithJsonSchema({
    "anyOf": [{"type": "number", "exclusiveMinimum": 0},
              {"type": "string", "pattern": r"^\s*(\d+(\.\d*)?\s*[a-zA-Z]*|(\d+-)?\d+:\d{1,2}:\d{1,2})\s*$"}]})]


class SystemInput(InputModel):
    """``system:`` a PDB file and a force field."""

    forcefield: str = Field(min_length=1, description="a force-field name such as "
                            "'pbcdse+psl-nonpreferential'")
    structure: str = Field(min_length=1, description="a PDB file (atom names = species, box "
                           "in CRYST1), relative to the config file's folder")
    dispersion_correction: bool = False
    ewald_error_tolerance: Annotated[float, Field(gt=0, le=0.1)] = 5e-4
    guard: bool = Field(True, description="Buckingham-catastrophe wall")
    vacuum_method: Literal["all-pairs", "short-range-cutoff"] = Field(
        "all-pairs", description="a structure without CRYST1 (in vacuum): 'all-pairs' (every "
        "term, no cutoff) or 'short-range-cutoff' (Coulomb over all pairs, short-range terms "
        "within the force field's cutoff; the force error against all pairs is measured and "
        "recorded in build.json)")
    charge_policy: choice(ChargePolicy) = Field(
        ChargePolicy.NEUTRAL, description="neutral: a net charge in a periodic box is an error; "
        "background: allowed, with the uniform neutralising background of PME (003's charged "
        "cells), recorded in build.json")


class ReportInput(InputModel):
    """``report:`` intervals in ps (or in steps) and the trajectory format."""

    trajectory_ps: Optional[Positive] = None
    trajectory_steps: Optional[StepCount] = None
    state_ps: Optional[Positive] = None
    state_steps: Optional[StepCount] = None
    checkpoint_ps: Optional[Positive] = None
    checkpoint_steps: Optional[StepCount] = None
    trajectory_format: choice(TrajectoryFormat) = TrajectoryFormat.DCD


class PmeInput(InputModel):
    """``pme:`` explicit PME parameters instead of the system's Ewald tolerance (e.g. the
    tuned row of ``omm-cx bench``)."""

    alpha_per_nm: Annotated[float, Field(gt=0, le=20)] = Field(
        description="Ewald splitting parameter, 1/nm")
    grid: Annotated[list[Annotated[int, Field(ge=8, le=1024)]], Field(min_length=3, max_length=3)] = Field(
        description="PME grid points along the three box vectors, e.g. [75, 75, 75]")


class RunConfigInput(InputModel):
    """A run configuration as written (see :mod:`omm_cx.simulation.config`)."""

    build: Optional[str] = Field(None, description="a build directory")
    recipe: Optional[str] = Field(None, description="a recipe name or file")
    system: Optional[SystemInput] = None
    description: Optional[str] = None
    seed: Optional[Annotated[Whole, Field(ge=0, le=2**31 - 1)]] = None
    ensemble: choice(Ensemble) = Ensemble.NVT
    temperature_K: Positive = Field(description="the thermostat temperature in K (for nve: "
                                    "the temperature of the initial velocities)")
    friction_per_ps: Optional[Positive] = None
    pressure_GPa: Optional[Annotated[float, Field(ge=-10, le=100)]] = None
    barostat: Optional[choice(Barostat)] = None
    barostat_interval_steps: StepCount = 25
    timestep_fs: Positive = Field(2.0, json_schema_extra={"maximum": MAX_TIMESTEP_FS})
    length_ns: Optional[Positive] = None
    steps: Optional[StepCount] = None
    minimize: bool = True
    minimize_tolerance_eV_per_A: Positive = 0.01
    minimize_max_iterations: Annotated[Whole, Field(ge=0)] = 0
    abort_temperature_K: Optional[Positive] = None
    report: ReportInput = Field(default_factory=ReportInput)
    pme: Optional[PmeInput] = None
    platform: Optional[str] = Field(None, description="CUDA, OpenCL, CPU or Reference; null: "
                                    "the fastest available")
    precision: Optional[choice(Precision)] = None
    short_range_kernel: Literal["auto", "native", "custom"] = Field(
        "auto", description="auto: the compiled native kernel on the CPU platform, the "
        "CustomNonbondedForce elsewhere; native or custom to force one")
    max_wall_time: Optional[Duration] = Field(
        None, description="wall-time budget of each start or resume: seconds, or text such "
        "as 90m, 2h, 1:30:00; the run stops with a checkpoint before it runs out (exit 4)")

    @field_validator("timestep_fs")
    @classmethod
    def _timestep_limit(cls, v: float) -> float:
        if v > MAX_TIMESTEP_FS:
            raise ValueError(f"{v:g} fs is too large for stable MD of these ionic systems; the "
                             f"limit is {MAX_TIMESTEP_FS:g} fs (and {MASS_RULE_FS:g} fs x "
                             f"sqrt(lightest mass/amu)); use 2 fs")
        return v


class _Checker:
    """The checks of a validated config that relate several keys or the file system."""

    def __init__(self, model: RunConfigInput, origin: str, base: Path):
        self.m, self.origin, self.base = model, origin, base

    def fail(self, key: str, problem: str) -> Exception:
        return key_error(self.origin, key, problem)

    def path(self, value: str, key: str, *, must_be: str) -> Path:
        p = Path(value).expanduser()
        p = p if p.is_absolute() else self.base / p
        if not (p.is_dir() if must_be == "dir" else p.is_file()):
            what = "folder" if must_be == "dir" else "file"
            where = ("the config file's folder" if self.origin != "run config"
                     else "base_dir, default the current folder")
            raise self.fail(key, f"{what} {str(p)!r} not found (relative paths are resolved "
                                 f"against {str(self.base)!r}, {where})")
        return p.resolve()

    def source(self) -> tuple[str, dict]:
        given = [k for k in _SOURCES if getattr(self.m, k) is not None]
        if len(given) != 1:
            problem = "none is given" if not given else f"{' and '.join(given)} are given"
            raise key_error(self.origin, "", "the system source needs exactly one of the keys "
                            "'build' (a build directory), 'recipe' (a recipe name or file) or "
                            f"'system' (forcefield + structure); {problem}")
        kind = given[0]
        if kind == "build":
            return kind, {"path": str(self.path(self.m.build, "build", must_be="dir"))}
        if kind == "recipe":
            value = self.m.recipe
            if not value:
                raise self.fail("recipe", f"expected a recipe name or a path, got {value!r}")
            if value.endswith((".yaml", ".yml")) or "/" in value or os.sep in value:
                return kind, {"recipe": str(self.path(value, "recipe", must_be="file"))}
            local = self.base / value
            return kind, {"recipe": str(local.resolve()) if local.is_file() else value}
        s = self.m.system
        return kind, {
            "forcefield": s.forcefield,
            "structure": str(self.path(s.structure, "system.structure", must_be="file")),
            "dispersion_correction": s.dispersion_correction,
            "ewald_error_tolerance": s.ewald_error_tolerance,
            "guard": s.guard,
            "vacuum_method": s.vacuum_method,
            "charge_policy": s.charge_policy.value,
        }

    def ensemble_keys(self) -> None:
        given = self.m.model_fields_set
        if self.m.ensemble == Ensemble.NVE and "friction_per_ps" in given:
            raise self.fail("friction_per_ps", "has no meaning for ensemble nve (no "
                                               "thermostat); remove it or use ensemble nvt")
        if self.m.ensemble != Ensemble.NPT:
            for key in ("pressure_GPa", "barostat", "barostat_interval_steps"):
                if key in given:
                    raise self.fail(key, f"only applies to ensemble npt (this config has "
                                         f"ensemble {self.m.ensemble}); remove it or set "
                                         f"ensemble: npt")

    def ps_to_steps(self, ps: float, key: str) -> int:
        dt = self.m.timestep_fs
        n = ps / units.fs_to_ps(dt)
        if n < 0.5 or abs(n - round(n)) > 1e-6 * max(1.0, n):
            raise self.fail(key, f"{ps:g} ps is not a whole number of {dt:g} fs time "
                                 f"steps ({n:.4g}); pick a multiple of the time step")
        return int(round(n))

    def total_steps(self) -> int:
        given = self.m.model_fields_set
        if ("steps" in given) == ("length_ns" in given):
            raise key_error(self.origin, "", "give the run length as exactly one of the keys "
                            "'length_ns' (simulated time) or 'steps'")
        if self.m.steps is not None:
            return self.m.steps
        if self.m.length_ns is None:
            raise self.fail("length_ns", "required: the simulated time in ns; got null")
        return self.ps_to_steps(units.ns_to_ps(self.m.length_ns), "length_ns")

    def report_steps(self) -> dict[str, int]:
        rep = self.m.report
        steps = {}
        for kind in _REPORT_KINDS:
            k_ps, k_steps = f"{kind}_ps", f"{kind}_steps"
            if k_ps in rep.model_fields_set and k_steps in rep.model_fields_set:
                raise self.fail(f"report.{k_ps}", f"give report.{k_ps} or report.{k_steps}, "
                                                  "not both")
            if getattr(rep, k_steps) is not None:
                steps[kind] = getattr(rep, k_steps)
            else:
                ps = getattr(rep, k_ps)
                steps[kind] = self.ps_to_steps(DEFAULT_REPORT_PS[kind] if ps is None else ps,
                                               f"report.{k_ps}")
        return steps

    def abort_temperature(self) -> float:
        t, abort = self.m.temperature_K, self.m.abort_temperature_K
        if abort is None:
            return ABORT_TEMPERATURE_FACTOR * t
        if abort <= t:
            raise self.fail("abort_temperature_K", f"{abort!r} K is impossible, must be > "
                                                   f"{t:g} K (temperature_K)")
        return abort


def resolve(model: RunConfigInput, doc: dict, origin: str, base: Path) -> dict:
    """The fields of :class:`~omm_cx.simulation.config.RunConfig` for a validated config
    (``report``: the fields of its ``Reporting``); raises
    :class:`~omm_cx.io.yaml_input.ConfigError` for keys that contradict each other."""
    c, m = _Checker(model, origin, base), model
    kind, source = c.source()
    c.ensemble_keys()
    npt = m.ensemble == Ensemble.NPT
    total = c.total_steps()
    steps = c.report_steps()
    return dict(
        source_kind=SourceKind(kind), source=source, ensemble=m.ensemble, temperature_K=m.temperature_K,
        timestep_fs=m.timestep_fs, total_steps=total,
        report={"trajectory_steps": steps["trajectory"], "state_steps": steps["state"],
                "checkpoint_steps": steps["checkpoint"],
                "trajectory_format": m.report.trajectory_format},
        friction_per_ps=1.0 if m.friction_per_ps is None else m.friction_per_ps,
        pressure_GPa=(0.0 if m.pressure_GPa is None else m.pressure_GPa) if npt else None,
        barostat=(m.barostat or Barostat.ISOTROPIC) if npt else None,
        barostat_interval_steps=m.barostat_interval_steps,
        minimize=m.minimize, minimize_tolerance_eV_per_A=m.minimize_tolerance_eV_per_A,
        minimize_max_iterations=m.minimize_max_iterations,
        abort_temperature_K=c.abort_temperature(), platform=m.platform, precision=m.precision,
        pme=None if m.pme is None else (m.pme.alpha_per_nm, tuple(m.pme.grid)),
        short_range_kernel=m.short_range_kernel,
        max_wall_time_s=m.max_wall_time, seed=m.seed, origin=origin, raw=dict(doc),
    )
