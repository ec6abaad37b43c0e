"""Run configuration: a YAML file (or dict) -> a validated :class:`RunConfig`.

Every error names the file and the key and says what would be accepted. Units are in
the key names (``temperature_K``, ``timestep_fs``, ``pressure_GPa``, ...). A complete
example with every key and its default::

    # exactly one system source:
    system:                       # a PDB file + a force field (species = atom names,
      forcefield: pbcdse+psl-nonpreferential   # box = CRYST1)
      structure: quick/structure.pdb           # relative to this file's folder
      dispersion_correction: false
      ewald_error_tolerance: 5.0e-4
      guard: true                 # Buckingham-catastrophe wall
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
    platform: null                # CUDA > OpenCL > CPU when null
    precision: null               # single | mixed | double; null = mixed on GPUs

Time-step rule (documented, enforced): ``timestep_fs`` must be at most
:data:`MAX_TIMESTEP_FS` (5 fs), and at most 0.5 fs x sqrt(lightest mass / amu) once the
system is known (Cu 3.99 fs, Se 4.44 fs; a hydrogen would get 0.5 fs). The lightest ions
here vibrate with periods of ~150 fs (CdSe LO phonon, 6 THz); 2 fs (the default) gives
~75 steps per period and conserves energy well (see tests/test_run_physics.py); 5 fs is
the largest step we accept for these rigid-ion models.
"""

from __future__ import annotations

import difflib
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping


from omm_cx import units
from omm_cx.io.yaml_input import ConfigError, load_yaml

ENSEMBLES = ("nvt", "npt", "nve")
BAROSTATS = ("isotropic", "anisotropic")
TRAJECTORY_FORMATS = ("dcd", "xtc")
PRECISIONS = ("single", "mixed", "double")
#: Largest accepted time step (fs), whatever the masses.
MAX_TIMESTEP_FS = 5.0
#: Mass rule: timestep_fs <= MASS_RULE_FS * sqrt(lightest mass / amu).
MASS_RULE_FS = 0.5
#: Default abort temperature as a multiple of temperature_K.
ABORT_TEMPERATURE_FACTOR = 3.0

_SOURCES = ("build", "recipe", "system")
_TOP_KEYS = (
    "build", "recipe", "system", "seed", "ensemble", "temperature_K", "friction_per_ps",
    "pressure_GPa", "barostat", "barostat_interval_steps", "timestep_fs", "length_ns",
    "steps", "minimize", "minimize_tolerance_eV_per_A", "minimize_max_iterations",
    "abort_temperature_K", "report", "platform", "precision", "description",
)
_SYSTEM_KEYS = ("forcefield", "structure", "dispersion_correction", "ewald_error_tolerance",
                "guard")
_REPORT_KINDS = ("trajectory", "state", "checkpoint")
_REPORT_KEYS = tuple(f"{k}_{u}" for k in _REPORT_KINDS for u in ("ps", "steps")) + (
    "trajectory_format",)
#: Default report intervals in ps.
DEFAULT_REPORT_PS = {"trajectory": 2.0, "state": 1.0, "checkpoint": 20.0}
#: Keys that may change when a run is resumed (everything else must match).
RESUMABLE_CHANGES = ("steps", "length_ns", "platform", "precision", "abort_temperature_K",
                     "minimize", "minimize_tolerance_eV_per_A", "minimize_max_iterations",
                     "description")


@dataclass(frozen=True)
class Reporting:
    """Report intervals in steps and the trajectory format."""

    trajectory_steps: int
    state_steps: int
    checkpoint_steps: int
    trajectory_format: str = "dcd"


