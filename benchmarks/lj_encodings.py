#!/usr/bin/env python
"""MD speed of a Lennard-Jones system with each short-range encoding: the custom force
(one-hot) against the LJ terms inside the Coulomb NonbondedForce ("nonbonded", the
default for Lorentz-Berthelot LJ force fields since it is exact).

    python benchmarks/lj_encodings.py [--recipe cdse-nanowire-cu] [--steps 300]
        [--platforms CPU,OpenCL,CUDA] [--json-file benchmarks/lj_encodings.json]

Prints ms/step and ns/day (2 fs Langevin, PME tolerance 5e-4, 500 K) per platform and
encoding with the atom count, platform, precision and machine, and writes them as JSON.
"""

from __future__ import annotations

import argparse
import os
import platform as pyplatform
import time


def time_encoding(system, positions_A, platform_name: str, steps: int) -> dict:
    import openmm as mm

    from omm_cx import units
    from omm_cx.bench.timing import device_name
    from omm_cx.platforms import get_platform

    plat, props = get_platform(platform_name, None)
    # minimized on the CPU platform: OpenMM 8.6.1's minimizer crashes on PoCL's OpenCL
    cpu = mm.Context(system, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName("CPU"))
    cpu.setPositions(units.angstrom_to_nm(positions_A))
    mm.LocalEnergyMinimizer.minimize(cpu, 10.0, 200)
    integ = mm.LangevinMiddleIntegrator(500.0, 1.0, 0.002)
    ctx = mm.Context(system, integ, plat, props)
    ctx.setPositions(cpu.getState(getPositions=True).getPositions())
    integ.step(20)  # warm up
    t = time.perf_counter()
    integ.step(steps)
    ctx.getState(getEnergy=True)  # OpenCL queues its work: wait for it
    ms = (time.perf_counter() - t) / steps * 1e3
    return {"platform": plat.getName(), "precision": props.get("Precision", "default"),
            "device": device_name(ctx) or f"{os.cpu_count()} CPU cores", "ms_per_step": ms,
            "ns_per_day": 0.002 * 86400e3 / ms / 1e3}


def main() -> None:
    from omm_cx.forcefield import load_forcefield
    from omm_cx.forcefield.openmm_forces import CoulombSettings, create_system
    from omm_cx.io.tables import write_json
    from omm_cx.platforms import available_platforms
    from omm_cx.systems.recipes import build_recipe

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--recipe", default="cdse-nanowire-cu")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--platforms", help="comma-separated (default: all but Reference)")
    ap.add_argument("--json-file", metavar="FILE")
    args = ap.parse_args()
    built = build_recipe(args.recipe)
    ff = load_forcefield(built.info["forcefield"])
    s = built.structure
    platforms = args.platforms.split(",") if args.platforms else [
        p for p in available_platforms() if p != "Reference"]
    rows = []
    for name in platforms:
        for enc in ("onehot", "nonbonded"):
            system = create_system(ff, s.species, s.box_A, encoding=enc, allow_net_charge=True,
                                   coulomb=CoulombSettings(ewald_error_tolerance=5e-4))
            r = {"encoding": enc, **time_encoding(system, s.positions_A, name, args.steps)}
            rows.append(r)
            print(f"{name:8s} {enc:10s} {r['ms_per_step']:8.2f} ms/step {r['ns_per_day']:8.2f} ns/day "
                  f"({len(s.species)} atoms, {r['precision']} precision, {r['device']})", flush=True)
    result = {"recipe": args.recipe, "n_atoms": len(s.species), "steps": args.steps,
              "timestep_fs": 2.0, "ewald_error_tolerance": 5e-4,
              "machine": {"node": pyplatform.node(), "processor": pyplatform.processor(),
                          "cpu_count": os.cpu_count()}, "results": rows}
    by = {(r["platform"], r["encoding"]): r["ms_per_step"] for r in rows}
    result["speedup_nonbonded"] = {p: by[(p, "onehot")] / by[(p, "nonbonded")]
                                   for p, e in by if e == "onehot" and (p, "nonbonded") in by}
    print("speed-up of the nonbonded encoding:",
          ", ".join(f"{p} {x:.2f}x" for p, x in result["speedup_nonbonded"].items()))
    if args.json_file:
        write_json(args.json_file, result, indent=2)
        print(f"wrote {args.json_file}")


if __name__ == "__main__":
    main()
