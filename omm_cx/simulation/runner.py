"""Run MD from a config into a run folder: fresh start, resume, checkpoints, failures.

    from omm_cx.simulation import run
    result = run("examples/quick.yaml", "out/quick")              # fresh
    result = run("examples/quick.yaml", "out/quick", resume=True)  # continue after a kill

The steps run in chunks of at most :data:`CHUNK_STEPS`; after each chunk the state is
checked (:mod:`omm_cx.simulation.health`) and a pending SIGTERM/SIGINT is honoured; a
checkpoint is written every ``report.checkpoint_*`` steps, at step 0, at a signal and at
the end -- never of a bad state. See :mod:`omm_cx.simulation.rundir` for the folder.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from omm_cx import units
from omm_cx.io.yaml_input import ConfigError
from omm_cx.simulation import checkpoint as ckpt
from omm_cx.simulation import health, outputs, provenance, rundir
from omm_cx.simulation.config import (
    RESUMABLE_CHANGES,
    RunConfig,
    check_timestep_for_masses,
    load_config,
)
from omm_cx.simulation.errors import RunDirError, RunInterrupted, SimulationError
from omm_cx.simulation.signals import StopRequest
from omm_cx.io.pdb import Structure, write_pdb

log = logging.getLogger("omm_cx.simulation")

#: Steps between health checks and signal checks (one extra energy evaluation each:
#: ~0.5 % of the cost of the steps).
CHUNK_STEPS = 200


@dataclass
class RunResult:
    """What a run did. ``status``: 'finished' or 'already finished' (nothing to do)."""

    out_dir: Path
    status: str
    steps: int
    total_steps: int
    time_ps: float
    platform: str
    wall_s: float = 0.0
    ns_per_day: float | None = None
    resumed_from_step: int | None = None
    files: dict[str, Path] = field(default_factory=dict)
    record: dict = field(default_factory=dict, repr=False)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _files(out: Path, fmt: str) -> dict[str, Path]:
    return {
        "trajectory": out / rundir.TRAJECTORY[fmt],
        "state_csv": out / rundir.STATE_CSV,
        "checkpoint": out / ckpt.CHECKPOINT_FILE,
        "checkpoint_xml": out / ckpt.STATE_FILE,
        "final_pdb": out / rundir.FINAL_PDB,
        "start_pdb": out / rundir.START_PDB,
        "run_json": out / rundir.RUN_JSON,
        "build": out / rundir.BUILD_DIR,
    }


def _decide(cfg: RunConfig, out: Path, resume: bool, overwrite: bool) -> tuple[str, dict | None]:
    """'fresh', 'resume' or 'done', and the previous run.json (None for fresh)."""
    if resume and overwrite:
        raise ConfigError("--resume and --overwrite exclude each other: --resume continues the "
                          "run in the folder, --overwrite deletes it and starts again")
    if out.exists() and not out.is_dir():
        raise RunDirError(f"{out}: exists and is not a folder; give another -o")
    state = rundir.folder_state(out)
    record = rundir.read_record(out)
    if overwrite or state == "empty":
        return "fresh", None
    if not resume:
        if state == "finished":
            raise RunDirError(
                f"{out}: holds a finished run ({record.get('steps_done')} steps); give another "
                f"-o, --overwrite to replace it, or --resume with a larger --steps to extend it")
        at = f" (last checkpoint at step {record.get('checkpoint_step')})" if record else ""
        raise RunDirError(
            f"{out}: holds an unfinished run{at}; use --resume to continue it or --overwrite "
            f"to delete it and start again ({', '.join(rundir.present_files(out))})")
    if not ckpt.has_checkpoint(out):
        log.warning("%s: no checkpoint yet (the run stopped before its first one); starting "
                    "from the beginning", out)
        return "fresh", None
    if record is None or record.get("format") != rundir.RUN_JSON_FORMAT:
        raise RunDirError(f"{out}: has a checkpoint but no readable {rundir.RUN_JSON}, so the "
                          f"settings of the run are unknown; use --overwrite to start again")
    if not (out / rundir.BUILD_DIR).is_dir():
        raise RunDirError(f"{out}: {rundir.BUILD_DIR}/ (the simulated system) is missing; "
                          f"cannot resume, use --overwrite to start again")
    _check_same_settings(cfg, record)
    done = int(record.get("checkpoint_step") or 0)
    if record.get("status") == "finished" and cfg.total_steps <= done:
        return "done", record
    if cfg.total_steps < done:
        raise ConfigError(f"--steps/length: {cfg.total_steps} steps is less than the "
                          f"{done} steps this run has already done")
    return "resume", record


def _check_same_settings(cfg: RunConfig, record: dict) -> None:
    old, new = dict(record.get("settings", {})), cfg.as_dict()
    if new.get("seed") is None:
        new["seed"] = old.get("seed")
    skip = set(RESUMABLE_CHANGES) | {"source", "source_kind"}
    diff = [k for k in sorted(set(old) | set(new)) if k not in skip and old.get(k) != new.get(k)]
    if diff:
        detail = "; ".join(f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in diff)
        raise ConfigError(
            f"{cfg.origin}: differs from the run being resumed in {detail}. A resume may change "
            f"only {', '.join(RESUMABLE_CHANGES)}; start a new run in another folder (e.g. from "
            f"the old final.pdb or build/) or use --overwrite")
    if old.get("source") != new.get("source"):
        log.warning("the config's system source differs from the run's; resuming with the "
                    "run's own system in build/")


def run(config, out_dir, *, steps: int | None = None, platform: str | None = None,
        precision: str | None = None, resume: bool = False, overwrite: bool = False,
        progress: bool | None = None) -> RunResult:
    """Run the MD that ``config`` describes into ``out_dir``.

    Parameters
    ----------
    config
        Path of a YAML run config, a mapping, or a :class:`RunConfig`.
    out_dir
        The run folder (created if needed).
    steps
        Total number of steps of the run (overrides ``steps``/``length_ns``; with
        ``resume`` it may extend a finished run).
    platform, precision
        Override the config's platform (CUDA, OpenCL, CPU, Reference) and precision.
    resume
        Continue from the folder's last checkpoint (start from the beginning when there is
        none yet); the trajectory and CSV are cut back to the checkpoint, then appended.
    overwrite
        Delete the folder's run files first (only those, see :mod:`rundir`).
    progress
        Progress line on stderr; None: only when stderr is a terminal.

    Raises
    ------
    ConfigError, RunDirError
        Bad settings or a folder that must not be touched (nothing is written then).
    SimulationError
        NaN/exploding energies; the last good checkpoint stays, run.json says 'failed'.
    RunInterrupted
        SIGTERM/SIGINT; a checkpoint was written, run.json says 'interrupted'.
    """
    cfg = config if isinstance(config, RunConfig) else load_config(config)
    cfg = cfg.with_overrides(steps=steps, platform=platform, precision=precision)
    out = Path(out_dir)
    mode, record = _decide(cfg, out, resume, overwrite)
    files = _files(out, cfg.report.trajectory_format)
    if mode == "done":
        log.info("%s: the run is already finished (%d steps)", out, record["steps_done"])
        return RunResult(out, "already finished", record["steps_done"], cfg.total_steps,
                         record["steps_done"] * cfg.timestep_ps, record["platform"]["name"],
                         files=files, record=record)
    return _Run(cfg, out, mode, record, files, progress).execute()


class _Run:
    """One segment of a run (fresh start or resume), from set-up to the last checkpoint."""

    def __init__(self, cfg: RunConfig, out: Path, mode: str, record: dict | None, files, progress):
        self.cfg, self.out, self.mode, self.record, self.files = cfg, out, mode, record, files
        self.progress_enabled = progress
        self.last_checkpoint: int | None = None
        self.sim = None
        self.progress = None
        self._t0 = None

    # -- set-up ----------------------------------------------------------------------------
    def _prepare(self):
        import openmm as mm

        from omm_cx.platforms import get_platform
        from omm_cx.simulation import engine, source

        cfg = self.cfg
        if self.mode == "resume":
            self.loaded = source.load_build_dir(self.out / rundir.BUILD_DIR)
            self.seed = int(self.record["seed"])
        else:
            self.loaded = source.load_source(cfg)
            self.seed = cfg.seed if cfg.seed is not None else secrets.randbelow(2**31 - 1) + 1
        name, mass = self.loaded.lightest()
        check_timestep_for_masses(cfg, mass, name)
        if cfg.ensemble == "npt" and self.loaded.structure.box_A is None:
            raise ConfigError(f"{cfg.origin}: key 'ensemble': npt needs a periodic box, and "
                              f"{self.loaded.description} has none")
        plat, props = get_platform(cfg.platform, cfg.precision)
        self.seeds = engine.derive_seeds(self.seed)
        system = mm.XmlSerializer.clone(self.loaded.system)
        engine.add_barostat(system, cfg, self.seeds)
        self.dof = health.degrees_of_freedom(system)
        self.sim = engine.make_simulation(self.loaded.structure, system, cfg, self.seeds, plat,
                                          props)
        self.platform = engine.platform_record(self.sim)
        self.engine = engine

    def _fresh_start(self):
        cfg, out, sim = self.cfg, self.out, self.sim
        out.mkdir(parents=True, exist_ok=True)
        rundir.clean(out)
        from omm_cx.simulation.source import write_run_build

        write_run_build(self.loaded, out / rundir.BUILD_DIR)
        self.engine.set_initial_state(sim, self.loaded.structure)
        minimization = None
        if cfg.minimize:
            e0 = self._potential_eV()
            if not math.isfinite(e0):
                raise health.failure(f"the starting structure has a non-finite energy ({e0})",
                                     cfg, None)
            log.info("minimizing (RMS force tolerance %g eV/Å)", cfg.minimize_tolerance_eV_per_A)
            tol = units.ev_per_angstrom_to_kjmol_nm(cfg.minimize_tolerance_eV_per_A)
            sim.minimizeEnergy(tolerance=tol, maxIterations=cfg.minimize_max_iterations)
            minimization = {"initial_energy_eV": e0, "final_energy_eV": self._potential_eV(),
                            "tolerance_eV_per_A": cfg.minimize_tolerance_eV_per_A}
            log.info("minimized: %.6g -> %.6g eV", e0, minimization["final_energy_eV"])
        write_pdb(self.files["start_pdb"], self._structure_now())
        sim.context.setVelocitiesToTemperature(cfg.temperature_K, self.seeds["velocities"])
        self.record = {
            "format": rundir.RUN_JSON_FORMAT,
            "status": "running",
            "message": "",
            "config_file": None if cfg.origin == "run config" else str(Path(cfg.origin).resolve()),
            "config": cfg.raw,
            "settings": {**cfg.as_dict(), "seed": self.seed},
            "seed": self.seed,
            "seed_source": "config" if cfg.seed is not None else "random (not in the config)",
            "seeds": self.seeds,
            "system": {"description": self.loaded.description, "n_atoms": self.loaded.n_atoms,
                       "degrees_of_freedom": self.dof,
                       "build_info": {k: v for k, v in self.loaded.info.items() if k != "groups"},
                       "groups": {k: len(v)
                                  for k, v in self.loaded.info.get("groups", {}).items()}},
            "platform": self.platform,
            "versions": provenance.versions(),
            "git_commit": provenance.git_commit(),
            "minimization": minimization,
            "trajectory": {
                "file": self.files["trajectory"].name,
                "interval_steps": cfg.report.trajectory_steps,
                "coordinates": "unwrapped: as integrated, enforcePeriodicBox=False (ions are "
                               "never wrapped into the box; analyses apply periodic images)",
                "first_frame_step": cfg.report.trajectory_steps,
            },
            "total_steps": cfg.total_steps,
            "steps_done": 0,
            "checkpoint_step": None,
            "time_ps": 0.0,
            "segments": [],
        }
        self._health_check()
        self._checkpoint()
        return 0

    def _resume(self) -> int:
        sim = self.sim
        try:
            reseed = self.engine.derive_seeds(self.seed + 7919 * len(self.record["segments"]))
            step, used, warning = ckpt.load_checkpoint(sim, self.out, reseed["integrator"])
        except FileNotFoundError as exc:
            raise RunDirError(f"{self.out}: no usable checkpoint ({exc}); use --overwrite to "
                              f"start again") from None
        if warning:
            log.warning(warning)
        rep = self.cfg.report
        outputs.roll_back_trajectory(self.files["trajectory"], rep.trajectory_format, step,
                                     rep.trajectory_steps)
        outputs.roll_back_csv(self.files["state_csv"], step, rep.state_steps)
        self.last_checkpoint = step
        self.record["platform"] = self.platform
        self.record["total_steps"] = self.cfg.total_steps
        new = self.cfg.as_dict()
        self.record["settings"].update({k: new[k] for k in RESUMABLE_CHANGES if k in new})
        log.info("resuming from %s at step %d (t = %.4g ps)", used, step,
                 step * self.cfg.timestep_ps)
        self._resumed_from = (step, used, warning)
        self._health_check()
        return step

    # -- helpers ---------------------------------------------------------------------------
    def _potential_eV(self) -> float:
        import openmm.unit as u

        e = self.sim.context.getState(getEnergy=True).getPotentialEnergy()
        return units.kjmol_to_ev(e.value_in_unit(u.kilojoule_per_mole))

    def _structure_now(self) -> Structure:
        import openmm.unit as u

        st = self.sim.context.getState(getPositions=True)
        pos = units.nm_to_angstrom(st.getPositions(asNumpy=True).value_in_unit(u.nanometer))
        box = None
        if self.loaded.structure.box_A is not None:
            import numpy as np

            box_nm = np.array(st.getPeriodicBoxVectors().value_in_unit(u.nanometer))
            box = units.nm_to_angstrom(box_nm)
        return Structure(list(self.loaded.structure.species), pos, box, "run")

    def _health_check(self):
        snap = health.snapshot(self.sim, self.dof)
        health.check(snap, self.cfg, self.last_checkpoint)
        return snap

    def _checkpoint(self) -> None:
        """Flush the trajectory and CSV, then save the checkpoint and update run.json."""
        for key in ("trajectory", "state_csv"):
            ckpt.fsync_path(self.files[key])
        step = ckpt.save_checkpoint(self.sim, self.out)
        self.last_checkpoint = step
        self.record.update(checkpoint_step=step, steps_done=step,
                           time_ps=step * self.cfg.timestep_ps)
        if self.record["segments"]:
            self.record["segments"][-1].update(last_step=step, ended=_now())
        rundir.write_record(self.out, self.record)

    def _finish_record(self, status: str, message: str = "") -> None:
        if self.record is None:  # failed before the run was set up (e.g. minimization)
            return
        self.record.update(status=status, message=message)
        if self.record["segments"]:
            seg = self.record["segments"][-1]
            seg.update(ended=_now(), status=status, wall_s=round(self.wall_s(), 3),
                       ns_per_day=self.ns_per_day())
        rundir.write_record(self.out, self.record)

    def wall_s(self) -> float:
        return time.monotonic() - self._t0 if self._t0 is not None else 0.0

    def ns_per_day(self) -> float | None:
        if self._t0 is None:
            return None
        done = self.sim.currentStep - self._first_step
        wall = self.wall_s()
        if done <= 0 or wall <= 0:
            return None
        return units.ps_to_ns(done * self.cfg.timestep_ps) / (wall / 86400.0)

    def _result(self, status: str) -> RunResult:
        step = int(self.sim.currentStep)
        return RunResult(self.out, status, step, self.cfg.total_steps, step * self.cfg.timestep_ps,
                         self.platform["name"], self.wall_s(), self.ns_per_day(),
                         self._resumed_from[0] if self._resumed_from else None, self.files,
                         self.record)

    # -- the run ---------------------------------------------------------------------------
    def execute(self) -> RunResult:
        self._resumed_from = None
        self._prepare()  # may raise: nothing has been written yet
        try:
            with StopRequest() as stop:
                self._start_segment()
                self._loop(stop)
                if stop.requested and self.sim.currentStep < self.cfg.total_steps:
                    return self._interrupted(stop)
        except SimulationError as exc:
            self._finish_record("failed", str(exc))
            raise
        except KeyboardInterrupt:
            self._finish_record("interrupted", "second signal: stopped without a new checkpoint")
            raise
        finally:
            if self.progress is not None:
                self.progress.close()
            self._close_reporters()
        write_pdb(self.files["final_pdb"], self._structure_now())
        self._finish_record("finished")
        result = self._result("finished")
        log.info("%s: finished %d steps (%.4g ps)%s", self.out, result.steps, result.time_ps,
                 f", {result.ns_per_day:.3g} ns/day" if result.ns_per_day else "")
        return result

    def _start_segment(self) -> None:
        """Fresh start or resume, reporters, the segment's entry in run.json."""
        from omm_cx.simulation.reporters import (
            ProgressReporter,
            state_reporter,
            trajectory_reporter,
        )

        self.progress = None
        first = self._resume() if self.mode == "resume" else self._fresh_start()
        cfg, sim, rep = self.cfg, self.sim, self.cfg.report
        # append where a resume kept frames/rows; a file rolled back to nothing is started anew
        traj_append = self.mode == "resume" and self.files["trajectory"].is_file()
        csv_append = self.mode == "resume" and self.files["state_csv"].is_file()
        sim.reporters.append(trajectory_reporter(self.files["trajectory"], rep.trajectory_format,
                                                 rep.trajectory_steps, traj_append))
        sim.reporters.append(state_reporter(self.files["state_csv"], rep.state_steps, csv_append))
        self.progress = ProgressReporter(cfg.total_steps, cfg.timestep_ps, interval_steps=500,
                                         enabled=self.progress_enabled)
        if self.progress.enabled:  # a reporter costs a device sync per report: only when shown
            sim.reporters.append(self.progress)
        self.record["status"] = "running"
        self.record["segments"].append({
            "started": _now(), "first_step": first, "last_step": first,
            "resumed_from": self._resumed_from[1] if self._resumed_from else None,
            "platform": self.platform["name"], "host": provenance.host()["hostname"],
            "pid": os.getpid(),
        })
        rundir.write_record(self.out, self.record)
        log.info("%s: %s %s, %d atoms, %g K, dt %g fs, steps %d -> %d on %s",
                 self.out, cfg.ensemble.upper(), self.loaded.description, self.loaded.n_atoms,
                 cfg.temperature_K, cfg.timestep_fs, first, cfg.total_steps, self.platform["name"])
        self._first_step = first
        self._t0 = time.monotonic()
        self.progress.start(first)

    def _loop(self, stop: StopRequest) -> None:
        import openmm as mm

        cfg, sim = self.cfg, self.sim
        every = cfg.report.checkpoint_steps
        while sim.currentStep < cfg.total_steps and not stop.requested:
            cur = sim.currentStep
            target = min(cfg.total_steps, cur + CHUNK_STEPS, (cur // every + 1) * every)
            try:
                sim.step(target - cur)
            except (ValueError, mm.OpenMMException) as exc:
                raise health.failure(f"OpenMM stopped near step {sim.currentStep}: {exc}", cfg,
                                     self.last_checkpoint) from None
            self._health_check()
            if sim.currentStep % every == 0 or sim.currentStep == cfg.total_steps:
                self._checkpoint()

    def _interrupted(self, stop: StopRequest):
        step = int(self.sim.currentStep)
        if step != self.last_checkpoint:
            self._health_check()
            self._checkpoint()
        msg = (f"stopped by {stop.name} at step {step} of {self.cfg.total_steps} "
               f"(t = {step * self.cfg.timestep_ps:.4g} ps); checkpoint written; continue with "
               f"--resume")
        self._finish_record("interrupted", msg)
        raise RunInterrupted(f"{self.out}: {msg}", stop.signum, step, self._result("interrupted"))

    def _close_reporters(self) -> None:
        for rep in self.sim.reporters:
            fh = getattr(rep, "_out", None)  # DCDReporter / StateDataReporter file handles
            if fh is not None and hasattr(fh, "close"):
                try:
                    fh.close()
                except OSError:
                    pass
        self.sim.reporters.clear()
