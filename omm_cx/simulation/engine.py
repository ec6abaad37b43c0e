"""OpenMM objects of a run: seeds, integrator, barostat, topology and the Simulation.

* nvt: ``LangevinMiddleIntegrator(T, friction, dt)``;
* npt: the same plus ``MonteCarloBarostat`` (isotropic) or
  ``MonteCarloAnisotropicBarostat`` (each box length scaled independently) at
  ``pressure_GPa``;
* nve: ``VerletIntegrator(dt)``; initial velocities at ``temperature_K``.

All random numbers (integrator, initial velocities, barostat) come from seeds derived
deterministically from the config's ``seed`` (:func:`derive_seeds`).
"""

from __future__ import annotations

import numpy as np

from omm_cx import units
from omm_cx.errors import ConfigError
from omm_cx.simulation.config import RunConfig
from omm_cx.io.pdb import Structure


def derive_seeds(seed: int) -> dict[str, int]:
    """Integrator, velocity and barostat seeds (1 .. 2^31-1; OpenMM reads 0 as 'random')."""
    raw = np.random.SeedSequence(int(seed)).generate_state(3, dtype=np.uint32)
    vals = [int(x) % (2**31 - 2) + 1 for x in raw]
    return {"integrator": vals[0], "velocities": vals[1], "barostat": vals[2]}


def make_integrator(cfg: RunConfig, seeds: dict[str, int]):
    import openmm as mm

    dt_ps = cfg.timestep_ps
    if cfg.ensemble == "nve":
        return mm.VerletIntegrator(dt_ps)
    integrator = mm.LangevinMiddleIntegrator(cfg.temperature_K, cfg.friction_per_ps, dt_ps)
    integrator.setRandomNumberSeed(seeds["integrator"])
    return integrator


def add_barostat(system, cfg: RunConfig, seeds: dict[str, int]):
    """Add the Monte Carlo barostat of an npt run to ``system``; return it (None otherwise)."""
    import openmm as mm

    if cfg.ensemble != "npt":
        return None
    if not system.usesPeriodicBoundaryConditions():
        raise ValueError("npt needs a periodic system (the structure has no box)")
    p_bar = units.gpa_to_bar(cfg.pressure_GPa)
    if cfg.barostat == "anisotropic":
        baro = mm.MonteCarloAnisotropicBarostat(mm.Vec3(p_bar, p_bar, p_bar), cfg.temperature_K,
                                                True, True, True, cfg.barostat_interval_steps)
    else:
        baro = mm.MonteCarloBarostat(p_bar, cfg.temperature_K, cfg.barostat_interval_steps)
    baro.setRandomNumberSeed(seeds["barostat"])
    system.addForce(baro)
    return baro


def make_topology(structure: Structure):
    """An OpenMM Topology: one residue per ion, atom name = species, the box in nm."""
    import openmm as mm
    import openmm.app as app

    top = app.Topology()
    chain = top.addChain()
    elements = {}
    for s in sorted(set(structure.species)):
        try:
            elements[s] = app.Element.getBySymbol(s)
        except KeyError:
            elements[s] = None  # e.g. PSL, a pseudo-particle
    for s in structure.species:
        res = top.addResidue(s.upper()[:3], chain)
        top.addAtom(s, elements[s], res)
    if structure.box_A is not None:
        h = units.angstrom_to_nm(structure.box_A)
        top.setPeriodicBoxVectors([mm.Vec3(*row) for row in h])
    return top


def make_simulation(structure: Structure, system, cfg: RunConfig, seeds, platform, properties):
    """``openmm.app.Simulation`` on ``platform``; positions and box are not set here."""
    import openmm.app as app

    integrator = make_integrator(cfg, seeds)
    return app.Simulation(make_topology(structure), system, integrator, platform, properties)


def set_initial_state(simulation, structure: Structure) -> None:
    """Positions (and box) of a fresh start."""
    import openmm as mm

    if structure.box_A is not None:
        h = units.angstrom_to_nm(structure.box_A)
        simulation.context.setPeriodicBoxVectors(*(mm.Vec3(*row) for row in h))
    simulation.context.setPositions(units.angstrom_to_nm(structure.positions_A))
    simulation.currentStep = 0
    simulation.context.setTime(0.0)


def platform_record(simulation) -> dict:
    """Name and property values of the platform the Context actually runs on."""
    ctx = simulation.context
    plat = ctx.getPlatform()
    props = {}
    for name in plat.getPropertyNames():
        try:
            props[name] = plat.getPropertyValue(ctx, name)
        except Exception:  # some properties cannot be read back on every platform
            pass
    return {"name": plat.getName(), "properties": props, "speed": plat.getSpeed()}


def apply_short_range_kernel(system, loaded, cfg: RunConfig, platform_name: str) -> str:
    """Swap ``system``'s short range to the native kernel where ``cfg.short_range_kernel``
    (auto: on the CPU platform) asks for it; returns the kernel used, "native" or
    "custom". ConfigError where "native" was asked for and cannot be had."""
    from omm_cx.errors import NativeUnavailable
    from omm_cx.forcefield import load_forcefield
    from omm_cx.forcefield.native.swap import choose_kernel, use_native

    kernel = choose_kernel(cfg.short_range_kernel, platform_name, system)
    if kernel != "native":
        return kernel
    try:  # use_native says why not (no box, no custom short range) or the build failure
        use_native(system, load_forcefield(loaded.record.forcefield), loaded.structure.species)
    except (NativeUnavailable, ValueError) as exc:
        raise ConfigError(f"{cfg.origin}: key 'short_range_kernel': {exc}; use auto or custom") from None
    return kernel
