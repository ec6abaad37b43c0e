"""The Dask clusters a study runs on.

Local (the default, :func:`local_cluster`): worker *processes* on this machine, each
running one task (one segment) at a time --

* GPUs (``nvidia-smi -L``, or ``gpus=[...]``): one worker per GPU, or ``workers_per_gpu``
  (k) per GPU for several replicas at once, each pinned to its GPU through
  ``CUDA_VISIBLE_DEVICES`` in its environment;
* otherwise CPU workers splitting the cores: ``n_workers`` (default: one per core, at
  most one per run) with ``threads`` = cores // n_workers OpenMM threads each
  (``OPENMM_CPU_THREADS``; the tasks also set the CPU platform's ``Threads``).

SLURM / PBS (:func:`jobqueue_cluster`, from a study's or user's ``cluster:`` mapping,
:class:`ClusterInput`): dask-jobqueue submits jobs of ``walltime`` with ``cores``,
``memory`` and ``gpus_per_job`` GPUs (SLURM ``--gres=gpu:N``, PBS ``ngpus=N`` in the
select statement); each job runs ``gpus_per_job * workers_per_gpu`` worker processes (or
one CPU worker), each pinned by the platform's ``DeviceIndex``
(:func:`omm_cx.studies.segments.pin_device`). Workers end at ``--lifetime`` (the wall time
less ``lifetime_margin``) and segments are budgeted well inside it
(:func:`segment_budget_s`), so no task outlives its job: an unfinished run continues in
the next segment on another job.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Annotated, Literal, Optional

from pydantic import Field

from omm_cx.io.validation import InputModel, Whole, validate_input
from omm_cx.simulation.walltime import parse_duration
from omm_cx.studies.segments import ENV_GPUS, ENV_PER_GPU

#: Every worker offers one ``slot``; every task needs one: one task per worker at a time.
SLOT = {"slot": 1}
#: Thread limits of the numeric libraries in every worker (OpenMM's is set separately).
_QUIET_THREADS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def detect_gpus() -> list[str]:
    """Indices of the NVIDIA GPUs here (``CUDA_VISIBLE_DEVICES`` when set, else
    ``nvidia-smi -L``); [] when there is none."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [g.strip() for g in visible.split(",") if g.strip() and g.strip() != "-1"]
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    try:
        out = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [str(i) for i, line in enumerate(out.splitlines()) if line.startswith("GPU ")]


def _env(threads: int, gpu: str | None = None) -> dict[str, str]:
    env = {k: "1" for k in _QUIET_THREADS}
    env["OPENMM_CPU_THREADS"] = str(threads)
    if gpu is not None:
        env["CUDA_VISIBLE_DEVICES"] = gpu
    return env


@dataclass
class WorkerLayout:
    """How the local workers are laid out: ``gpus[i]`` is worker i's GPU (None: CPU)."""

    n_workers: int
    threads: int
    gpus: list[str | None] = field(default_factory=list)

    def describe(self) -> str:
        if any(g is not None for g in self.gpus):
            return (f"{self.n_workers} GPU worker(s) on GPU(s) "
                    f"{', '.join(sorted(set(str(g) for g in self.gpus)))}")
        return f"{self.n_workers} CPU worker(s) x {self.threads} OpenMM thread(s)"


