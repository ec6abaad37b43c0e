#!/usr/bin/env python
"""The vacuum path (recipe key vacuum_padding_nm, omm_cx.systems.vacuum) against all
pairs for an isolated particle: ms/step, ns/day and the RMS force error recorded at build.

    python benchmarks/vacuum_path.py [--recipe pbse-cdse-dumbbell-1] [--paddings 2,3]
        [--steps 3] [--json-file benchmarks/vacuum_path.json]

CPU platform, 2 fs Langevin at 500 K from the built positions (no minimization: the
timing only). Prints one line per path with the atom count and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as pyplatform
import time


def ms_per_step(system, positions_A, steps: int) -> float:
    import openmm as mm

    from omm_cx import units
    from omm_cx.platforms import get_platform

    plat, props = get_platform("CPU", None)
    integ = mm.LangevinMiddleIntegrator(500.0, 1.0, 0.002)
    ctx = mm.Context(system, integ, plat, props)
    ctx.setPositions(units.angstrom_to_nm(positions_A))
    integ.step(1)
    t = time.perf_counter()
    integ.step(steps)
    return (time.perf_counter() - t) / steps * 1e3


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--recipe", default="pbse-cdse-dumbbell-1")
    p.add_argument("--paddings", default="2,3")
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--json-file", default="benchmarks/vacuum_path.json")
    a = p.parse_args()

    from omm_cx.systems.recipes import build_recipe, read_recipe

    _, doc, _ = read_recipe(a.recipe)
    rows = []
    base = build_recipe(doc)
    ms = ms_per_step(base.system, base.structure.positions_A, a.steps)
    rows.append({"path": "all pairs, no cutoff", "n_atoms": len(base.structure.species),
                 "ms_per_step": ms, "ns_per_day": 0.002 * 86400e3 / ms / 1e3,
                 "rms_force_error_eV_per_A": 0.0})
    for pad in [float(x) for x in a.paddings.split(",")]:
        b = build_recipe(dict(doc, vacuum_padding_nm=pad))
        ms = ms_per_step(b.system, b.structure.positions_A, a.steps)
        rows.append({"path": f"periodic box, {pad:g} nm padding, PME", "n_atoms": len(b.structure.species),
                     "ms_per_step": ms, "ns_per_day": 0.002 * 86400e3 / ms / 1e3,
                     "rms_force_error_eV_per_A": b.info["vacuum"]["rms_force_error_eV_per_A"]})
    for r in rows:
        print(f"{r['path']:36s} {r['n_atoms']} atoms  {r['ms_per_step']:9.1f} ms/step  "
              f"{r['ns_per_day']:7.3f} ns/day  RMS force error {r['rms_force_error_eV_per_A']:.3g} eV/Å")
    out = {"recipe": a.recipe, "platform": "CPU", "machine": f"{pyplatform.node()} "
           f"({os.cpu_count()} cores)", "rows": rows}
    with open(a.json_file, "w") as fh:
        json.dump(out, fh, indent=2)


if __name__ == "__main__":
    main()
