#!/usr/bin/env python
"""A Coulomb (Ewald real-space) cutoff longer than the short range's, as LAMMPS's
``buck/coul/long 12 14``: for each Coulomb cutoff, PME alpha and grid tuned for the force
error target on the bench's frames, then MD timed in interleaved repeats.

    python benchmarks/coulomb_cutoff.py [--cutoffs 12,13,14] [--steps 200] [--repeats 3]
        [--target 1e-4] [--json-file benchmarks/coulomb_cutoff.json]

The system is the bench's (``pbse-nc-cd-psl``, prepared, 3 error frames at 550 K, their
Reference forces); the short range stays at the force field's 12 Å, only the native
kernel's Coulomb cutoff (the ``NonbondedForce``'s, taken over by ``native-coulomb``)
grows. Alphas: the bench's, scaled by 12 Å / cutoff. Prints and writes the tuned setting,
its worst-frame RMS force error (eV/Å) and the median and range of ms/step per cutoff,
with platform, precision, atom count, threads and machine.
"""

from __future__ import annotations

import argparse
import os
import platform as pyplatform
import statistics
import time


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cutoffs", default="12,13,14", help="Coulomb cutoffs, Å, comma-separated")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--target", type=float, default=1e-4, help="RMS force error, eV/Å")
    p.add_argument("--json-file", default="benchmarks/coulomb_cutoff.json")
    a = p.parse_args()

    import openmm as mm

    from omm_cx.bench.benchmark import _cpu_name
    from omm_cx.io.tables import write_json
    from omm_cx.bench.frames import error_frames, prepare
    from omm_cx.bench.pme_tuning import ALPHAS_PER_NM, tune_pme
    from omm_cx.bench.pme_tuning import coulomb as pme_coulomb
    from omm_cx.bench.results import openmm_error
    from omm_cx.bench.timing import time_openmm
    from omm_cx.forcefield.native.swap import use_native
    from omm_cx.forcefield.openmm_forces import create_system

    ff, built, pos = prepare("pbse-nc-cd-psl", 550.0, equil_steps=200)
    frames, ref = error_frames(ff, built, pos, 550.0)
    species, box = list(built.structure.species), built.structure.box_A
    plat, props = mm.Platform.getPlatformByName("CPU"), {"Threads": str(a.threads)}

    def system_for(rc_A: float, alpha: float, grid: int):
        s = create_system(ff, species, box, encoding="onehot", coulomb=pme_coulomb(alpha, grid, box))
        for f in s.getForces():
            if isinstance(f, mm.NonbondedForce):
                f.setCutoffDistance(rc_A / 10.0)
        use_native(s, ff, species, coulomb=True)
        return s

    rows = []
    for rc in [float(x) for x in a.cutoffs.split(",")]:
        alphas = tuple(round(al * float(ff.cutoff_A) / rc, 3) for al in ALPHAS_PER_NM)
        best = tune_pme(lambda al, g: openmm_error(system_for(rc, al, g), frames, ref, plat, props),
                        a.target, alphas=alphas, log=lambda m: None)
        if best is None:
            print(f"Coulomb cutoff {rc:g} Å: no PME setting meets {a.target:g} eV/Å")
            continue
        rows.append({"coulomb_cutoff_A": rc, "alpha_per_nm": best.alpha_per_nm, "grid": best.grid,
                     "rms_force_error_eV_per_A": best.rms_force_error_eV_per_A, "ms_per_step": []})
        print(f"Coulomb cutoff {rc:g} Å: {best.describe()}, {best.rms_force_error_eV_per_A:.2e} eV/Å",
              flush=True)
    for _ in range(a.repeats):  # interleaved: A B C A B C ...
        for row in rows:
            s = system_for(row["coulomb_cutoff_A"], row["alpha_per_nm"], row["grid"])
            row["ms_per_step"].append(1e3 * time_openmm(s, frames[0], plat, props, a.steps, 550.0)[0])
    for row in rows:
        ms = row["ms_per_step"]
        row.update(ms_per_step_median=statistics.median(ms), ms_per_step_min=min(ms),
                   ms_per_step_max=max(ms))
        print(f"Coulomb cutoff {row['coulomb_cutoff_A']:g} Å, grid {row['grid']}^3: "
              f"{row['ms_per_step_median']:.2f} ms/step ({min(ms):.2f}-{max(ms):.2f}, "
              f"{a.repeats} repeats of {a.steps} steps)")
    out = {"recipe": "pbse-nc-cd-psl", "n_atoms": len(species), "platform": "CPU",
           "precision": "mixed", "encoding": "native-coulomb", "threads": a.threads,
           "short_range_cutoff_A": float(ff.cutoff_A), "target_rms_force_error_eV_per_A": a.target,
           "error_frames": len(frames), "machine": _cpu_name(), "python": pyplatform.python_version(),
           "date": time.strftime("%Y-%m-%d"), "rows": rows}
    print(f"{len(species)} atoms, CPU platform, mixed precision, {a.threads} threads, {_cpu_name()}")
    write_json(a.json_file, out)  # atomically


if __name__ == "__main__":
    main()
