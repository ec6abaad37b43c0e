#!/usr/bin/env python
"""The native kernel's pruned list against none: ms/step of MD on the bench's system,
``native-coulomb`` with PME, the same system with ``pruneSkin`` 0 and with the default,
timed in interleaved repeats (A B A B ...) in one process after a warm-up at the run's
temperature.

    python benchmarks/pruned_list.py [--recipe pbse-nc-cd-psl] [--steps 200] [--repeats 5]
        [--threads 2] [--prune-skins 0,0.02] [--json-file benchmarks/pruned_list.json]

Prints the median and range of ms/step per setting, with the platform, precision, atom
count, thread count and machine, and the native kernel's counts (evaluations, list
builds, prunes) of the last repeat of each setting.
"""

from __future__ import annotations

import argparse
import os
import platform as pyplatform
import re
import statistics
import time


def with_prune_skin(system, prune_skin_nm: float):
    """A copy of ``system`` whose native force has ``prune_skin_nm``."""
    import openmm as mm

    xml = mm.XmlSerializer.serialize(system)
    xml = re.sub(r' pruneSkin="[^"]*"', "", xml)
    xml = xml.replace('type="OmmCxPairTableForce"',
                      f'type="OmmCxPairTableForce" pruneSkin="{prune_skin_nm!r}"')
    return mm.XmlSerializer.deserialize(xml)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--recipe", default="pbse-nc-cd-psl")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--temperature", type=float, default=550.0)
    p.add_argument("--prune-skins", default="0,0.02", help="comma-separated nm")
    p.add_argument("--json-file", default="benchmarks/pruned_list.json")
    a = p.parse_args()

    import openmm as mm

    from omm_cx import units
    from omm_cx.bench.benchmark import _cpu_name
    from omm_cx.io.tables import write_json
    from omm_cx.forcefield import load_forcefield
    from omm_cx.forcefield.openmm_forces import create_system
    from omm_cx.systems.recipes import build_recipe

    b = build_recipe(a.recipe)
    species, box = b.structure.species, b.structure.box_A
    base = create_system(load_forcefield(b.info["forcefield"]), species, box, encoding="native-coulomb")
    plat = mm.Platform.getPlatformByName("CPU")
    props = {"Threads": str(a.threads)}
    warm = mm.LangevinMiddleIntegrator(a.temperature, 1.0, 0.002)
    ctx = mm.Context(base, warm, plat, props)
    ctx.setPositions(units.angstrom_to_nm(b.structure.positions_A))
    mm.LocalEnergyMinimizer.minimize(ctx, 10.0, 200)
    ctx.setVelocitiesToTemperature(a.temperature, 1)
    warm.step(500)
    state = ctx.getState(getPositions=True, getVelocities=True)
    del ctx

    skins = [float(x) for x in a.prune_skins.split(",")]
    contexts = {}
    for s in skins:
        integ = mm.LangevinMiddleIntegrator(a.temperature, 1.0, 0.002)
        c = mm.Context(with_prune_skin(base, s), integ, plat, props)
        c.setPositions(state.getPositions())
        c.setVelocities(state.getVelocities())
        integ.step(10)
        contexts[s] = (c, integ)
    times: dict[float, list[float]] = {s: [] for s in skins}
    for _ in range(a.repeats):
        for s in skins:
            c, integ = contexts[s]
            c.getState(getEnergy=True)
            t = time.perf_counter()
            integ.step(a.steps)
            c.getState(getEnergy=True)
            times[s].append((time.perf_counter() - t) / a.steps * 1e3)
    rows = []
    for s in skins:
        ms = times[s]
        rows.append({"prune_skin_nm": s, "ms_per_step_median": statistics.median(ms),
                     "ms_per_step_min": min(ms), "ms_per_step_max": max(ms), "ms_per_step": ms})
        print(f"pruneSkin {s:g} nm: {statistics.median(ms):.2f} ms/step "
              f"({min(ms):.2f}-{max(ms):.2f}, {a.repeats} repeats of {a.steps} steps)")
    out = {"recipe": a.recipe, "n_atoms": len(species), "platform": "CPU", "precision": "mixed",
           "encoding": "native-coulomb", "threads": a.threads, "temperature_K": a.temperature,
           "machine": _cpu_name(), "python": pyplatform.python_version(),
           "date": time.strftime("%Y-%m-%d"), "rows": rows}
    print(f"{len(species)} atoms, CPU platform, mixed precision, {a.threads} threads, {_cpu_name()}")
    write_json(a.json_file, out)  # atomically


if __name__ == "__main__":
    main()
