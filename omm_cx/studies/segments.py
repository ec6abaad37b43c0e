"""The tasks a study's workers run: one bounded segment of one MD run, the analysis after
its last segment, and a "call" run. Each task reads the run's ``plan.json``, does its work
in ``DIR/runs/<key>/`` and records the outcome there (``status.json``, ``segments.jsonl``),
so the folder -- not the study process -- is the truth, and a killed study resumes from it.

A segment (:func:`run_segment`):

1. builds ``build/`` when it is missing (the recipe with the run's seed, or the plan's
   ``build_call``), into a temporary folder renamed into place, so a half build is never
   used;
2. runs :func:`omm_cx.simulation.run` into ``run/`` with ``resume=True`` and the wall-time
   budget ``segment_wall_s`` (s): it continues from the last checkpoint and stops, with a
   checkpoint, before the budget is spent (status 'stopped') or at the end ('finished');
3. appends the segment ``{index, start_ps, end_ps, wall_s, host, status}`` to
   ``segments.jsonl`` and updates ``status.json``. A segment killed with the study after a
   checkpoint is recorded by the next one as status 'cut' (its progress, up to that
   checkpoint), so the segments cover the run without gaps or repeats.

Any exception (bad input, NaN: :class:`~omm_cx.errors.OmmCxError`; or a bug) marks the
run 'failed' with its error and is not raised, so the other runs go on. OpenMM's CPU
threads are limited to ``threads`` per worker (``OPENMM_CPU_THREADS`` and the CPU
platform's ``Threads`` default), so workers sharing the cores do not oversubscribe them.
"""

from __future__ import annotations

import importlib
import os
import shutil
import socket
import time
import traceback
from pathlib import Path
from typing import Any, Callable

from omm_cx.errors import ConfigError, OmmCxError, RunFolderBusy
from omm_cx.io.tables import read_json, write_json
from omm_cx.systems.builddir import BuildFolder
from omm_cx.studies.state import (FAILED, FINISHED, PLAN_JSON, RUNNING, append_segment,
                                  read_segments, read_status, run_folder, update_status)

BUILD, RUN, ANALYSIS, OUTPUT, RESULT_JSON = "build", "run", "analysis", "output", "result.json"
#: Environment of a jobqueue worker with several GPUs per job (set by :mod:`.cluster`).
ENV_GPUS, ENV_PER_GPU = "OMM_CX_GPUS_PER_JOB", "OMM_CX_WORKERS_PER_GPU"
#: How long a segment waits for a run folder held by another live process (s): a worker
#: of a killed study process may still be ending its segment there.
BUSY_WAIT_S = 120.0


def limit_threads(threads: int | None) -> None:
    """Let OpenMM's CPU platform use ``threads`` threads in this process."""
    if not threads:
        return
    os.environ["OPENMM_CPU_THREADS"] = str(int(threads))
    import openmm as mm

    mm.Platform.getPlatformByName("CPU").setPropertyDefaultValue("Threads", str(int(threads)))


def pin_device() -> int | None:
    """On a jobqueue worker with several GPUs per job: set the GPU platforms' default
    ``DeviceIndex`` from the worker's number in its job (names end in ``-<i>``; worker i
    uses GPU ``i // workers_per_gpu``). Returns the index, None when not pinned here."""
    gpus = int(os.environ.get(ENV_GPUS, "0") or 0)
    if gpus <= 1:
        return None
    try:
        from distributed import get_worker

        number = int(str(get_worker().name).rsplit("-", 1)[-1])
    except (ValueError, ImportError):
        return None
    index = (number // max(1, int(os.environ.get(ENV_PER_GPU, "1") or 1))) % gpus
    import openmm as mm

    for name in ("CUDA", "OpenCL", "HIP"):
        try:
            mm.Platform.getPlatformByName(name).setPropertyDefaultValue("DeviceIndex", str(index))
        except Exception:  # that platform is not loaded here
            pass
    return index


def read_plan(key_dir: Path) -> dict:
    plan = read_json(key_dir / PLAN_JSON, "run plan")
    if not isinstance(plan, dict):
        raise ConfigError(f"{key_dir / PLAN_JSON}: not a run plan (a mapping expected)")
    return plan


def resolve_callable(spec: str, what: str) -> Callable:
    """The function named ``module:function``."""
    module, _, name = str(spec).partition(":")
    if not module or not name:
        raise ConfigError(f"{what} {spec!r}: write it as 'module:function'")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"{what} {spec!r} cannot be imported: {exc}") from None


