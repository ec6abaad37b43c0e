"""Make tests/data/pbse_melt.pdb: one frame of liquid PbSe from a real OpenMM run.

4 x 4 x 4 conventional rocksalt PbSe cells (256 Pb + 256 Se, a = 6.12 Å), the box
expanded by 5 % in length (liquid density, ~14 % below the crystal's), omm_cx's
``pbcdse`` force field (Buckingham + PME Coulomb, 12 Å cutoff), Langevin NVT at 3000 K
(friction 5 /ps, 2 fs steps) on the CPU platform: 10 ps to melt, then 10 ps in which the
mean-square displacement (MSD) of each species is measured from unwrapped positions.
The last frame is written with omm_cx.io.pdb.write_pdb.

Liquid, not a hot crystal: a crystal's MSD saturates at a few 0.1 Å^2 (vibrations);
here it grows linearly with time and passes the squared Pb-Se distance (3.06^2 =
9.4 Å^2) within 10 ps (the script exits 1 otherwise). The run of the committed file
printed, at 2, 4, 6, 8, 10 ps: MSD Pb 3.8, 7.2, 11.9, 16.1, 19.9 Å^2 and Se 2.9, 5.7,
8.9, 12.5, 16.7 Å^2 (linear: D ~ 0.3 Å^2/ps = 3e-5 cm^2/s, a liquid's), 175 s wall on
2 shared CPU cores; the numbers are in the REMARK line of pbse_melt.pdb.

    .venv/bin/python tests/data/make_pbse_melt.py        # ~3 min on 2 CPU cores
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

A_A, REPEATS, EXPAND = 6.12, 4, 1.05
TEMPERATURE_K, FRICTION_PER_PS, STEP_FS = 3000.0, 5.0, 2.0
MELT_PS, MEASURE_PS, SEED = 10.0, 10.0, 2024
OUT = Path(__file__).resolve().parent / "pbse_melt.pdb"


def rocksalt_box() -> tuple[list[str], np.ndarray, np.ndarray]:
    """Species, positions (Å) and box (Å) of the expanded rocksalt supercell."""
    fcc = np.array([[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    cells = np.array([[i, j, k] for i in range(REPEATS) for j in range(REPEATS)
                      for k in range(REPEATS)])
    pb = (cells[:, None] + fcc[None]).reshape(-1, 3)
    se = pb + [0.5, 0, 0]
    a = A_A * EXPAND
    pos = np.vstack([pb, se]) * a
    return ["Pb"] * len(pb) + ["Se"] * len(se), pos, np.eye(3) * REPEATS * a


def main() -> int:
    import openmm as mm
    import openmm.unit as u

    from omm_cx.forcefield import load_forcefield
    from omm_cx.forcefield.openmm_forces import create_system
    from omm_cx.io.atomic import atomic_write_text
    from omm_cx.io.pdb import Structure, write_pdb

    species, pos_A, box_A = rocksalt_box()
    system = create_system(load_forcefield("pbcdse"), species, box_A)
    integ = mm.LangevinMiddleIntegrator(TEMPERATURE_K * u.kelvin, FRICTION_PER_PS / u.picosecond,
                                        STEP_FS * u.femtosecond)
    integ.setRandomNumberSeed(SEED)
    ctx = mm.Context(system, integ, mm.Platform.getPlatformByName("CPU"))
    ctx.setPositions(pos_A * 0.1)
    ctx.setVelocitiesToTemperature(TEMPERATURE_K * u.kelvin, SEED)
    t0 = time.time()
    integ.step(int(MELT_PS * 1000 / STEP_FS))
    start = _positions_A(ctx)
    steps, chunks = int(MEASURE_PS * 1000 / STEP_FS), 5
    sp = np.array(species)
    for c in range(1, chunks + 1):
        integ.step(steps // chunks)
        d2 = ((_positions_A(ctx) - start) ** 2).sum(axis=1)
        print(f"t = {c * MEASURE_PS / chunks:5.1f} ps  MSD Pb {d2[sp == 'Pb'].mean():6.1f} Å^2  "
              f"Se {d2[sp == 'Se'].mean():6.1f} Å^2")
    msd = {s: float(d2[sp == s].mean()) for s in ("Pb", "Se")}
    print(f"{time.time() - t0:.0f} s wall")
    state = ctx.getState(getPositions=True, enforcePeriodicBox=True)
    final = state.getPositions(asNumpy=True).value_in_unit(u.angstrom)
    remark = (f"liquid PbSe, pbcdse, NVT {TEMPERATURE_K:.0f} K, a {A_A} x {EXPAND}, "
              f"{MELT_PS:.0f}+{MEASURE_PS:.0f} ps; MSD over last {MEASURE_PS:.0f} ps: "
              f"Pb {msd['Pb']:.1f} Se {msd['Se']:.1f} A^2")
    write_pdb(OUT, Structure(species, np.asarray(final), box_A))
    atomic_write_text(OUT, f"REMARK   1 {remark}\n" + OUT.read_text())
    print(f"wrote {OUT}")
    return 0 if min(msd.values()) > (A_A / 2) ** 2 else 1


def _positions_A(ctx) -> np.ndarray:
    import openmm.unit as u

    state = ctx.getState(getPositions=True, enforcePeriodicBox=False)
    return np.asarray(state.getPositions(asNumpy=True).value_in_unit(u.angstrom))


if __name__ == "__main__":
    sys.exit(main())
