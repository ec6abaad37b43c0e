"""Run MD from a config into a run folder: fresh start, resume, checkpoints, failures.

    from omm_cx.simulation import run
    result = run("examples/quick.yaml", "out/quick")              # fresh
    result = run("examples/quick.yaml", "out/quick", resume=True)  # continue after a kill

The steps run in chunks of at most :data:`CHUNK_STEPS`; after each chunk the state is
checked (:mod:`omm_cx.simulation.health`) and a pending SIGTERM/SIGINT is honoured; a
checkpoint is written every ``report.checkpoint_*`` steps, at step 0, at a signal and at
the end -- never of a bad state. See :mod:`omm_cx.simulation.rundir` for the folder,
:mod:`omm_cx.simulation.resume` for when a folder may be run into, and
:mod:`omm_cx.simulation.record` for run.json.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from omm_cx import units
from omm_cx.io.pdb import Structure, write_pdb
from omm_cx.io.yaml_input import ConfigError
from omm_cx.simulation import checkpoint as ckpt
from omm_cx.simulation import faults, health, lock, provenance, rundir, start
from omm_cx.choices import RunStatus
from omm_cx.simulation.config import RESUMABLE_CHANGES, RunConfig, check_timestep_for_masses, load_config
from omm_cx.errors import RunInterrupted, SimulationError
from omm_cx.simulation.record import PlatformRecord, RunRecord, RunSettings, Segment
from omm_cx.simulation.restore import restore, segment_details
from omm_cx.simulation.result import RunResult, run_files
from omm_cx.simulation.resume import decide
from omm_cx.simulation.signals import StopRequest
from omm_cx.simulation.walltime import WallTimeBudget

log = logging.getLogger("omm_cx.simulation")

#: Steps between health checks and signal checks (one extra energy evaluation each:
#: ~0.5 % of the cost of the steps).
CHUNK_STEPS = 200
def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def run(config, out_dir, *, steps: int | None = None, platform: str | None = None,
        precision: str | None = None, resume: bool = False, overwrite: bool = False,
        progress: bool | None = None, max_wall_time: float | str | None = None,
        reporters: Sequence = ()) -> RunResult:
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
    max_wall_time
        Budget of this call (s, or ``90m``, ``2h``, ``1:30:00``; else the config's): stop
        with a checkpoint before it runs out, status 'stopped' (:mod:`.walltime`).
    reporters
        More OpenMM reporters for this call (``describeNextReport``/``report``), e.g.
        :class:`omm_cx.analysis.live.LiveExchangeReporter`. One whose ``stop_requested`` is a
        non-empty string ends the run there: a checkpoint, final.pdb, run.json 'finished'
        with ``stop_rule`` set, status 'stopped by rule'.

    Raises
    ------
    ConfigError, RunDirError
        Bad settings or a folder that must not be touched (nothing is written then);
        ``RunFolderBusy``: another live run holds the folder's lock (:mod:`.lock`).
    WriteError
        No space, size limit, no permission: names the path; the last checkpoint stays.
    SimulationError
        NaN/exploding energies; the last good checkpoint stays, run.json says 'failed'.
    RunInterrupted
        SIGTERM/SIGINT; a checkpoint was written, run.json says 'interrupted'.
    """
    started = time.monotonic()
    cfg = config if isinstance(config, RunConfig) else load_config(config)
    cfg = cfg.with_overrides(steps=steps, platform=platform, precision=precision,
                             max_wall_time=max_wall_time)
    out = Path(out_dir)
    with faults.write_errors(out), lock.hold(out):
        rundir.remove_temporaries(out)
        mode, record = decide(cfg, out, resume, overwrite)
        files = run_files(out, cfg.report.trajectory_format)
        if mode == "done":
            log.info("%s: the run is already finished (%d steps)", out, record.steps_done)
            return RunResult(out, "already finished", record.steps_done, cfg.total_steps,
                             record.steps_done * cfg.timestep_ps, record.platform.name,
                             files=files, record=record)
        return _Run(cfg, out, mode, record, files, progress, started, reporters).execute()


