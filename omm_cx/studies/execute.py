"""Run a study on Dask: every run of its plan, segment by segment, until all are finished
or failed; resumable from the study folder after any kill.

    from omm_cx.studies.execute import run_study, study_status
    status = run_study("004-liquid-gr", "out/gr", scale="tiny", n_workers=2)
    print(study_status("out/gr").table())

How (see :mod:`.segments` for one task, :mod:`.cluster` for the workers, :mod:`.state`
for the files):

* the study folder gets ``study.json`` and, per run, ``runs/<key>/plan.json`` and
  ``status.json``; the study process holds ``DIR/.lock`` (a second ``study run`` on the
  same folder is refused while this one lives; the kernel drops the lock when the process
  dies, even by SIGKILL);
* each task is one bounded segment of one MD run (resume from the checkpoint, run for at
  most ``segment_wall_s`` s, checkpoint), submitted to a ``distributed`` cluster; as each
  finishes (``as_completed``) the next segment of that run is submitted, then its
  analysis; a "call" run is one task;
* a failed run (bad input, NaN, a bug, a worker lost 3 times) is recorded in its
  status.json and the others go on;
* run again on the same folder (also after the study process was killed), finished runs
  are skipped and unfinished ones -- 'pending' or 'running' with no live process -- resume
  from their checkpoint: a finished segment (a line of ``segments.jsonl``) is never redone.
  Failed runs stay failed unless ``retry_failed``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Callable, Iterable

from omm_cx.errors import ConfigError
from omm_cx.io.tables import json_text, read_json, write_json
from omm_cx.simulation.lock import acquire
from omm_cx.studies import segments as seg
from omm_cx.studies.cluster import (SLOT, local_cluster, local_layout, jobqueue_cluster,
                                    read_cluster, segment_budget_s)
from omm_cx.studies.state import (FAILED, FINISHED, PENDING, PLAN_JSON, RUNNING, STATUS_JSON,
                                  StudyStatus,
                                  new_status, now_iso, read_status, read_study_json,
                                  run_folder, study_status, update_status, write_study_json)

#: Default wall-time budget of a segment on the local executor (s).
LOCAL_SEGMENT_S = 1800.0
#: A run whose segments make no progress this many times in a row is failed (each time
#: the budget is doubled first: the set-up alone may exceed a short budget).
MAX_STALLS = 4
#: Seconds between progress lines.
PROGRESS_EVERY_S = 5.0


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _plan_dict(plan) -> dict:
    d = plan.to_json() if hasattr(plan, "to_json") else dict(plan)
    return json.loads(json_text(d))  # the form it has in plan.json


def prepare_folder(out: Path, plans: list[dict], name: str, scale: str,
                   spec_sha256: str | None, workers: int) -> None:
    """Write study.json and each run's plan.json and first status; refuse a folder that
    holds another study, scale or changed runs (ConfigError naming them)."""
    keys = [p["key"] for p in plans]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"study {name}: run keys repeat: "
                          f"{sorted({k for k in keys if keys.count(k) > 1})}")
    created = now_iso()
    if (out / "study.json").is_file():
        old = read_study_json(out)
        if (old.get("name"), old.get("scale")) != (name, scale):
            raise ConfigError(f"{out}: holds study {old.get('name')!r} at scale "
                              f"{old.get('scale')!r}, not {name!r} at {scale!r}; give another -o")
        created = old.get("created") or created
    for plan in plans:
        folder = run_folder(out, plan["key"])
        path = folder / PLAN_JSON
        if path.is_file():
            if read_json(path, "run plan") != plan:
                raise ConfigError(f"{path}: the study's run {plan['key']!r} changed since this "
                                  f"folder was started (a finished segment would not match "
                                  f"the new settings); give another -o, or delete {folder}")
            continue
        folder.mkdir(parents=True, exist_ok=True)
        write_json(path, plan)
        write_json(folder / STATUS_JSON, new_status(plan.get("length_ps") or 0.0))
    from omm_cx.simulation.provenance import git_describe

    write_study_json(out, {"name": name, "scale": scale, "spec_sha256": spec_sha256,
                           "created": created, "updated": now_iso(), "keys": keys,
                           "workers": workers, "commit": git_describe()})


class _Scheduler:
    """Submits the tasks of the runs and follows them to the end."""

    def __init__(self, client, out: Path, plans: dict[str, dict], segment_wall_s: float | None,
                 platform: str | None, threads: int, progress: bool, log: Callable):
        from distributed import as_completed

        self.client, self.out, self.plans = client, out, plans
        self.platform, self.threads, self.log, self.progress = platform, threads, log, progress
        self.budget = {k: segment_wall_s for k in plans}
        self.stalls = {k: 0 for k in plans}
        self.meta: dict = {}
        self.queue = as_completed(loop=client.loop)
        self.last_line = 0.0

    def submit(self, key: str, what: str) -> None:
        folder = run_folder(self.out, key)
        st = read_status(folder)
        n = int(st.get("segments") or 0)
        if what == "segment":
            args = (seg.run_segment, str(self.out), key, self.budget[key], self.platform,
                    self.threads)
        elif what == "analysis":
            args = (seg.run_analysis, str(self.out), key, self.threads)
        else:
            args = (seg.run_call, str(self.out), key, self.threads)
        update_status(folder, state=RUNNING, error=None,
                      phase="md" if what == "segment" else what)
        fut = self.client.submit(*args, key=f"{key}:{what}:{n}:{time.time_ns()}", pure=False,
                                 resources=dict(SLOT))
        self.meta[fut] = (key, what)
        self.queue.add(fut)

    def start(self, key: str) -> None:
        plan = self.plans[key]
        if plan.get("kind") == "call":
            self.submit(key, "call")
        elif read_status(run_folder(self.out, key)).get("phase") == "analysis":
            self.submit(key, "analysis")  # the MD finished before a kill
        else:
            self.submit(key, "segment")

    def _lost(self, key: str, exc: BaseException) -> None:
        update_status(run_folder(self.out, key), state=FAILED,
                      error=f"task lost: {type(exc).__name__}: {exc}")

    def follow(self, key: str, what: str, res: dict) -> None:
        nxt = res.get("next")
        if what == "segment" and res.get("status") == "stopped":
            if float(res.get("progressed_ps") or 0.0) <= 0.0:
                self.stalls[key] += 1
                if self.stalls[key] > MAX_STALLS:
                    update_status(run_folder(self.out, key), state=FAILED, error=(
                        f"no progress in {MAX_STALLS + 1} segments (the last with a budget of "
                        f"{self.budget[key]:g} s): the set-up takes longer than the segment "
                        f"wall time; give a larger segment wall time"))
                    return
                self.budget[key] = None if self.budget[key] is None else 2 * self.budget[key]
            else:
                self.stalls[key] = 0
        if nxt in ("segment", "analysis"):
            self.submit(key, nxt)

    def run(self) -> None:
        for fut in self.queue:
            key, what = self.meta.pop(fut)
            try:
                res = fut.result()
            except Exception as exc:  # the worker died repeatedly, or the task was cancelled
                self._lost(key, exc)
                res = None
            if res is not None:
                self.follow(key, what, res)
            self.show(force=not self.meta)

    def show(self, force: bool = False) -> None:
        if not self.progress or (not force and time.monotonic() - self.last_line
                                 < PROGRESS_EVERY_S):
            return
        self.last_line = time.monotonic()
        self.log(study_status(self.out).summary())


def _todo(out: Path, keys: Iterable[str], retry_failed: bool) -> list[str]:
    todo = []
    for key in keys:
        state = read_status(run_folder(out, key)).get("state", PENDING)
        if state == FINISHED or (state == FAILED and not retry_failed):
            continue
        todo.append(key)
    return todo


def _cluster_for(executor: str, cluster: dict | None, n_workers, threads_per_worker,
                 n_runs: int, platform: str | None, segment_wall_s):
    """(dask cluster, OpenMM threads per worker, segment budget s, number of workers)."""
    if executor == "local":
        opts = dict(cluster or {})
        layout = local_layout(n_workers, threads_per_worker, n_runs=n_runs, platform=platform,
                              gpus=opts.get("gpus"), workers_per_gpu=opts.get("workers_per_gpu", 1))
        budget = LOCAL_SEGMENT_S if segment_wall_s is None else segment_wall_s
        return local_cluster(layout), layout.threads, budget, layout.n_workers
    if executor not in ("slurm", "pbs"):
        raise ConfigError(f"executor {executor!r} unknown; use local, slurm or pbs")
    c = read_cluster({**(cluster or {}), "kind": executor}, f"cluster ({executor})")
    processes = max(1, c.gpus_per_job * c.workers_per_gpu)
    budget = segment_budget_s(c) if segment_wall_s is None else segment_wall_s
    return jobqueue_cluster(c), max(1, c.cores // processes), budget, processes * c.jobs


def execute_plans(plans: list, out_dir: str | Path, *, name: str, scale: str,
                  spec_sha256: str | None = None, executor: str = "local",
                  n_workers: int | None = None, threads_per_worker: int | None = None,
                  segment_wall_s: float | None = None, platform: str | None = None,
                  cluster: dict | None = None, progress: bool = True,
                  retry_failed: bool = False, log: Callable[[str], None] = _stderr) -> StudyStatus:
    """Run the ``plans`` (:class:`~omm_cx.studies.plan.RunPlan` or their JSON mappings)
    into the study folder ``out_dir``; see :func:`run_study` for the arguments."""
    from distributed import Client

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dicts = [_plan_dict(p) for p in plans]
    lock = acquire(out)  # RunFolderBusy while another study process runs here
    try:
        prepare_folder(out, dicts, name, scale, spec_sha256, n_workers or 1)
        todo = _todo(out, [p["key"] for p in dicts], retry_failed)
        if not todo:
            return study_status(out)
        dask_cluster, threads, budget, workers = _cluster_for(
            executor, cluster, n_workers, threads_per_worker, len(todo), platform, segment_wall_s)
        prepare_folder(out, dicts, name, scale, spec_sha256, workers)
        if progress:
            log(f"study {name} [{scale}]: {len(todo)} of {len(dicts)} runs to do on {workers} "
                f"worker(s), segments of at most {budget:g} s")
        try:
            with Client(dask_cluster, set_as_default=False) as client:
                sched = _Scheduler(client, out, {p["key"]: p for p in dicts}, budget, platform,
                                   threads, progress, log)
                for key in todo:
                    sched.start(key)
                sched.run()
        finally:
            dask_cluster.close()
        status = study_status(out)
        if progress:
            log(status.summary())
        return status
    finally:
        lock.release()


def run_study(spec, out_dir: str | Path, scale: str = "small", *, executor: str = "local",
              n_workers: int | None = None, threads_per_worker: int | None = None,
              segment_wall_s: float | str | None = None, platform: str | None = None,
              cluster: dict | None = None, progress: bool = True, retry_failed: bool = False,
              log: Callable[[str], None] = _stderr) -> StudyStatus:
    """Run a study (name, path, mapping or StudySpec) at ``scale`` into ``out_dir``.

    Parameters
    ----------
    executor
        'local' (a Dask cluster of worker processes here), 'slurm' or 'pbs' (dask-jobqueue,
        configured by ``cluster`` or the study's ``cluster:``; see :mod:`.cluster`).
    n_workers, threads_per_worker
        Local workers and OpenMM CPU threads of each (default: split the cores; one worker
        per GPU when there are GPUs). For 'local', ``cluster`` may give ``gpus`` (list of
        indices) and ``workers_per_gpu``.
    segment_wall_s
        Wall-time budget of one task (s, or text such as ``30m``); default 30 min locally,
        a quarter of the worker lifetime on a batch system.
    platform
        OpenMM platform of every run (default: the fastest on the worker).
    retry_failed
        Run failed runs again (from their last checkpoint).

    Returns the :class:`~omm_cx.studies.state.StudyStatus` at the end (every run finished
    or failed). Raises ConfigError for a bad study or a folder of another study, and
    RunFolderBusy when another study process runs in ``out_dir``.
    """
    from omm_cx.simulation.walltime import parse_duration
    from omm_cx.studies.plan import plan_runs
    from omm_cx.studies.spec import load_study

    study = load_study(spec)
    plans = plan_runs(study, scale)
    if segment_wall_s is not None:
        try:
            segment_wall_s = parse_duration(segment_wall_s)
        except ValueError as exc:
            raise ConfigError(f"segment wall time: {exc}") from None
    cluster = cluster if cluster is not None else getattr(study, "cluster", None)
    if hasattr(cluster, "model_dump"):
        cluster = cluster.model_dump(exclude_none=True)
    return execute_plans(plans, out_dir, name=study.name, scale=scale,
                         spec_sha256=study.sha256 or None, executor=executor,
                         n_workers=n_workers, threads_per_worker=threads_per_worker,
                         segment_wall_s=segment_wall_s, platform=platform, cluster=cluster,
                         progress=progress, retry_failed=retry_failed, log=log)


__all__ = ["run_study", "study_status", "execute_plans", "prepare_folder", "StudyStatus"]
