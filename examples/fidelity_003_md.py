"""Is 003 Table 4's FF column (wurtzite CdSe a = 4.39 Å, c = 7.02 Å, u = 0.40) a
finite-temperature average rather than 0 K lattice statics? NPT MD of bulk wurtzite CdSe
with 003's force field (cdse-cu-lj, as published; optionally the "eps in 10 K" variant of
examples/fidelity_003_statics.py), box fully flexible, and the averages of a, c and u.

    python examples/fidelity_003_md.py [--temperatures-K 300] [--ps 20] [--eps-scale 1.0]

u per frame: for every Cd, the Se of its four nearest whose bond is most nearly parallel
to c gives u = dz / c; the mean over Cd. a: mean length of the first two box vectors / 7,
c: third / 4 (7 x 7 x 4 wurtzite cells, 784 ions; every width > 24 Å = 2 x cutoff).
Prints one line per temperature and the 0 K statics for comparison. Reading:
docs/fidelity.md.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

REPEATS = (7, 7, 4)


def averages(ff, params, T_K: float, ps: float, seed: int = 1) -> dict:
    import openmm as mm

    from omm_cx import units
    from omm_cx.crystals import LJ003_PHASES
    from omm_cx.forcefield.openmm_forces import create_system
    from omm_cx.platforms import get_platform

    phase = LJ003_PHASES["CdSe-wurtzite"]
    cell = phase.structure.cell(dict(phase.species), params["a"], params["c"], params["u"],
                                repeats=REPEATS)
    system = create_system(ff, list(cell.species), cell.lattice_A)
    system.addForce(mm.MonteCarloFlexibleBarostat(0.0, T_K, 25))
    integ = mm.LangevinMiddleIntegrator(T_K, 1.0, 0.002)
    integ.setRandomNumberSeed(seed)
    plat, props = get_platform("CPU", None)
    ctx = mm.Context(system, integ, plat, props)
    ctx.setPeriodicBoxVectors(*units.angstrom_to_nm(cell.lattice_A))
    ctx.setPositions(units.angstrom_to_nm(cell.positions_A))
    ctx.setVelocitiesToTemperature(T_K, seed)
    species = np.array(cell.species)
    cd, se = np.flatnonzero(species == "Cd"), np.flatnonzero(species == "Se")
    n_eq, n_frames, every = int(ps * 250), int(ps * 5), 100  # 1/4 equilibration, 0.2 ps frames
    integ.step(n_eq)
    rows = []
    for _ in range(n_frames):
        integ.step(every)
        st = ctx.getState(getPositions=True, enforcePeriodicBox=False)
        box = units.nm_to_angstrom(np.array(st.getPeriodicBoxVectors().value_in_unit(mm.unit.nanometer)))
        x = units.nm_to_angstrom(st.getPositions(asNumpy=True).value_in_unit(mm.unit.nanometer))
        rows.append(_frame(x, box, cd, se))
    a, c, u = np.array(rows).T
    return {"T_K": T_K, "a_A": a.mean(), "c_A": c.mean(), "u": u.mean(),
            "a_sd": a.std(), "c_sd": c.std(), "u_sd": u.std(), "frames": len(rows)}


def _frame(x, box, cd, se) -> tuple[float, float, float]:
    a = 0.5 * (np.linalg.norm(box[0]) / REPEATS[0] + np.linalg.norm(box[1]) / REPEATS[1])
    c_vec = box[2] / REPEATS[2]
    c = float(np.linalg.norm(c_vec))
    d = x[se][None, :, :] - x[cd][:, None, :]
    frac = d @ np.linalg.inv(box)
    d = (frac - np.round(frac)) @ box
    r = np.linalg.norm(d, axis=2)
    near = np.argsort(r, axis=1)[:, :4]
    dn = np.take_along_axis(d, near[:, :, None], axis=1)
    cos = np.abs(dn @ (c_vec / c)) / np.linalg.norm(dn, axis=2)
    axial = dn[np.arange(len(cd)), np.argmax(cos, axis=1)]
    return float(a), c, float(np.mean(np.abs(axial @ (c_vec / c))) / c)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--temperatures-K", default="300")
    p.add_argument("--ps", type=float, default=20.0)
    p.add_argument("--eps-scale", type=float, default=1.0,
                   help="scale every eps (0.8617: the 'eps in units of 10 K' hypothesis)")
    args = p.parse_args()

    from omm_cx.crystals import LJ003_PHASES
    from omm_cx.lattice_statics.relax import relax_phase

    if args.eps_scale != 1.0:
        from fidelity_003_statics import variant  # same folder

        ff = variant(eps_scale=args.eps_scale)
    else:
        from omm_cx.forcefield import load_forcefield

        ff = load_forcefield("cdse-cu-lj")
    params = relax_phase(ff, LJ003_PHASES["CdSe-wurtzite"]).params
    print(f"0 K statics (eps x {args.eps_scale:g}): a {params['a']:.3f} Å, c {params['c']:.3f} Å, "
          f"u {params['u']:.4f}   (003 Table 4 FF: 4.39, 7.02, 0.40)")
    for T in [float(t) for t in args.temperatures_K.split(",")]:
        t0 = time.time()
        r = averages(ff, params, T, args.ps)
        print(f"{T:6.0f} K NPT ({args.ps:g} ps, {r['frames']} frames): a {r['a_A']:.3f} ± "
              f"{r['a_sd']:.3f} Å, c {r['c_A']:.3f} ± {r['c_sd']:.3f} Å, u {r['u']:.4f} ± "
              f"{r['u_sd']:.4f}   [{time.time() - t0:.0f} s]")


if __name__ == "__main__":
    main()
