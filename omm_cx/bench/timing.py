"""Timing of OpenMM MD: the context every benchmark times, steps per wall second, ns/day.

Shared by the engine comparison (:mod:`omm_cx.bench.benchmark`), the scaling runs
(:mod:`omm_cx.bench.scaling`) and the replica workers (:mod:`omm_cx.bench.replicas`).
"""

from __future__ import annotations

import time

from omm_cx import units

#: MD time step of every timing, ps.
TIMESTEP_PS = 0.002


def md_context(system, positions_A, platform, props, temperature_K, seed=1):
    """(Context, integrator): Langevin at ``temperature_K`` (K), 2 fs, friction 1/ps,
    velocities drawn, warmed up by a few steps (kernel compilation, neighbour lists)."""
    import openmm as mm

    integ = mm.LangevinMiddleIntegrator(temperature_K, 1.0, TIMESTEP_PS)
    integ.setRandomNumberSeed(seed)
    ctx = mm.Context(system, integ, platform, props)
    ctx.setPositions(units.angstrom_to_nm(positions_A))
    ctx.setVelocitiesToTemperature(temperature_K, seed)
    integ.step(5)
    ctx.getState(getEnergy=True)
    return ctx, integ


def time_steps(ctx, integ, steps: int) -> float:
    """Wall seconds per MD step over ``steps`` steps (waits for the device to finish)."""
    ctx.getState(getEnergy=True)
    t = time.perf_counter()
    integ.step(steps)
    ctx.getState(getEnergy=True)
    return (time.perf_counter() - t) / steps


def ns_per_day(seconds_per_step: float) -> float:
    """Simulated ns per wall-clock day at the benchmark's 2 fs step."""
    return TIMESTEP_PS * 1e-3 * 86400 / seconds_per_step


def device_name(ctx) -> str:
    """The GPU (or OpenCL device) a context runs on; '' for the CPU platforms."""
    platform = ctx.getPlatform()
    for key in ("DeviceName", "OpenCLDeviceName", "CudaDeviceName"):
        if key in platform.getPropertyNames():
            try:
                return platform.getPropertyValue(ctx, key)
            except Exception:  # property listed but not held by this context
                continue
    return ""


def time_openmm(system, positions_A, platform, props, steps, temperature_K) -> tuple[float, str]:
    """(seconds per step, device name) of ``steps`` MD steps after a warm-up."""
    ctx, integ = md_context(system, positions_A, platform, props, temperature_K)
    integ.step(max(5, steps // 10))  # more warm-up
    return time_steps(ctx, integ, steps), device_name(ctx)
