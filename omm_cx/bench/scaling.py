"""Cost of MD against system size: the recipe's system scaled by a factor (larger box, the
solution at the same density, the same nanocrystal), ms per step and µs per particle-step."""

from __future__ import annotations

import math

import numpy as np

from omm_cx import units
from omm_cx.bench.timing import TIMESTEP_PS, time_openmm


def scaled_recipe(recipe: str, factor: float) -> dict:
    """The recipe with its box volume multiplied by ``factor`` and the solution scaled to
    keep its density (the nanocrystal stays the same)."""
    from omm_cx.io.yaml_input import load_yaml
    from omm_cx.systems.recipes import resolve_recipe

    doc = load_yaml(resolve_recipe(recipe))
    L = float(doc["box_nm"])
    d = float(doc.get("nanocrystal", {}).get("diameter_nm", 0.0))
    v_nc = math.pi / 6 * d**3
    doc["box_nm"] = L * factor ** (1 / 3)
    sol = doc["solution"]
    sol["pairs"] = int(round(sol["pairs"] * (factor * L**3 - v_nc) / (L**3 - v_nc)))
    doc["name"] = f"{doc.get('name', recipe)}-x{factor:g}"
    return doc


def run_scaling(recipe="pbse-nc-cd-psl", factors=(1, 2, 4), platform_name=None, steps=20,
                temperature_K=550.0, tolerance=5e-4, log=print) -> list[dict]:
    """ms/step of the system scaled by each factor (larger box, proportional solution)."""
    import openmm as mm
    import openmm.unit as u

    from omm_cx.forcefield import load_forcefield
    from omm_cx.forcefield.openmm_forces import CoulombSettings, create_system
    from omm_cx.platforms import get_platform
    from omm_cx.systems.recipes import build_recipe

    platform, props = get_platform(platform_name)
    rows = []
    for f in factors:
        built = build_recipe(scaled_recipe(recipe, f))
        ff = load_forcefield(built.info["forcefield"])
        system = create_system(ff, built.structure.species, built.structure.box_A,
                               coulomb=CoulombSettings(ewald_error_tolerance=tolerance))
        integ = mm.LangevinMiddleIntegrator(temperature_K, 1.0, TIMESTEP_PS)
        ctx = mm.Context(system, integ, platform, props)
        ctx.setPositions(units.angstrom_to_nm(built.structure.positions_A))
        mm.LocalEnergyMinimizer.minimize(ctx, 10.0, 200)
        pos = units.nm_to_angstrom(
            np.asarray(ctx.getState(getPositions=True).getPositions(asNumpy=True).value_in_unit(u.nanometer)))
        dt, _ = time_openmm(system, pos, platform, props, steps, temperature_K)
        n = len(built.structure.species)
        rows.append({"factor": f, "particles": n, "ms_per_step": dt * 1e3,
                     "us_per_particle_step": dt * 1e6 / n, "platform": platform.getName()})
        log(f"  x{f:g}: {n} particles, {dt * 1e3:.2f} ms/step, {dt * 1e6 / n:.3f} µs per particle-step")
    return rows
