"""Why does D(Cu) fall with temperature in a 003-diffusion study folder? Per run: the MSD
of Cu, Cd and Se at a lag of half the run (Å^2, host drift removed), how many Se lie
within 3 Å of each Cu (second half), how often a Cu sits within 0.8 Å of a site a Cd
held at the start (a Cu trapped on a Cd site), and the fraction of Cd more than 1.5 Å
from their starting sites (the Cd sublattice disordering).

    python examples/diffusion_host_check.py out/003-diffusion [--json out.json]

docs/fidelity.md quotes its output for the small preset.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import mdtraj as md
import numpy as np

from omm_cx.periodic import Unwrapper, minimum_image


def check_run(run: Path) -> dict:
    """The numbers of one run folder (runs/<key>/run with traj.dcd and start.pdb)."""
    t = md.load(str(run / "traj.dcd"), top=str(run / "start.pdb"))
    sp = np.array([a.name for a in t.topology.atoms])
    xyz, box = t.xyz * 10.0, t.unitcell_vectors * 10.0
    unwrap = Unwrapper()
    u = np.array([unwrap(xyz[k], box[k]) for k in range(len(xyz))])
    u -= u[:, (sp == "Cd") | (sp == "Se")].mean(axis=1)[:, None, :]  # host drift
    lag = len(u) // 2
    msd = {x: float(((u[lag:, sp == x] - u[:-lag, sp == x]) ** 2).sum(-1).mean())
           for x in ("Cu", "Cd", "Se")}
    cu, cd, se = (np.where(sp == x)[0] for x in ("Cu", "Cd", "Se"))
    n_se, on_site, off = [], [], []
    for k in range(lag, len(u)):
        for i in cu:
            d = np.linalg.norm(minimum_image(xyz[k, se] - xyz[k, i], box[k]), axis=1)
            n_se.append(int((d < 3.0).sum()))
            site = np.linalg.norm(minimum_image(u[0, cd] - u[k, i], box[k]), axis=1).min()
            on_site.append(site < 0.8)
        off.append(float((np.linalg.norm(u[k, cd] - u[0, cd], axis=1) > 1.5).mean()))
    return {"lag_ps": float(t.time[lag] - t.time[0]), "msd_A2": msd,
            "cu_se_neighbours_histogram": np.bincount(n_se, minlength=7)[:7].tolist(),
            "cu_on_cd_site_fraction": float(np.mean(on_site)),
            "cd_off_site_fraction": float(np.mean(off))}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("study_dir")
    p.add_argument("--json")
    args = p.parse_args()
    rows = {}
    for run in sorted(Path(args.study_dir).glob("runs/*/run")):
        r = rows[run.parent.name] = check_run(run)
        m = r["msd_A2"]
        print(f"{run.parent.name:16s} MSD({r['lag_ps']:g} ps) Cu {m['Cu']:6.1f} Cd {m['Cd']:5.2f} "
              f"Se {m['Se']:5.2f} Å^2 | Cu on a Cd site {r['cu_on_cd_site_fraction']:.2f} | "
              f"Cd > 1.5 Å off site {r['cd_off_site_fraction']:.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
