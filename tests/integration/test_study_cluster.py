"""The clusters of study execution (omm_cx.studies.cluster): the SLURM/PBS job scripts that
dask-jobqueue generates (no batch system needed: the script is only written, no job is
submitted), and the local workers' layout, thread limit and GPU pinning on real Dask
worker processes."""

from __future__ import annotations

import re

import pytest

from omm_cx.errors import ConfigError
from omm_cx.simulation.walltime import parse_duration
from omm_cx.studies.cluster import (SLOT, jobqueue_cluster, local_cluster, local_layout,
                                    read_cluster, segment_budget_s, worker_lifetime_s)

GPU_JOB = {"queue": "gpu", "account": "proj42", "walltime": "02:00:00", "cores": 8,
           "memory": "32GB", "gpus_per_job": 2, "workers_per_gpu": 1,
           "job_script_prologue": ["module load cuda/12"]}


def _script(kind: str, **changes) -> str:
    cluster = jobqueue_cluster({**GPU_JOB, **changes, "kind": kind}, start_jobs=False)
    try:
        return cluster.job_script()
    finally:
        cluster.close()


def _worker_args(script: str) -> str:
    lines = [line for line in script.splitlines() if "distributed.cli.dask_worker" in line]
    assert len(lines) == 1, script
    return lines[0]


def test_slurm_job_script_directives_gpus_walltime_lifetime():
    script = _script("slurm")
    for directive in ("#SBATCH -p gpu", "#SBATCH -A proj42", "#SBATCH -t 02:00:00",
                      "#SBATCH --cpus-per-task=8", "#SBATCH --gres=gpu:2"):
        assert directive in script.splitlines(), (directive, script)
    assert re.search(r"^#SBATCH --mem=\d+G$", script, re.M), script
    # the environment precedes the worker: OpenMM threads = 8 cores / 2 workers, the GPU
    # layout for DeviceIndex pinning, the user's prologue
    body = script.split("\n")
    worker_line = next(i for i, l in enumerate(body) if "dask_worker" in l)
    for export in ("export OPENMM_CPU_THREADS=4", "export OMM_CX_GPUS_PER_JOB=2",
                   "export OMM_CX_WORKERS_PER_GPU=1", "module load cuda/12"):
        assert body.index(export) < worker_line, (export, script)
    args = _worker_args(script)
    # one worker process per GPU, each taking one segment at a time
    assert "--nworkers 2" in args and "--resources slot=1" in args
    # the worker ends 10 min (the default margin) before the 2 h job ends
    lifetime = re.search(r"--lifetime (\d+)m", args)
    assert lifetime and int(lifetime.group(1)) == 110, args
    assert "--lifetime-stagger" in args


def test_pbs_job_script_select_with_gpus_and_walltime():
    script = _script("pbs", workers_per_gpu=2, walltime="1-00:00:00", lifetime_margin="30m")
    lines = script.splitlines()
    for directive in ("#PBS -q gpu", "#PBS -A proj42",
                      "#PBS -l select=1:ncpus=8:mem=32GB:ngpus=2",
                      "#PBS -l walltime=1-00:00:00"):
        assert directive in lines, (directive, script)
    args = _worker_args(script)
    assert "--nworkers 4" in args  # 2 GPUs x 2 workers per GPU
    assert "export OPENMM_CPU_THREADS=2" in lines  # 8 cores / 4 workers
    assert re.search(r"--lifetime 1410m", args), args  # 24 h - 30 min


def test_cpu_only_job_has_no_gpu_request():
    script = _script("slurm", gpus_per_job=0, cores=4)
    assert "gres" not in script and "--nworkers" not in _worker_args(script)
    assert "export OPENMM_CPU_THREADS=4" in script.splitlines()


def test_segment_budget_fits_inside_worker_lifetime():
    c = read_cluster({**GPU_JOB, "kind": "slurm"})
    assert worker_lifetime_s(c) == pytest.approx(parse_duration("2h") - 600)
    # a segment that starts at any time before 3/4 of the worker's life ends before it
    assert segment_budget_s(c) == pytest.approx(worker_lifetime_s(c) / 4)
    long = read_cluster({**GPU_JOB, "kind": "slurm", "walltime": "48:00:00"})
    assert segment_budget_s(long) == 7200.0