def _failed(key_dir: Path, exc: BaseException, phase: str, started: float) -> dict:
    if isinstance(exc, OmmCxError):
        error = f"{type(exc).__name__}: {exc}"
    else:  # a bug: keep where it happened
        tb = traceback.extract_tb(exc.__traceback__)[-1:]
        where = f" (at {tb[0].filename}:{tb[0].lineno})" if tb else ""
        error = f"{type(exc).__name__}: {exc}{where}"
    st = read_status(key_dir)
    update_status(key_dir, state=FAILED, error=error, phase=phase,
                  wall_s=float(st.get("wall_s") or 0) + time.monotonic() - started)
    return {"key": key_dir.name, "state": FAILED, "error": error, "next": None}


def ensure_build(key_dir: Path, plan: dict) -> Path:
    """``build/`` of the run, built when missing (see the module docstring)."""
    build = key_dir / BUILD
    if BuildFolder(build).exists():
        return build
    tmp = key_dir / f".{BUILD}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    params = dict(plan.get("params") or {})
    if plan.get("build_call"):
        resolve_callable(plan["build_call"], "build_call")(tmp, **params)
        if not BuildFolder(tmp).exists():
            raise ConfigError(f"build_call {plan['build_call']!r} wrote no build.json into "
                              f"{tmp}; it must write a build folder (omm_cx.systems.builddir)")
    elif plan.get("recipe") is not None:
        from omm_cx.systems.recipes import build_recipe

        seed = params.get("seed", (plan.get("config") or {}).get("seed"))
        build_recipe(plan["recipe"], seed=seed).write(tmp)
    else:
        raise ConfigError(f"{key_dir / PLAN_JSON}: an md run needs 'recipe' or 'build_call'")
    shutil.rmtree(build, ignore_errors=True)
    os.replace(tmp, build)
    return build


def run_segment(study_dir: str, key: str, segment_wall_s: float | None = None,
                platform: str | None = None, threads: int | None = None) -> dict:
    """One bounded segment of the MD run ``key`` (see the module docstring). Returns
    ``{key, state, status, start_ps, end_ps, progressed_ps, next}``; ``next``: 'segment'
    (more to run), 'analysis' or None (finished or failed)."""
    started = time.monotonic()
    key_dir = run_folder(study_dir, key)
    phase = BUILD
    try:
        limit_threads(threads)
        pin_device()
        plan = read_plan(key_dir)
        build = ensure_build(key_dir, plan)
        phase = "md"
        from omm_cx.simulation import load_config, run

        cfg = dict(plan.get("config") or {}, build=str(build.resolve()))
        dt_ps = load_config(cfg).timestep_ps
        _record_cut(key_dir, dt_ps)
        live = _live_reporters(key_dir / RUN, dt_ps, plan.get("live") or {})
        result = _when_free(lambda: run(cfg, key_dir / RUN, resume=True, progress=False,
                                        max_wall_time=segment_wall_s, platform=platform,
                                        reporters=live))
        return _record_segment(key_dir, plan, result, dt_ps, started)
    except Exception as exc:  # recorded, not raised: the other runs go on
        return _failed(key_dir, exc, phase, started)


def _record_cut(key_dir: Path, dt_ps: float) -> None:
    """A segment killed with the study (after a checkpoint, before it was recorded) left
    progress that segments.jsonl does not show: record it as a 'cut' segment from the last
    recorded step to the run's checkpoint, so the segments cover the run without gaps."""
    from omm_cx.simulation import rundir

    try:
        record = rundir.read_record(key_dir / RUN)
    except OmmCxError:
        return
    done = int(record.checkpoint_step or 0) if record is not None else 0
    segments = read_segments(key_dir)
    last = int(segments[-1]["end_step"]) if segments else 0
    if done <= last:
        return
    n = len(segments) + 1
    append_segment(key_dir, {"index": n, "start_ps": last * dt_ps, "end_ps": done * dt_ps,
                             "start_step": last, "end_step": done, "wall_s": None,
                             "md_wall_s": None, "ns_per_day": None, "host": None,
                             "platform": record.platform.name, "status": "cut"})
    update_status(key_dir, segments=n, simulated_ps=done * dt_ps)


def _live_reporters(run_dir: Path, dt_ps: float, live: dict) -> list:
    """The live-exchange reporter of the plan's ``live`` settings (none when off)."""
    from omm_cx.analysis.live import StopRule, live_reporters

    rule = StopRule(live.get("rho_above"), live.get("plateau_ps"),
                    live.get("plateau_tolerance") or 0.01)
    return live_reporters(run_dir, dt_ps * 1000.0, live.get("every_ps", 10.0), rule)


def _when_free(call: Callable, wait_s: float = BUSY_WAIT_S):
    """``call()``, again every 2 s while it raises RunFolderBusy, for up to ``wait_s``."""
    end = time.monotonic() + wait_s
    while True:
        try:
            return call()
        except RunFolderBusy:
            if time.monotonic() > end:
                raise
            time.sleep(2.0)


