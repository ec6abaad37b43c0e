"""What a fresh start of a run makes: the minimized structure and the new run record."""

from __future__ import annotations

import logging
import math
from pathlib import Path

from omm_cx import units
from omm_cx.simulation import health, provenance
from omm_cx.choices import RunStatus, SeedSource
from omm_cx.simulation.config import RunConfig
from omm_cx.simulation.record import (
    Minimization,
    PlatformRecord,
    RunRecord,
    RunSettings,
    RunSystem,
    Seeds,
    TrajectoryInfo,
)

log = logging.getLogger("omm_cx.simulation")

#: How the trajectory's coordinates are written (recorded in run.json).
COORDINATES = ("unwrapped: as integrated, enforcePeriodicBox=False (ions are never wrapped "
               "into the box; analyses apply periodic images)")


def potential_eV(simulation) -> float:
    """Potential energy of the simulation's current state (eV)."""
    import openmm.unit as u

    e = simulation.context.getState(getEnergy=True).getPotentialEnergy()
    return units.kjmol_to_ev(e.value_in_unit(u.kilojoule_per_mole))


def minimize(simulation, cfg: RunConfig) -> Minimization | None:
    """Minimize the energy when the config asks for it (RMS force tolerance in eV/Å);
    :class:`SimulationError` when the starting energy is not finite."""
    if not cfg.minimize:
        return None
    e0 = potential_eV(simulation)
    if not math.isfinite(e0):
        raise health.failure(f"the starting structure has a non-finite energy ({e0})", cfg, None)
    log.info("minimizing (RMS force tolerance %g eV/Å)", cfg.minimize_tolerance_eV_per_A)
    tol = units.ev_per_angstrom_to_kjmol_nm(cfg.minimize_tolerance_eV_per_A)
    if _opencl_on_pocl(simulation):
        _minimize_on_cpu(simulation, tol, cfg.minimize_max_iterations)
    else:
        simulation.minimizeEnergy(tolerance=tol, maxIterations=cfg.minimize_max_iterations)
    e1 = potential_eV(simulation)
    log.info("minimized: %.6g -> %.6g eV", e0, e1)
    return Minimization(initial_energy_eV=e0, final_energy_eV=e1,
                        tolerance_eV_per_A=cfg.minimize_tolerance_eV_per_A)


def _opencl_on_pocl(simulation) -> bool:
    from omm_cx.platforms import opencl_is_cpu_only

    return simulation.context.getPlatform().getName() == "OpenCL" and opencl_is_cpu_only()


def _minimize_on_cpu(simulation, tolerance_kjmol_nm: float, max_iterations: int) -> None:
    """Minimize in a CPU-platform context of the same system and copy the positions back:
    OpenMM 8.6.1's LocalEnergyMinimizer crashes (segmentation fault) on the OpenCL
    platform of PoCL 2026-12-01, for every omm_cx system tried (a Cd-PSL liquid, the demo
    box, the Cu/CdSe wire)."""
    import openmm as mm

    log.info("minimizing on the CPU platform (OpenCL runs on PoCL, whose minimizer crashes)")
    state = simulation.context.getState(getPositions=True)
    ctx = mm.Context(simulation.system, mm.VerletIntegrator(0.001),
                     mm.Platform.getPlatformByName("CPU"))
    ctx.setPeriodicBoxVectors(*state.getPeriodicBoxVectors())
    ctx.setPositions(state.getPositions())
    mm.LocalEnergyMinimizer.minimize(ctx, tolerance_kjmol_nm, max_iterations)
    simulation.context.setPositions(ctx.getState(getPositions=True).getPositions())
    del ctx


def new_run_record(cfg: RunConfig, loaded, seed: int, seeds: dict[str, int],
                   degrees_of_freedom: int, platform: dict, trajectory_file: str,
                   minimization: Minimization | None) -> RunRecord:
    """The run record of a fresh start (status ``running``, no segment yet). ``loaded``:
    the :class:`~omm_cx.simulation.source.LoadedSystem`; ``platform``:
    :func:`omm_cx.simulation.engine.platform_record`."""
    return RunRecord(
        status=RunStatus.RUNNING,
        config_file=None if cfg.origin == "run config" else str(Path(cfg.origin).resolve()),
        config=cfg.raw,
        settings=RunSettings.model_validate({**cfg.as_dict(), "seed": seed}),
        seed=seed,
        seed_source=SeedSource.CONFIG if cfg.seed is not None else SeedSource.RANDOM,
        seeds=Seeds(**seeds),
        system=RunSystem(description=loaded.description, n_atoms=loaded.n_atoms,
                         degrees_of_freedom=degrees_of_freedom, build_info=loaded.record,
                         groups={k: len(v) for k, v in loaded.record.groups.items()}),
        platform=PlatformRecord(**platform),
        versions=provenance.versions(),
        git_commit=provenance.git_commit(),
        minimization=minimization,
        trajectory=TrajectoryInfo(file=trajectory_file, interval_steps=cfg.report.trajectory_steps,
                                  coordinates=COORDINATES,
                                  first_frame_step=cfg.report.trajectory_steps),
        total_steps=cfg.total_steps,
    )