@pytest.mark.parametrize("change, key", [
    ({"walltime": "two hours"}, "walltime"),
    ({"lifetime_margin": "1h"}, "lifetime_margin"),   # half the 2 h job or more
    ({"gpus": 2}, "gpus"),                            # unknown key (gpus_per_job is meant)
    ({"cores": 0}, "cores"),
])
def test_bad_cluster_mapping_names_the_key(change, key):
    with pytest.raises(ConfigError, match=key):
        read_cluster({**GPU_JOB, "kind": "slurm", **change}, "study x: cluster")


def test_local_layout_splits_cores_or_pins_gpus():
    cpu = local_layout(None, None, n_runs=40, platform=None, gpus=[], cores=16)
    assert (cpu.n_workers, cpu.threads) == (16, 1)
    five = local_layout(None, None, n_runs=5, platform=None, gpus=[], cores=16)
    assert (five.n_workers, five.threads) == (5, 3)
    few = local_layout(None, None, n_runs=3, platform=None, gpus=[], cores=16)
    assert (few.n_workers, few.threads) == (3, 5)  # one worker per run, the cores split
    gpu = local_layout(None, None, n_runs=9, platform=None, gpus=["0", "1"], workers_per_gpu=2,
                       cores=16)
    assert gpu.gpus == ["0", "0", "1", "1"] and gpu.n_workers == 4
    forced_cpu = local_layout(2, None, n_runs=9, platform="CPU", gpus=["0"], cores=16)
    assert forced_cpu.gpus == [None, None] and forced_cpu.threads == 8


def _worker_view() -> dict:
    import os

    import openmm as mm

    from omm_cx.studies.segments import limit_threads

    before = mm.Platform.getPlatformByName("CPU").getPropertyDefaultValue("Threads")
    limit_threads(int(os.environ["OPENMM_CPU_THREADS"]))
    return {"cuda": os.environ.get("CUDA_VISIBLE_DEVICES"),
            "env_threads": os.environ.get("OPENMM_CPU_THREADS"), "omm_threads": before,
            "pid": os.getpid()}


def test_local_workers_are_processes_with_limited_openmm_threads():
    """2 CPU workers on 2 cores: separate processes, 1 OpenMM thread each (the CPU
    platform's default, read from OPENMM_CPU_THREADS when openmm loads in the worker)."""
    from distributed import Client

    layout = local_layout(2, None, n_runs=4, platform="CPU", gpus=[], cores=2)
    with local_cluster(layout) as cluster, Client(cluster, set_as_default=False) as client:
        workers = list(client.scheduler_info()["workers"])
        assert len(workers) == 2
        views = [client.submit(_worker_view, workers=[w], resources=dict(SLOT), pure=False)
                 for w in workers]
        views = client.gather(views)
    assert len({v["pid"] for v in views}) == 2
    for v in views:
        assert v["env_threads"] == "1" and v["omm_threads"] == "1", v


def test_local_gpu_workers_each_see_their_own_device():
    """Pinning is by environment, so it can be checked without GPUs: two 'GPUs' x one
    worker each -> each worker process has its own CUDA_VISIBLE_DEVICES."""
    from distributed import Client

    layout = local_layout(None, None, n_runs=2, platform=None, gpus=["3", "5"], cores=2)
    with local_cluster(layout) as cluster, Client(cluster, set_as_default=False) as client:
        info = client.scheduler_info()["workers"]
        views = {}
        for addr, w in info.items():
            views[w["name"]] = client.submit(_worker_view, workers=[addr], pure=False,
                                             resources=dict(SLOT)).result()
    assert sorted(v["cuda"] for v in views.values()) == ["3", "5"]
    for name, v in views.items():
        assert name.startswith(f"gpu{v['cuda']}-"), (name, v)
