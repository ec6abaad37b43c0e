"""What the benchmark measures on: the prepared system (minimized and equilibrated at the MD
temperature), the error frames (configurations of one run, every force error the worst
frame's) and their reference forces (Reference platform, PME at
:data:`REFERENCE_TOLERANCE`; :mod:`omm_cx.bench.benchmark` says why 1e-6)."""

from __future__ import annotations

import time

import numpy as np

from omm_cx import units
from omm_cx.bench.results import _openmm_forces
from omm_cx.bench.timing import TIMESTEP_PS

#: Frames on which every configuration's force error is measured (the worst is reported),
#: and the MD steps (2 fs) between them.
ERROR_FRAMES = 3
FRAME_GAP_STEPS = 250
#: PME tolerance of the reference forces.
REFERENCE_TOLERANCE = 1e-6


def prepare(recipe="pbse-nc-cd-psl", temperature_K=550.0, equil_steps=200, seed=1, log=print):
    """(force field, built system, equilibrated positions in Å)."""
    import openmm as mm
    import openmm.unit as u

    from omm_cx.forcefield import load_forcefield
    from omm_cx.systems.recipes import build_recipe

    built = build_recipe(recipe, seed=seed)
    ff = load_forcefield(built.info["forcefield"])
    integ = mm.LangevinMiddleIntegrator(temperature_K, 1.0, TIMESTEP_PS)
    integ.setRandomNumberSeed(seed)
    ctx = mm.Context(built.system, integ, mm.Platform.getPlatformByName("CPU"))
    ctx.setPositions(units.angstrom_to_nm(built.structure.positions_A))
    t = time.time()
    mm.LocalEnergyMinimizer.minimize(ctx, 10.0, 500)
    ctx.setVelocitiesToTemperature(temperature_K, seed)
    integ.step(equil_steps)
    pos = ctx.getState(getPositions=True, enforcePeriodicBox=True).getPositions(asNumpy=True)
    log(f"prepared {recipe}: {len(built.structure.species)} particles, minimized + "
        f"{equil_steps} steps at {temperature_K} K in {time.time() - t:.1f} s")
    return ff, built, units.nm_to_angstrom(np.asarray(pos.value_in_unit(u.nanometer)))


def sample_frames(ff, built, positions_A, temperature_K=550.0, frames=ERROR_FRAMES,
                  gap_steps=FRAME_GAP_STEPS, seed=2) -> np.ndarray:
    """(frames, N, 3) Å: ``positions_A`` and the configurations of a Langevin run at
    ``temperature_K`` (K) from it, ``gap_steps`` steps of 2 fs apart (CPU platform, the
    native kernel where it applies)."""
    import openmm as mm
    import openmm.unit as u

    from omm_cx.forcefield.native.swap import choose_kernel, use_native

    system = mm.XmlSerializer.clone(built.system)
    if choose_kernel("auto", "CPU", system) == "native":
        use_native(system, ff, built.structure.species)
    integ = mm.LangevinMiddleIntegrator(temperature_K, 1.0, TIMESTEP_PS)
    integ.setRandomNumberSeed(seed)
    ctx = mm.Context(system, integ, mm.Platform.getPlatformByName("CPU"))
    ctx.setPositions(units.angstrom_to_nm(positions_A))
    ctx.setVelocitiesToTemperature(temperature_K, seed)
    out = [np.asarray(positions_A, float)]
    for _ in range(frames - 1):
        integ.step(gap_steps)
        pos = ctx.getState(getPositions=True, enforcePeriodicBox=True).getPositions(asNumpy=True)
        out.append(units.nm_to_angstrom(np.asarray(pos.value_in_unit(u.nanometer))))
    return np.stack(out)


def reference_forces(ff, built, positions_A) -> np.ndarray:
    """Forces (eV/Å) with PME at :data:`REFERENCE_TOLERANCE` on the Reference platform
    (double precision): (N, 3) for one frame (N, 3) Å, (frames, N, 3) for several."""
    import openmm as mm

    from omm_cx.forcefield.openmm_forces import CoulombSettings, create_system

    system = create_system(ff, built.structure.species, built.structure.box_A,
                           coulomb=CoulombSettings(ewald_error_tolerance=REFERENCE_TOLERANCE))
    pos = np.asarray(positions_A, float)
    ref = mm.Platform.getPlatformByName("Reference")
    if pos.ndim == 2:
        return _openmm_forces(system, pos, ref, {})
    return np.stack([_openmm_forces(system, p, ref, {}) for p in pos])


def error_frames(ff, built, positions_A, temperature_K=550.0, log=print):
    """(frames (F, N, 3) Å, reference forces (F, N, 3) eV/Å) from the prepared positions:
    :func:`sample_frames` and :func:`reference_forces`."""
    t = time.time()
    frames = sample_frames(ff, built, positions_A, temperature_K)
    ref = reference_forces(ff, built, frames)
    log(f"{len(frames)} error frames {FRAME_GAP_STEPS} steps apart at {temperature_K} K and "
        f"their reference forces (Reference platform, PME tolerance {REFERENCE_TOLERANCE:g}) "
        f"in {time.time() - t:.1f} s")
    return frames, ref


__all__ = ["error_frames", "ERROR_FRAMES", "FRAME_GAP_STEPS", "REFERENCE_TOLERANCE", "prepare", "reference_forces",
           "sample_frames"]