@dataclass(frozen=True)
class RunConfig:
    """A validated run configuration. Paths are absolute; intervals are in steps."""

    source_kind: str                    # "build" | "recipe" | "system"
    source: dict                        # {"path"} | {"recipe"} | {"forcefield", "structure", ...}
    ensemble: str
    temperature_K: float
    timestep_fs: float
    total_steps: int
    report: Reporting
    friction_per_ps: float = 1.0
    pressure_GPa: float | None = None
    barostat: str | None = None
    barostat_interval_steps: int = 25
    minimize: bool = True
    minimize_tolerance_eV_per_A: float = 0.01
    minimize_max_iterations: int = 0
    abort_temperature_K: float = 0.0
    platform: str | None = None
    precision: str | None = None
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
                       precision: str | None = None) -> "RunConfig":
        """A copy with the command-line overrides applied (and checked)."""
        cfg = self
        if steps is not None:
            if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
                raise ConfigError(f"--steps: expected a positive whole number, got {steps!r}")
            cfg = replace(cfg, total_steps=steps)
        if platform is not None:
            cfg = replace(cfg, platform=str(platform))
        if precision is not None:
            if precision not in PRECISIONS:
                raise ConfigError(f"--precision: {precision!r} is not one of "
                                  f"{', '.join(PRECISIONS)}")
            cfg = replace(cfg, precision=precision)
        return cfg

    def as_dict(self) -> dict:
        """JSON-ready resolved settings (what the run actually uses)."""
        return {
            "source_kind": self.source_kind,
            "source": dict(self.source),
            "ensemble": self.ensemble,
            "temperature_K": self.temperature_K,
            "friction_per_ps": self.friction_per_ps if self.ensemble != "nve" else None,
            "pressure_GPa": self.pressure_GPa,
            "barostat": self.barostat,
            "barostat_interval_steps": (self.barostat_interval_steps
                                        if self.ensemble == "npt" else None),
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
                "trajectory_format": self.report.trajectory_format,
            },
            "platform": self.platform,
            "precision": self.precision,
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
    the file's folder (for a mapping: ``base_dir``, default the current directory).
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
    return _Reader(doc, origin, base.resolve()).config()