class _Run:
    """One segment of a run (fresh start or resume), from set-up to the last checkpoint.

    Every attribute is set here; ``_prepare`` fills the OpenMM side, ``_start_segment``
    the reporters."""

    def __init__(self, cfg: RunConfig, out: Path, mode: str, record: RunRecord | None,
                 files: dict[str, Path], progress: bool | None, started: float | None = None,
                 reporters: Sequence = ()):
        self.cfg, self.out, self.mode, self.files = cfg, out, mode, files
        self.extra_reporters = list(reporters)
        self.budget = WallTimeBudget(cfg.max_wall_time_s, started)
        self.record: RunRecord | None = record      # None until a fresh start writes it
        self.progress_enabled = progress
        self.loaded = None                          # source.LoadedSystem
        self.seed: int | None = None
        self.seeds: dict[str, int] = {}
        self.dof: int = 0
        self.sim = None                             # openmm.app.Simulation
        self.platform: dict = {}
        self.outputs = None                         # reporters.FileReporters
        self.progress = None                        # reporters.ProgressReporter
        self.last_checkpoint: int | None = None
        self.resumed_from: tuple[int, str, str | None] | None = None
        self.first_step = 0
        self.t0: float | None = None

    # -- set-up ----------------------------------------------------------------------------
    def _prepare(self) -> None:
        import openmm as mm

        from omm_cx.platforms import get_platform
        from omm_cx.simulation import engine, source

        cfg = self.cfg
        if self.mode == "resume":
            self.loaded = source.load_build_dir(self.out / rundir.BUILD_DIR)
            self.seed = int(self.record.seed)
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
        kernel = engine.apply_short_range_kernel(system, self.loaded, cfg, plat.getName())
        engine.add_barostat(system, cfg, self.seeds)
        self.dof = health.degrees_of_freedom(system)
        self.sim = engine.make_simulation(self.loaded.structure, system, cfg, self.seeds, plat,
                                          props)
        self.platform = engine.platform_record(self.sim)
        self.platform["properties"]["omm_cx.short_range_kernel"] = kernel

    def _fresh_start(self) -> int:
        from omm_cx.simulation import engine
        from omm_cx.simulation.source import write_run_build

        cfg, out = self.cfg, self.out
        out.mkdir(parents=True, exist_ok=True)
        rundir.clean(out)
        write_run_build(self.loaded, out / rundir.BUILD_DIR)
        engine.set_initial_state(self.sim, self.loaded.structure)
        minimization = start.minimize(self.sim, cfg)
        write_pdb(self.files["start_pdb"], self._structure_now())
        self.sim.context.setVelocitiesToTemperature(cfg.temperature_K, self.seeds["velocities"])
        self.record = start.new_run_record(cfg, self.loaded, self.seed, self.seeds, self.dof,
                                           self.platform, self.files["trajectory"].name,
                                           minimization)
        self._health_check()
        self._checkpoint()
        return 0

    def _resume(self) -> int:
        from omm_cx.simulation import engine

        reseed = engine.derive_seeds(self.seed + 7919 * len(self.record.segments))
        restored = restore(self.sim, self.out, self.record, self.cfg, reseed["integrator"])
        step, used, warning = restored[:3]
        if warning:
            log.warning(warning)
        self.last_checkpoint = step
        self.record.platform = PlatformRecord(**self.platform)
        self.record.total_steps = self.cfg.total_steps
        new = self.cfg.as_dict()
        settings = {**self.record.settings.as_dict(),
                    **{k: new[k] for k in RESUMABLE_CHANGES if k in new}}
        self.record.settings = RunSettings.model_validate(settings)
        log.info("resuming from %s at step %d (t = %.4g ps)", used, step,
                 step * self.cfg.timestep_ps)
        self.resumed_from = restored
        self._health_check()
        return step

    # -- helpers ---------------------------------------------------------------------------
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
        t = time.monotonic()
        step = int(self.sim.currentStep)
        prefixes = self.outputs.sync(step) if self.outputs is not None else (None, None)
        self.record.checkpoints = ckpt.save_checkpoint(
            self.sim, self.out, self.record.checkpoints, prefixes, _now(), self.platform["name"])
        self.last_checkpoint = step
        self.record.checkpointed(step, self.cfg.timestep_ps, _now())
        rundir.write_record(self.out, self.record)
        self.budget.checkpoint_took(time.monotonic() - t)

    def _finish_record(self, status: RunStatus, message: str = "") -> None:
        if self.record is None:  # failed before the run was set up (e.g. minimization)
            return
        self.record.end_segment(status, message, _now(), round(self.wall_s(), 3),
                                self.ns_per_day())
        rundir.write_record(self.out, self.record)

    def wall_s(self) -> float:
        return time.monotonic() - self.t0 if self.t0 is not None else 0.0

    def ns_per_day(self) -> float | None:
        if self.t0 is None:
            return None
        done = self.sim.currentStep - self.first_step
        wall = self.wall_s()
        if done <= 0 or wall <= 0:
            return None
        return units.ps_to_ns(done * self.cfg.timestep_ps) / (wall / 86400.0)

    def _result(self, status: str) -> RunResult:
        step = int(self.sim.currentStep)
        return RunResult(self.out, status, step, self.cfg.total_steps, step * self.cfg.timestep_ps,
                         self.platform["name"], self.wall_s(), self.ns_per_day(),
                         self.resumed_from[0] if self.resumed_from else None, self.files,
                         self.record)

    # -- the run ---------------------------------------------------------------------------
    def execute(self) -> RunResult:
        self._prepare()  # may raise: nothing has been written yet
        try:
            with StopRequest() as stop:
                self._start_segment()
                self._loop(stop)
                if stop.requested and self.sim.currentStep < self.cfg.total_steps:
                    return self._interrupted(stop)
                if self.budget.stopped:
                    return self._stopped_at_budget()
                if self.rule_stop() and self.sim.currentStep != self.last_checkpoint:
                    self._checkpoint()
        except SimulationError as exc:
            self._finish_record(RunStatus.FAILED, str(exc))
            raise
        except OSError as exc:  # disk full, size limit, no permission: name the path
            raise faults.failed_write(exc, self.out, self.outputs, self.last_checkpoint,
                                      self._finish_record) from None
        except KeyboardInterrupt:
            self._finish_record(RunStatus.INTERRUPTED,
                                "second signal: stopped without a new checkpoint")
            raise
        finally:
            if self.progress is not None:
                self.progress.close()
            self._close_reporters()
        write_pdb(self.files["final_pdb"], self._structure_now())
        rule = self.rule_stop()
        self.record.stop_rule = rule
        self._finish_record(RunStatus.FINISHED, f"stopped by rule: {rule}" if rule else "")
        result = self._result("stopped by rule" if rule else "finished")
        log.info("%s: finished %d steps (%.4g ps)%s", self.out, result.steps, result.time_ps,
                 f", {result.ns_per_day:.3g} ns/day" if result.ns_per_day else "")
        return result

    def _attach_reporters(self) -> None:
        """Trajectory, state.csv and progress reporters; a resume appends where it kept
        frames/rows (a file rolled back to nothing is started anew)."""
        from omm_cx.simulation.reporters import FileReporters, ProgressReporter

        cfg, rep, resume = self.cfg, self.cfg.report, self.mode == "resume"
        self.outputs = FileReporters(
            self.files["trajectory"], rep.trajectory_format, rep.trajectory_steps,
            self.files["state_csv"], rep.state_steps,
            append_trajectory=resume and self.files["trajectory"].is_file(),
            append_state=resume and self.files["state_csv"].is_file())
        self.sim.reporters.extend(self.outputs.reporters)
        self.progress = ProgressReporter(cfg.total_steps, cfg.timestep_ps, interval_steps=500,
                                         enabled=self.progress_enabled)
        if self.progress.enabled:  # a reporter costs a device sync per report: only when shown
            self.sim.reporters.append(self.progress)
        self.sim.reporters.extend(self.extra_reporters)

    def rule_stop(self) -> str | None:
        """The reason of the first extra reporter that asks the run to stop, else None."""
        reasons = [getattr(r, "stop_requested", None) for r in self.extra_reporters]
        return next((str(r) for r in reasons if r), None)

    def _start_segment(self) -> None:
        """Fresh start or resume, reporters, the segment's entry in run.json."""
        first = self._resume() if self.mode == "resume" else self._fresh_start()
        self._attach_reporters()
        cfg = self.cfg
        self.record.status = RunStatus.RUNNING
        self.record.segments.append(Segment(
            started=_now(), first_step=first, last_step=first,
            resumed_from=self.resumed_from[1] if self.resumed_from else None,
            platform=self.platform["name"], host=provenance.host()["hostname"], pid=os.getpid(),
            **segment_details(self.platform, self.resumed_from)))
        rundir.write_record(self.out, self.record)
        log.info("%s: %s %s, %d atoms, %g K, dt %g fs, steps %d -> %d on %s",
                 self.out, str(cfg.ensemble).upper(), self.loaded.description,
                 self.loaded.n_atoms, cfg.temperature_K, cfg.timestep_fs, first, cfg.total_steps,
                 self.platform["name"])
        self.first_step = first
        self.t0 = time.monotonic()
        self.progress.start(first)

    def _loop(self, stop: StopRequest) -> None:
        import openmm as mm

        cfg, sim = self.cfg, self.sim
        every = cfg.report.checkpoint_steps
        while sim.currentStep < cfg.total_steps and not stop.requested:
            cur = sim.currentStep
            target = min(cfg.total_steps, cur + CHUNK_STEPS, (cur // every + 1) * every)
            if self.budget.stop_before(cur, target - cur):
                break
            try:
                sim.step(target - cur)
            except (ValueError, mm.OpenMMException) as exc:
                raise health.openmm_failure(exc, sim.currentStep, cfg,
                                            self.last_checkpoint) from None
            self._health_check()
            if sim.currentStep % every == 0 or sim.currentStep == cfg.total_steps:
                self._checkpoint()
            if self.rule_stop():
                break

    def _interrupted(self, stop: StopRequest):
        step = int(self.sim.currentStep)
        if step != self.last_checkpoint:
            self._health_check()
            self._checkpoint()
        msg = (f"stopped by {stop.name} at step {step} of {self.cfg.total_steps} "
               f"(t = {step * self.cfg.timestep_ps:.4g} ps); checkpoint written; continue with "
               f"--resume")
        self._finish_record(RunStatus.INTERRUPTED, msg)
        raise RunInterrupted(f"{self.out}: {msg}", stop.signum, step, self._result("interrupted"))

    def _stopped_at_budget(self) -> RunResult:
        step = int(self.sim.currentStep)
        if step != self.last_checkpoint:
            self._health_check()
            self._checkpoint()
        msg = self.budget.message(step, self.cfg.total_steps, self.cfg.timestep_ps)
        self._finish_record(RunStatus.STOPPED, msg)
        log.info("%s: %s", self.out, msg)
        return self._result("stopped")

    def _close_reporters(self) -> None:
        """Close the files of the reporters this run opened and detach every reporter."""
        if self.outputs is not None:
            self.outputs.close()
        if self.sim is not None:
            self.sim.reporters.clear()
