#!/usr/bin/env python
"""The fast paths for an isolated particle (omm_cx.systems.vacuum) against all pairs:
ms/step, ns/day and the RMS force error against all pairs recorded at build.

    python benchmarks/vacuum_path.py [--recipe pbse-cdse-dumbbell-1] [--paddings 2,3]
        [--platforms CPU,OpenCL] [--steps 5] [--json-file benchmarks/vacuum_path.json]

Paths: all pairs with no cutoff (000), ``vacuum_method: short-range-cutoff`` as built
(OpenMM's reaction-field Coulomb) and, on the CPU platform, as a run computes it (the
native kernel without a box), and for each padding the periodic box
(``vacuum_padding_nm``). Each on every platform given, 2 fs
Langevin at 500 K from the built positions (no minimization: the timing only), the
clock stopped after a state read (OpenCL queues its work). Prints one line per path and
platform with the atom count and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as pyplatform
import time


def ms_per_step(system, positions_A, steps: int, platform: str) -> float:
    import openmm as mm

    from omm_cx import units
    from omm_cx.platforms import get_platform

    plat, props = get_platform(platform, None)
    integ = mm.LangevinMiddleIntegrator(500.0, 1.0, 0.002)
    ctx = mm.Context(system, integ, plat, props)
    ctx.setPositions(units.angstrom_to_nm(positions_A))
    integ.step(1)
    ctx.getState(getEnergy=True)
    t = time.perf_counter()
    integ.step(steps)
    ctx.getState(getEnergy=True)
    return (time.perf_counter() - t) / steps * 1e3


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--recipe", default="pbse-cdse-dumbbell-1")
    p.add_argument("--paddings", default="", help="comma-separated nm; empty: none")
    p.add_argument("--platforms", default="CPU")
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--json-file", default="benchmarks/vacuum_path.json")
    a = p.parse_args()

    from omm_cx.bench.benchmark import _cpu_name
    from omm_cx.systems.recipes import build_recipe, read_recipe

    _, doc, _ = read_recipe(a.recipe)
    doc = {k: v for k, v in doc.items() if k not in ("vacuum_method", "vacuum_padding_nm")}
    paths = [("all pairs, no cutoff", dict(doc, vacuum_method="all-pairs")),
             ("Coulomb all pairs, short range 12 A", dict(doc, vacuum_method="short-range-cutoff"))]
    paths += [(f"periodic box, {pad:g} nm padding, PME", dict(doc, vacuum_padding_nm=pad))
              for pad in [float(x) for x in a.paddings.split(",") if x]]
    rows = []
    native_label = "short-range-cutoff, native kernel"
    for label, recipe in paths:
        b = build_recipe(recipe)
        err = (b.info.get("vacuum") or {}).get("rms_force_error_eV_per_A", 0.0)
        variants = [(label, p, b.system) for p in a.platforms.split(",")]
        if recipe.get("vacuum_method") == "short-range-cutoff" and "CPU" in a.platforms.split(","):
            import openmm as mm

            from omm_cx.forcefield import load_forcefield
            from omm_cx.forcefield.native.swap import use_native

            nat = mm.XmlSerializer.clone(b.system)
            use_native(nat, load_forcefield(recipe["forcefield"]), b.structure.species)
            variants.append((native_label, "CPU", nat))
        for label, platform, system in variants:
            ms = ms_per_step(system, b.structure.positions_A, a.steps, platform)
            rows.append({"path": label, "platform": platform, "n_atoms": len(b.structure.species),
                         "ms_per_step": ms, "ns_per_day": 0.002 * 86400e3 / ms / 1e3,
                         "rms_force_error_eV_per_A": err})
            r = rows[-1]
            print(f"{r['path']:38s} {platform:7s} {r['n_atoms']} atoms  {ms:9.1f} ms/step  "
                  f"{r['ns_per_day']:7.3f} ns/day  RMS force error {err:.3g} eV/Å", flush=True)
    speedup = {}
    for platform in a.platforms.split(","):
        ms = {r["path"]: r["ms_per_step"] for r in rows if r["platform"] == platform}
        speedup[platform] = ms[paths[0][0]] / ms[paths[1][0]]
        print(f"{platform}: short-range-cutoff is {speedup[platform]:.1f}x faster than all pairs")
        if native_label in ms:
            speedup["CPU, native kernel"] = ms[paths[0][0]] / ms[native_label]
            print(f"CPU: the native kernel is {speedup['CPU, native kernel']:.1f}x faster than all "
                  f"pairs, {ms[paths[1][0]] / ms[native_label]:.1f}x faster than short-range-cutoff")
    out = {"recipe": a.recipe, "machine": f"{pyplatform.node()} ({os.cpu_count()} cores, "
           f"{_cpu_name()})", "date": time.strftime("%Y-%m-%d"), "steps": a.steps, "rows": rows,
           "speedup_short_range_cutoff_vs_all_pairs": speedup}
    from omm_cx.io.atomic import atomic_write_text

    atomic_write_text(a.json_file, json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