class _Reader:
    def __init__(self, doc: dict, origin: str, base: Path):
        self.doc, self.origin, self.base = doc, origin, base

    # -- helpers -----------------------------------------------------------------------
    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.origin}: key {key!r}: {problem}")

    def unknown(self, doc: dict, allowed: tuple[str, ...], prefix: str = "") -> None:
        for key in doc:
            if key not in allowed:
                near = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f" (did you mean {prefix + near[0]!r}?)" if near else ""
                raise ConfigError(
                    f"{self.origin}: unknown key {prefix + str(key)!r}{hint}; allowed keys"
                    f"{' in ' + prefix.rstrip('.') if prefix else ''}: {', '.join(allowed)}"
                )

    def number(self, doc: dict, key: str, default, *, name: str | None = None, unit: str = "",
               minimum: float | None = None, strict: bool = False,
               maximum: float | None = None, integer: bool = False):
        name = name or key
        v = doc.get(key, default)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(name, f"expected a number{' in ' + unit if unit else ''}, got {v!r}")
        if not math.isfinite(float(v)):
            raise self.fail(name, f"{v!r} is not finite")
        if integer and not float(v).is_integer():
            raise self.fail(name, f"expected a whole number, got {v!r}")
        u = f" {unit}" if unit else ""
        if minimum is not None and (v < minimum or (strict and v == minimum)):
            raise self.fail(name, f"{v!r}{u} is impossible, must be {'>' if strict else '>='} "
                                  f"{minimum:g}{u}")
        if maximum is not None and v > maximum:
            raise self.fail(name, f"{v!r}{u} is too large, must be <= {maximum:g}{u}")
        return int(v) if integer else float(v)

    def choice(self, doc: dict, key: str, default, choices, *, name: str | None = None):
        v = doc.get(key, default)
        if v is None:
            return None
        if not isinstance(v, str) or v.lower() not in choices:
            raise self.fail(name or key, f"{v!r} is not one of {', '.join(choices)}")
        return v.lower()

    def boolean(self, doc: dict, key: str, default: bool, *, name: str | None = None) -> bool:
        v = doc.get(key, default)
        if not isinstance(v, bool):
            raise self.fail(name or key, f"expected true or false, got {v!r}")
        return v

    def path(self, value, key: str, *, must_be: str) -> Path:
        if not isinstance(value, (str, os.PathLike)) or not str(value):
            raise self.fail(key, f"expected a path, got {value!r}")
        p = Path(value).expanduser()
        p = p if p.is_absolute() else self.base / p
        ok = p.is_dir() if must_be == "dir" else p.is_file()
        if not ok:
            what = "folder" if must_be == "dir" else "file"
            where = ("the config file's folder" if self.origin != "run config"
                     else "base_dir, default the current folder")
            raise self.fail(key, f"{what} {str(p)!r} not found (relative paths are resolved "
                                 f"against {str(self.base)!r}, {where})")
        return p.resolve()

    # -- sections ----------------------------------------------------------------------
    def source(self) -> tuple[str, dict]:
        given = [k for k in _SOURCES if self.doc.get(k) is not None]
        if len(given) != 1:
            problem = "none is given" if not given else f"{' and '.join(given)} are given"
            raise ConfigError(
                f"{self.origin}: the system source needs exactly one of the keys 'build' (a "
                f"build directory), 'recipe' (a recipe name or file) or 'system' (forcefield + "
                f"structure); {problem}"
            )
        kind = given[0]
        value = self.doc[kind]
        if kind == "build":
            return kind, {"path": str(self.path(value, "build", must_be="dir"))}
        if kind == "recipe":
            if not isinstance(value, str) or not value:
                raise self.fail("recipe", f"expected a recipe name or a path, got {value!r}")
            local = self.base / value
            looks_like_path = value.endswith((".yaml", ".yml")) or "/" in value or os.sep in value
            if looks_like_path:
                return kind, {"recipe": str(self.path(value, "recipe", must_be="file"))}
            return kind, {"recipe": str(local.resolve()) if local.is_file() else value}
        if not isinstance(value, dict):
            raise self.fail("system", "expected a mapping with keys forcefield and structure, "
                                      f"got {value!r}")
        self.unknown(value, _SYSTEM_KEYS, "system.")
        ff = value.get("forcefield")
        if not isinstance(ff, str) or not ff:
            raise self.fail("system.forcefield", "required: a force-field name such as "
                                                 f"'pbcdse+psl-nonpreferential', got {ff!r}")
        if "structure" not in value:
            raise self.fail("system.structure", "required: a PDB file (atom names = species, "
                                                "box in CRYST1)")
        structure = self.path(value["structure"], "system.structure", must_be="file")
        tol = self.number(value, "ewald_error_tolerance", 5e-4, name="system.ewald_error_tolerance",
                          minimum=0, strict=True, maximum=0.1)
        return kind, {
            "forcefield": ff,
            "structure": str(structure),
            "dispersion_correction": self.boolean(value, "dispersion_correction", False,
                                                  name="system.dispersion_correction"),
            "ewald_error_tolerance": tol,
            "guard": self.boolean(value, "guard", True, name="system.guard"),
        }

    def reporting(self, timestep_fs: float) -> Reporting:
        rep = self.doc.get("report") or {}
        if not isinstance(rep, dict):
            raise self.fail("report", f"expected a mapping (trajectory_ps, state_ps, "
                                      f"checkpoint_ps, ...), got {rep!r}")
        self.unknown(rep, _REPORT_KEYS, "report.")
        steps = {}
        for kind in _REPORT_KINDS:
            k_ps, k_steps = f"{kind}_ps", f"{kind}_steps"
            if k_ps in rep and k_steps in rep:
                raise self.fail(f"report.{k_ps}", f"give report.{k_ps} or report.{k_steps}, "
                                                  "not both")
            if k_steps in rep:
                steps[kind] = self.number(rep, k_steps, None, name=f"report.{k_steps}",
                                          minimum=1, integer=True)
            else:
                ps = self.number(rep, k_ps, DEFAULT_REPORT_PS[kind], name=f"report.{k_ps}",
                                 unit="ps", minimum=0, strict=True)
                steps[kind] = self.ps_to_steps(ps, timestep_fs, f"report.{k_ps}")
        fmt = self.choice(rep, "trajectory_format", "dcd", TRAJECTORY_FORMATS,
                          name="report.trajectory_format")
        return Reporting(steps["trajectory"], steps["state"], steps["checkpoint"], fmt)

    def ps_to_steps(self, ps: float, timestep_fs: float, key: str) -> int:
        n = ps / units.fs_to_ps(timestep_fs)
        if n < 0.5 or abs(n - round(n)) > 1e-6 * max(1.0, n):
            raise self.fail(key, f"{ps:g} ps is not a whole number of {timestep_fs:g} fs time "
                                 f"steps ({n:.4g}); pick a multiple of the time step")
        return int(round(n))

    def config(self) -> RunConfig:
        doc = self.doc
        self.unknown(doc, _TOP_KEYS)
        kind, source = self.source()
        ensemble = self.choice(doc, "ensemble", "nvt", ENSEMBLES)
        if "temperature_K" not in doc:
            raise self.fail("temperature_K", "required: the thermostat temperature in K (for "
                                             "nve: the temperature of the initial velocities)")
        temperature = self.number(doc, "temperature_K", None, unit="K", minimum=0, strict=True)
        friction = self.number(doc, "friction_per_ps", 1.0, unit="1/ps", minimum=0, strict=True)
        if ensemble == "nve" and "friction_per_ps" in doc:
            raise self.fail("friction_per_ps", "has no meaning for ensemble nve (no thermostat); "
                                               "remove it or use ensemble nvt")
        pressure = self.number(doc, "pressure_GPa", None, unit="GPa", minimum=-10, maximum=100)
        barostat = self.choice(doc, "barostat", None, BAROSTATS)
        interval = self.number(doc, "barostat_interval_steps", 25, minimum=1, integer=True)
        if ensemble != "npt":
            for key in ("pressure_GPa", "barostat", "barostat_interval_steps"):
                if key in doc:
                    raise self.fail(key, f"only applies to ensemble npt (this config has "
                                         f"ensemble {ensemble}); remove it or set ensemble: npt")
        else:
            pressure = 0.0 if pressure is None else pressure
            barostat = barostat or "isotropic"
        dt = self.number(doc, "timestep_fs", 2.0, unit="fs", minimum=0, strict=True)
        if dt > MAX_TIMESTEP_FS:
            raise self.fail("timestep_fs", f"{dt:g} fs is too large for stable MD of these ionic "
                                           f"systems; the limit is {MAX_TIMESTEP_FS:g} fs (and "
                                           f"{MASS_RULE_FS:g} fs x sqrt(lightest mass/amu)); "
                                           "use 2 fs")
        if ("steps" in doc) == ("length_ns" in doc):
            raise ConfigError(f"{self.origin}: give the run length as exactly one of the keys "
                              f"'length_ns' (simulated time) or 'steps'")
        if "steps" in doc:
            total = self.number(doc, "steps", None, minimum=1, integer=True)
        else:
            ns = self.number(doc, "length_ns", None, unit="ns", minimum=0, strict=True)
            total = self.ps_to_steps(units.ns_to_ps(ns), dt, "length_ns")
        report = self.reporting(dt)
        platform = doc.get("platform")
        if platform is not None and not isinstance(platform, str):
            raise self.fail("platform", f"expected a platform name (CUDA, OpenCL, CPU, "
                                        f"Reference) or null, got {platform!r}")
        seed = self.number(doc, "seed", None, minimum=0, maximum=2**31 - 1, integer=True)
        abort_t = self.number(doc, "abort_temperature_K", ABORT_TEMPERATURE_FACTOR * temperature,
                              unit="K", minimum=temperature, strict=True)
        if "description" in doc and not isinstance(doc["description"], str):
            raise self.fail("description", f"expected text, got {doc['description']!r}")
        return RunConfig(
            source_kind=kind, source=source, ensemble=ensemble, temperature_K=temperature,
            timestep_fs=dt, total_steps=total, report=report,
            friction_per_ps=friction, pressure_GPa=pressure, barostat=barostat,
            barostat_interval_steps=interval,
            minimize=self.boolean(doc, "minimize", True),
            minimize_tolerance_eV_per_A=self.number(doc, "minimize_tolerance_eV_per_A", 0.01,
                                                    unit="eV/Å", minimum=0, strict=True),
            minimize_max_iterations=self.number(doc, "minimize_max_iterations", 0, minimum=0,
                                                integer=True),
            abort_temperature_K=abort_t,
            platform=platform,
            precision=self.choice(doc, "precision", None, PRECISIONS),
            seed=seed, origin=self.origin, raw=dict(doc),
        )
