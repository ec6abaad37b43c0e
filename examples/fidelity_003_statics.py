"""Why omm_cx's lattice statics of 003's force field differ from 003 Table 4: each
hypothesis as a variant of the force field, relaxed with omm_cx's lattice statics.

    python examples/fidelity_003_statics.py            # a few seconds
    python examples/fidelity_003_statics.py --openmm   # + all-atom relaxation in OpenMM (~1 min)

Prints wurtzite CdSe (a, c, u) and antifluorite Cu2Se (a) per variant beside 003's FF
column (a = 4.39 Å, c = 7.02 Å, u = 0.40; Cu2Se a = 5.666 Å). The variants are
hypotheses, not parameters omm_cx uses: the shipped force field stays as published.
Results and their reading: docs/fidelity.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import math

import numpy as np

from omm_cx.crystals import get_structure
from omm_cx.errors import OmmCxError
from omm_cx.forcefield import load_forcefield
from omm_cx.lattice_statics.relax import relax_structure

#: 003 Tables 2 and 3 (meV, Å), as in forcefields/cdse-cu-lj.yaml.
EPS_MEV = {"Cd": 1.68, "Se": 1.49, "Cu": 1.20}
SIGMA_A = {"Cd": 1.98, "Se": 5.24, "Cu": 1.00}
MEV_PER_K = 0.0861733  # k_B in meV/K


def variant(eps_scale: float = 1.0, geometric: tuple[str, ...] = (), cutoff_A: float = 12.0,
            q_cu: float | None = None):
    """The 003 force field with LJ cross terms rebuilt: eps scaled, sigma mixed
    geometrically for pairs containing one of ``geometric`` (arithmetic otherwise),
    another cutoff, or another Cu charge (Se = -2 q_Cu keeps Cu2Se neutral)."""
    base = load_forcefield("cdse-cu-lj")
    pairs = {}
    for (a, b), term in base.pairs.items():
        geo = any(s in (a, b) for s in geometric) and a != b
        s = math.sqrt(SIGMA_A[a] * SIGMA_A[b]) if geo else 0.5 * (SIGMA_A[a] + SIGMA_A[b])
        e = 1e-3 * eps_scale * math.sqrt(EPS_MEV[a] * EPS_MEV[b])
        pairs[(a, b)] = dataclasses.replace(term, B_eVA12=4 * e * s**12, C_eVA6=4 * e * s**6)
    species = base.species
    if q_cu is not None:
        species = {k: dataclasses.replace(v, charge_e={"Cu": q_cu, "Se": -2 * q_cu}.get(k, v.charge_e))
                   for k, v in species.items()}
    return dataclasses.replace(base, pairs=pairs, species=species, cutoff_A=cutoff_A)


def statics(ff, wurtzite: bool = True) -> dict:
    """Relaxed wurtzite CdSe (skipped: NaN) and antifluorite Cu2Se parameters."""
    out = {"a_wz": float("nan"), "c_wz": float("nan"), "u_wz": float("nan")}
    try:
        if not wurtzite:
            raise ValueError("skipped")
        wz = relax_structure(ff, get_structure("wurtzite"), {"cation": "Cd", "anion": "Se"},
                             {"a": 4.39, "c": 7.02, "u": 0.38})
        out.update(a_wz=wz.params["a"], c_wz=wz.params["c"], u_wz=wz.params["u"])
    except (OmmCxError, ValueError):  # no minimum nearby (it collapses) or skipped
        pass
    af = relax_structure(ff, get_structure("antifluorite"), {"cation": "Cu", "anion": "Se"},
                         {"a": 5.7})
    out["a_cu2se"] = af.params["a"]
    return out


VARIANTS = {
    "as published (12 Å sharp cutoff)": {},
    **{f"cutoff {rc:g} Å": {"cutoff_A": rc} for rc in (8.0, 10.0, 15.0, 20.0, 30.0)},
    "q_Cu = 0.55, q_Se = -1.10 (Cu2Se only)": {"q_cu": 0.55},
    "q_Cu = 0.62, q_Se = -1.24 (Cu2Se only)": {"q_cu": 0.62},
    "geometric sigma, all cross terms": {"geometric": ("Cd", "Se", "Cu")},
    "geometric sigma, Cu cross terms only": {"geometric": ("Cu",)},
    "eps read as 10 K units (x 0.8617)": {"eps_scale": 10 * MEV_PER_K},
}


def openmm_scan(a_values=np.arange(5.55, 6.01, 0.075), jitter_A: float = 0.15, seed: int = 1):
    """E(a) of a 5x5x5 antifluorite Cu2Se supercell (1500 ions), positions minimized in
    OpenMM from the ideal and from a jittered start: does breaking the symmetry (003
    reports a 90.07 degree cell angle) lower a? Returns (a_min symmetric, a_min jittered)."""
    import openmm as mm
    import openmm.unit as u

    from omm_cx.crystals import STRUCTURES
    from omm_cx.forcefield.openmm_forces import CoulombSettings, create_system

    ff, rng, rows = load_forcefield("cdse-cu-lj"), np.random.default_rng(seed), []
    for a in a_values:
        cell = STRUCTURES["antifluorite"].cell({"cation": "Cu", "anion": "Se"}, a, repeats=(5, 5, 5))
        system = create_system(ff, list(cell.species), cell.lattice_A,
                               coulomb=CoulombSettings(ewald_error_tolerance=1e-6))
        ctx = mm.Context(system, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName("CPU"))
        row = [a]
        for jit in (0.0, jitter_A):
            pos = np.asarray(cell.positions_A) + rng.normal(0.0, jit, (len(cell.species), 3))
            ctx.setPositions(pos * 0.1)
            mm.LocalEnergyMinimizer.minimize(ctx, 1e-4, 5000)
            e = ctx.getState(getEnergy=True).getPotentialEnergy().value_in_unit(u.kilojoule_per_mole)
            row.append(e / 96.485332 / cell.formula_units)
        rows.append(row)
    r = np.array(rows)
    mins = []
    for k in (1, 2):
        i = int(np.argmin(r[:, k]))
        sl = slice(max(i - 2, 0), i + 3)
        p = np.polyfit(r[sl, 0], r[sl, k], 2)
        mins.append(-p[1] / (2 * p[0]))
    return tuple(mins)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--openmm", action="store_true", help="also the all-atom OpenMM scan of Cu2Se")
    args = ap.parse_args()
    print(f"{'variant':40s} {'a wz':>7} {'c wz':>7} {'u wz':>7} {'a Cu2Se':>8}")
    print(f"{'003 Table 4, FF column':40s} {4.39:7.3f} {7.02:7.3f} {0.40:7.3f} {5.666:8.3f}")
    for label, kw in VARIANTS.items():
        r = statics(variant(**kw), wurtzite="q_cu" not in kw)  # Se -2 q_Cu leaves CdSe charged
        print(f"{label:40s} {r['a_wz']:7.3f} {r['c_wz']:7.3f} {r['u_wz']:7.3f} {r['a_cu2se']:8.3f}")
    if args.openmm:
        sym, jit = openmm_scan()
        print(f"OpenMM E(a) scan of Cu2Se: a_min = {sym:.3f} Å (ideal positions), "
              f"{jit:.3f} Å (jittered 0.15 Å, all positions minimized)")


if __name__ == "__main__":
    main()