def _record_segment(key_dir: Path, plan: dict, result, dt_ps: float, started: float) -> dict:
    wall = time.monotonic() - started
    st = read_status(key_dir)
    start_ps = (result.resumed_from_step or 0) * dt_ps
    length_ps = result.total_steps * dt_ps
    n = int(st.get("segments") or 0)
    if result.status in ("stopped", "finished", "stopped by rule"):
        append_segment(key_dir, {"index": n + 1, "start_ps": start_ps, "end_ps": result.time_ps,
                                 "start_step": result.resumed_from_step or 0,
                                 "end_step": result.steps, "wall_s": round(wall, 3),
                                 "md_wall_s": round(result.wall_s, 3),
                                 "ns_per_day": result.ns_per_day, "host": socket.gethostname(),
                                 "platform": result.platform, "status": result.status})
        n += 1
    done = result.status != "stopped"
    nxt = "segment" if not done else ("analysis" if plan.get("analyses") else None)
    update_status(key_dir, state=FINISHED if done and nxt is None else RUNNING, error=None,
                  segments=n, simulated_ps=result.time_ps, length_ps=length_ps,
                  wall_s=float(st.get("wall_s") or 0) + wall,
                  phase="done" if nxt is None else ("md" if nxt == "segment" else "analysis"))
    return {"key": key_dir.name, "state": RUNNING if nxt else FINISHED, "status": result.status,
            "start_ps": start_ps, "end_ps": result.time_ps,
            "progressed_ps": result.time_ps - start_ps if result.status != "already finished"
            else 0.0, "next": nxt}


def analysis_options(overrides: dict | None):
    """:class:`~omm_cx.analysis.options.AnalysisOptions` with ``overrides`` (``membership``
    and ``jumps`` as mappings of their fields)."""
    from omm_cx.analysis.membership import MembershipCriterion
    from omm_cx.analysis.options import AnalysisOptions, JumpCriteria

    kw: dict[str, Any] = dict(overrides or {})
    if isinstance(kw.get("membership"), dict):
        kw["membership"] = MembershipCriterion(**kw["membership"])
    if isinstance(kw.get("jumps"), dict):
        kw["jumps"] = JumpCriteria(**kw["jumps"])
    kw.setdefault("progress", False)
    try:
        return AnalysisOptions(**kw)
    except TypeError as exc:
        raise ConfigError(f"analysis_options: {exc}") from None


def run_analysis(study_dir: str, key: str, threads: int | None = None) -> dict:
    """The analyses of a finished MD run into ``DIR/runs/<key>/analysis``."""
    started = time.monotonic()
    key_dir = run_folder(study_dir, key)
    try:
        limit_threads(threads)
        plan = read_plan(key_dir)
        from omm_cx.analysis.driver import analyze_run_dir

        analyze_run_dir(key_dir / RUN, what=list(plan.get("analyses") or ()),
                        options=analysis_options(plan.get("analysis_options")),
                        out_dir=key_dir / ANALYSIS)
    except Exception as exc:
        return _failed(key_dir, exc, "analysis", started)
    st = read_status(key_dir)
    update_status(key_dir, state=FINISHED, error=None, phase="done",
                  wall_s=float(st.get("wall_s") or 0) + time.monotonic() - started)
    return {"key": key, "state": FINISHED, "next": None}


def run_call(study_dir: str, key: str, threads: int | None = None) -> dict:
    """A "call" run: ``f(out_dir, **params)`` with ``out_dir`` = ``DIR/runs/<key>/output``;
    its returned mapping goes to ``result.json``."""
    started = time.monotonic()
    key_dir = run_folder(study_dir, key)
    try:
        limit_threads(threads)
        plan = read_plan(key_dir)
        func = resolve_callable(plan.get("call"), "call")
        out = key_dir / OUTPUT
        out.mkdir(parents=True, exist_ok=True)
        result = func(out, **dict(plan.get("params") or {}))
        if not isinstance(result, dict):
            raise ConfigError(f"call {plan.get('call')!r} returned {type(result).__name__}, "
                              f"not a mapping")
        write_json(key_dir / RESULT_JSON, result)
    except Exception as exc:
        return _failed(key_dir, exc, "call", started)
    update_status(key_dir, state=FINISHED, error=None, phase="done", segments=0,
                  wall_s=time.monotonic() - started)
    return {"key": key, "state": FINISHED, "next": None}


__all__ = ["run_segment", "run_analysis", "run_call", "ensure_build", "analysis_options",
           "limit_threads", "pin_device", "resolve_callable"]