def local_layout(n_workers: int | None = None, threads_per_worker: int | None = None, *,
                 n_runs: int | None = None, platform: str | None = None,
                 gpus: list | None = None, workers_per_gpu: int = 1,
                 cores: int | None = None) -> WorkerLayout:
    """The local workers for this machine (see the module docstring)."""
    cores = cores or os.cpu_count() or 1
    gpu_list = [str(g) for g in (detect_gpus() if gpus is None else gpus)]
    if gpu_list and (platform is None or platform.upper() in ("CUDA", "OPENCL")):
        per = max(1, int(workers_per_gpu))
        slots = [g for g in gpu_list for _ in range(per)]
        n = n_workers or len(slots)
        threads = threads_per_worker or 1
        return WorkerLayout(n, threads, [slots[i % len(slots)] for i in range(n)])
    n = n_workers or max(1, min(cores, n_runs or cores))
    threads = threads_per_worker or max(1, cores // n)
    return WorkerLayout(n, threads, [None] * n)


def local_cluster(layout: WorkerLayout):
    """A ``distributed`` cluster of ``layout``'s worker processes on this machine (no
    dashboard). CPU workers: a ``LocalCluster``; GPU workers: a ``SpecCluster`` whose
    workers each have their own ``CUDA_VISIBLE_DEVICES``."""
    from distributed import LocalCluster, Nanny, Scheduler, SpecCluster

    if all(g is None for g in layout.gpus):
        return LocalCluster(n_workers=layout.n_workers, threads_per_worker=1, processes=True,
                            dashboard_address=None, resources=dict(SLOT),
                            env=_env(layout.threads), memory_limit=0)
    workers = {f"gpu{g}-{i}": {"cls": Nanny, "options": {
        "nthreads": 1, "resources": dict(SLOT), "env": _env(layout.threads, g),
        "memory_limit": 0}} for i, g in enumerate(layout.gpus)}
    return SpecCluster(workers=workers, scheduler={
        "cls": Scheduler, "options": {"dashboard_address": None}})


class ClusterInput(InputModel):
    """A ``cluster:`` mapping (study file or user config): where SLURM/PBS jobs go."""

    kind: Literal["slurm", "pbs"] = Field(description="the batch system")
    queue: Optional[str] = Field(None, description="partition (SLURM) or queue (PBS)")
    account: Optional[str] = Field(None, description="account / project to charge")
    walltime: str = Field("24:00:00", description="wall time of each job, [D-]H:MM:SS")
    cores: Annotated[Whole, Field(ge=1)] = 4
    memory: str = Field("16GB", description="memory of each job, e.g. 16GB")
    gpus_per_job: Annotated[Whole, Field(ge=0)] = 1
    workers_per_gpu: Annotated[Whole, Field(ge=1)] = 1
    jobs: Annotated[Whole, Field(ge=1)] = 1
    lifetime_margin: str = Field("10m", description="workers end this long before the job")
    job_extra_directives: list[str] = Field(default_factory=list)
    job_script_prologue: list[str] = Field(default_factory=list,
                                           description="shell lines before the worker starts, "
                                           "e.g. module load cuda")
    interface: Optional[str] = None
    local_directory: Optional[str] = None
    log_directory: Optional[str] = None


def read_cluster(cluster: dict | ClusterInput, origin: str = "cluster") -> ClusterInput:
    """Check a ``cluster:`` mapping (a :class:`~omm_cx.errors.ConfigError` names the key)."""
    if isinstance(cluster, ClusterInput):
        return cluster
    c = validate_input(ClusterInput, cluster, origin)
    for key in ("walltime", "lifetime_margin"):
        try:
            parse_duration(getattr(c, key))
        except ValueError as exc:
            from omm_cx.io.validation import key_error

            raise key_error(origin, key, str(exc)) from None
    if parse_duration(c.lifetime_margin) * 2 >= parse_duration(c.walltime):
        from omm_cx.io.validation import key_error

        raise key_error(origin, "lifetime_margin", f"{c.lifetime_margin} leaves too little of "
                        f"the job's walltime {c.walltime}; give a margin under half of it")
    return c


def worker_lifetime_s(c: ClusterInput) -> float:
    """Seconds a jobqueue worker lives: the job's wall time less the margin."""
    return parse_duration(c.walltime) - parse_duration(c.lifetime_margin)


def segment_budget_s(c: ClusterInput) -> float:
    """Default wall-time budget of a segment on a jobqueue worker: a quarter of the
    worker's lifetime, at most 2 h (a task that starts late in a worker's life is cut by
    ``--lifetime`` and redone from the last checkpoint; short segments waste little)."""
    return min(7200.0, worker_lifetime_s(c) / 4.0)


def jobqueue_kwargs(c: ClusterInput) -> dict:
    """The ``SLURMCluster`` / ``PBSCluster`` arguments of a :class:`ClusterInput`."""
    processes = max(1, c.gpus_per_job * c.workers_per_gpu)
    threads = max(1, c.cores // processes)
    minutes = max(1, int(worker_lifetime_s(c) // 60))
    directives = list(c.job_extra_directives)
    kw: dict = dict(queue=c.queue, account=c.account, walltime=c.walltime, cores=c.cores,
                    memory=c.memory, processes=processes,
                    worker_extra_args=["--lifetime", f"{minutes}m", "--lifetime-stagger", "1m",
                                       "--resources", "slot=1"],
                    job_script_prologue=[f"export {k}={v}" for k, v in _env(threads).items()]
                    + [f"export {ENV_GPUS}={c.gpus_per_job}",
                       f"export {ENV_PER_GPU}={c.workers_per_gpu}"] + list(c.job_script_prologue),
                    scheduler_options={"dashboard_address": None})
    if c.kind == "slurm" and c.gpus_per_job:
        directives.append(f"--gres=gpu:{c.gpus_per_job}")
    if c.kind == "pbs":
        select = f"select=1:ncpus={c.cores}:mem={c.memory}"
        kw["resource_spec"] = select + (f":ngpus={c.gpus_per_job}" if c.gpus_per_job else "")
    kw["job_extra_directives"] = directives
    for key in ("interface", "local_directory", "log_directory"):
        if getattr(c, key) is not None:
            kw[key] = getattr(c, key)
    return kw


def jobqueue_cluster(cluster: dict | ClusterInput, *, start_jobs: bool = True):
    """A dask-jobqueue cluster from a ``cluster:`` mapping; with ``start_jobs`` it asks
    for ``jobs`` jobs. ``cluster.job_script()`` shows the script each job runs."""
    c = read_cluster(cluster)
    if c.kind == "slurm":
        from dask_jobqueue import SLURMCluster as Cls
    else:
        from dask_jobqueue import PBSCluster as Cls
    job_cluster = Cls(**jobqueue_kwargs(c))
    if start_jobs:
        job_cluster.scale(jobs=c.jobs)
    return job_cluster


__all__ = ["ClusterInput", "WorkerLayout", "detect_gpus", "local_layout", "local_cluster",
           "read_cluster", "jobqueue_cluster", "jobqueue_kwargs", "segment_budget_s",
           "worker_lifetime_s", "SLOT"]
