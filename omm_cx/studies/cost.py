"""Cost estimates of a study's runs (for ``omm-cx study list`` and ``--dry-run``).

CPU model (2 cores, OpenMM CPU platform with the native short-range kernel, PME):
``ms_per_step = 1.8e-3 N``, through the native-kernel point of ``omm-cx bench``
(``benchmarks/latest.json``: 18.7 ms/step for the 10,392-atom pbse-nc-cd-psl system on 2
threads). Checked against the study runs of 2026-12-07 (two workers of one thread each
on 2 cores; wall time per run over its steps, halved): 0.52-0.63 ms/step for 514-772
atoms (NC in PSL solution, Cd/PSL liquid, the zinc-blende Cu cell) and 1.1-1.5 ms/step
for 784-1000-atom bulk crystals, against 0.9-1.8 ms/step from the model: it is high by
up to 2x for small sparse systems and about right for dense ones and the paper-size NC.
The model before the native kernel (11.6 + 1.9e-3 N, from
``benchmarks/scaling_custom_force.json``) was 10-20x high for the small presets.

An isolated particle without a box sums Coulomb over all pairs, so its cost grows as
``N^2``: with ``vacuum_method: short-range-cutoff`` (000's dumbbells) the CPU platform runs
the native kernel without a box (the short range within the cutoff and Coulomb over every
pair in one vector loop), ``ms_per_step = 4.6e-7 N^2``, fitted to the whole wall time of
000-dumbbells' small preset (2026-12-07: 12 runs of 12,004-12,124 ions, 20 ps each, two
workers of one thread on 2 cores, 8097 s; build, minimization and segment restarts
included, ~100 ms/step per run while it runs). One force evaluation of the 12,066-ion
pbse-cdse-dumbbell-4 takes 45 ms on 2 idle cores (OpenMM's reaction-field path: 0.36 s). With ``vacuum_method: all-pairs`` (every term over all pairs, in OpenMM)
``ms_per_step = 5.9e-5 N^2``, from the 8.6 s per step of :mod:`omm_cx.systems.vacuum`.

GPU: a measured ns/day is used only where ``benchmarks/latest.json`` has a CUDA result
(scaled by atoms from that system size); otherwise the GPU-hours are "unmeasured".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

CPU_MS_PER_STEP_BASE = 0.0
CPU_MS_PER_STEP_PER_ATOM = 1.8e-3
CPU_MODEL = ("CPU (2 cores, native kernel): ms/step = 1.8e-3 x atoms, through omm-cx bench's "
             "18.7 ms/step at 10,392 atoms; checked against the study runs of 2026-12-07 "
             "(high by up to 2x for small sparse systems)")
#: An isolated particle (no box), ms/step per atom^2, by its vacuum_method.
CPU_MS_PER_STEP_PER_ATOM2_VACUUM = {"short-range-cutoff": 4.6e-7, "all-pairs": 5.9e-5}
#: A call (lattice statics, diffraction) is not MD; a stated flat estimate per run.
CALL_WALL_S = 60.0


@dataclass
class Cost:
    """Totals of a list of runs: ``simulated_ns``, ``cpu_hours`` (2 cores),
    ``gpu_hours`` (None: unmeasured), ``n_runs``, the model texts."""

    n_runs: int
    simulated_ns: float
    cpu_hours: float
    gpu_hours: float | None
    gpu_model: str
    cpu_model: str = CPU_MODEL

    def text(self) -> str:
        gpu = f"{self.gpu_hours:.2f} GPU-h" if self.gpu_hours is not None else "GPU-h unmeasured"
        return (f"{self.n_runs} runs, {self.simulated_ns:.3g} ns, "
                f"{format_hours(self.cpu_hours)} on 2 CPU cores, {gpu}")


def format_hours(h: float) -> str:
    """A duration given in hours, in s, min, h or days."""
    if h < 1 / 60:
        return f"{h * 3600:.0f} s"
    if h < 2:
        return f"{h * 60:.0f} min"
    if h < 48:
        return f"{h:.1f} h"
    return f"{h / 24:.0f} days"


def _benchmark_file() -> Path:
    return Path(__file__).resolve().parents[2] / "benchmarks" / "latest.json"


def measured_gpu_ns_per_day() -> tuple[float, int] | None:
    """(ns/day, atoms) of a CUDA result in benchmarks/latest.json, or None."""
    try:
        data = json.loads(_benchmark_file().read_text())
    except (OSError, ValueError):
        return None
    for r in data.get("results", []):
        if r.get("engine") == "omm_cx" and str(r.get("platform", "")).upper() == "CUDA":
            return float(r["ns_per_day"]), int(r.get("particles") or data.get("particles"))
    return None


def cpu_seconds(n_atoms: int | None, length_ps: float, timestep_fs: float = 2.0,
                vacuum_method: str | None = None) -> float:
    """Estimated wall seconds of one MD run on 2 CPU cores (``vacuum_method``: an isolated
    particle without a box, "short-range-cutoff" or "all-pairs"; None: a periodic box)."""
    if not n_atoms or length_ps <= 0:
        return 0.0
    steps = length_ps * 1000.0 / timestep_fs
    per_step = (CPU_MS_PER_STEP_PER_ATOM2_VACUUM[vacuum_method] * n_atoms ** 2 if vacuum_method
                else CPU_MS_PER_STEP_BASE + CPU_MS_PER_STEP_PER_ATOM * n_atoms)
    return steps * per_step / 1000.0


def vacuum_method(plan) -> str | None:
    """The vacuum_method of the plan's recipe when it is an isolated particle without a
    box (its Coulomb summed over all pairs), else None."""
    recipe = getattr(plan, "recipe", None) or {}
    if recipe.get("vacuum_method") == "short-range-cutoff":
        return "short-range-cutoff"
    if (recipe and recipe.get("box_nm") is None and recipe.get("vacuum_padding_nm") is None
            and recipe.get("vacuum_method") == "all-pairs"):
        return "all-pairs"
    return None


def plan_cpu_seconds(plan) -> float:
    """Estimated wall seconds of one MD :class:`~omm_cx.studies.plan.RunPlan` on 2 CPU cores."""
    ts = float((plan.config or {}).get("timestep_fs", 2.0))
    return cpu_seconds(plan.n_atoms, plan.length_ps, ts, vacuum_method(plan))


def estimate(plans: Sequence) -> Cost:
    """The :class:`Cost` of a list of :class:`~omm_cx.studies.plan.RunPlan`."""
    gpu = measured_gpu_ns_per_day()
    cpu_s, gpu_h, ns = 0.0, 0.0, 0.0
    for p in plans:
        if p.kind == "call":
            cpu_s += CALL_WALL_S
            continue
        cpu_s += plan_cpu_seconds(p)
        ns += p.length_ps / 1000.0
        if gpu is not None and p.n_atoms:
            ns_day, atoms_ref = gpu
            gpu_h += p.length_ps / 1000.0 / (ns_day * atoms_ref / max(p.n_atoms, 1)) * 24.0
    if gpu is None:
        model = "unmeasured: benchmarks/latest.json has no CUDA result (docs/gpu.md says how to measure)"
        return Cost(len(plans), ns, cpu_s / 3600.0, None, model)
    model = (f"measured {gpu[0]:.3g} ns/day at {gpu[1]} atoms (benchmarks/latest.json), scaled "
             f"inversely with atoms")
    return Cost(len(plans), ns, cpu_s / 3600.0, gpu_h, model)
