"""Throughput of several independent simulations on one device at once.

A production study runs many replicas (temperatures, seeds, PSL variants); on a GPU a
10k-particle system does not fill the device, so several processes sharing it can give
more total ns/day than one. :func:`run_replicas` starts ``n`` worker processes on the same
platform (and device), lets each compile its kernels and warm up, then releases them at
the same moment and times the same number of steps in each.

Reported per replica count: ns/day of each replica (mean) and the aggregate
``n * steps * 2 fs / wall``, ``wall`` being the time from the common start to the end of
the slowest replica. On the CPU platform the cores are split evenly between replicas.

Worker entry point (internal): ``python -m omm_cx.bench.replicas WORKDIR INDEX``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from omm_cx.bench.timing import TIMESTEP_PS, md_context, ns_per_day, time_steps
from omm_cx.io.tables import read_json, write_json
from omm_cx.systems.builddir import SYSTEM_FILE

#: Seconds a worker may take to build its context and warm up, and to wait for the start.
STARTUP_TIMEOUT_S = 900.0


def replica_properties(platform_name: str, props: dict, n: int) -> dict:
    """Platform properties for one of ``n`` concurrent replicas: on the CPU platform each
    gets an equal share of the cores; GPU replicas share the (default) device."""
    props = dict(props)
    if platform_name == "CPU":
        props["Threads"] = str(max(1, (os.cpu_count() or 1) // n))
    return props


def run_replicas(system, positions_A: np.ndarray, platform_name: str, counts, *, steps: int,
                 temperature_K: float = 550.0, log=print) -> list[dict]:
    """Time ``n`` concurrent replicas of ``system`` for each ``n`` in ``counts``.

    ``positions_A``: (n_particles, 3) Å. Returns one dict per count: replicas, platform,
    threads_per_replica (CPU) or 0, steps, ns_per_day_per_replica (mean),
    aggregate_ns_per_day, speedup_vs_one (aggregate over one replica's ns/day when 1 is
    among the counts, else None).
    """
    import openmm as mm

    from omm_cx.platforms import get_platform

    _, props = get_platform(platform_name)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="omm_cx_replicas_") as tmp:
        work = Path(tmp)
        (work / SYSTEM_FILE).write_text(mm.XmlSerializer.serialize(system), encoding="utf-8")
        np.save(work / "positions_A.npy", np.asarray(positions_A, dtype=float))
        for n in counts:
            n = int(n)
            if n < 1:
                raise ValueError(f"replica count must be >= 1, got {n}")
            rprops = replica_properties(platform_name, props, n)
            run_dir = work / f"n{n}"
            run_dir.mkdir()
            write_json(run_dir / "job.json", {
                "platform": platform_name, "properties": rprops, "steps": int(steps),
                "temperature_K": float(temperature_K)})
            per_step = _launch(run_dir, n)
            wall = max(per_step) * steps
            aggregate = n * steps * TIMESTEP_PS * 1e-3 * 86400 / wall
            row = {"replicas": n, "platform": platform_name,
                   "threads_per_replica": int(rprops.get("Threads", 0)), "steps": int(steps),
                   "ns_per_day_per_replica": float(np.mean([ns_per_day(d) for d in per_step])),
                   "aggregate_ns_per_day": float(aggregate)}
            rows.append(row)
            log(f"  {n} replicas on {platform_name}: {row['ns_per_day_per_replica']:.2f} ns/day "
                f"each, {aggregate:.2f} ns/day together")
    one = next((r["aggregate_ns_per_day"] for r in rows if r["replicas"] == 1), None)
    for r in rows:
        r["speedup_vs_one"] = r["aggregate_ns_per_day"] / one if one else None
    return rows


def _launch(run_dir: Path, n: int) -> list[float]:
    """Start ``n`` workers, release them together once all are warm; seconds per step each."""
    procs = [subprocess.Popen([sys.executable, "-m", "omm_cx.bench.replicas", str(run_dir), str(i)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for i in range(n)]
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not all((run_dir / f"ready.{i}").exists() for i in range(n)):
            for i, p in enumerate(procs):
                if p.poll() is not None and not (run_dir / f"ready.{i}").exists():
                    raise RuntimeError(f"replica worker {i} of {n} exited with {p.returncode} "
                                       f"before it was ready:\n{p.stderr.read()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"replica workers not ready after {STARTUP_TIMEOUT_S:.0f} s")
            time.sleep(0.05)
        (run_dir / "go").touch()
        for i, p in enumerate(procs):
            _, err = p.communicate()
            if p.returncode != 0:
                raise RuntimeError(f"replica worker {i} of {n} failed ({p.returncode}):\n{err}")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    return [read_json(run_dir / f"result.{i}.json", "replica result")["seconds_per_step"]
            for i in range(n)]


def _worker(run_dir: Path, index: int) -> None:
    import openmm as mm

    job = read_json(run_dir / "job.json", "replica job")
    system = mm.XmlSerializer.deserialize((run_dir.parent / SYSTEM_FILE).read_text(encoding="utf-8"))
    pos = np.load(run_dir.parent / "positions_A.npy")
    platform = mm.Platform.getPlatformByName(job["platform"])
    ctx, integ = md_context(system, pos, platform, job["properties"], job["temperature_K"],
                            seed=index + 1)
    integ.step(max(5, job["steps"] // 10))
    ctx.getState(getEnergy=True)
    (run_dir / f"ready.{index}").touch()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not (run_dir / "go").exists():
        if time.monotonic() > deadline:
            raise SystemExit("no start signal")
        time.sleep(0.005)
    dt = time_steps(ctx, integ, job["steps"])
    write_json(run_dir / f"result.{index}.json", {"seconds_per_step": dt})


if __name__ == "__main__":
    _worker(Path(sys.argv[1]), int(sys.argv[2]))
