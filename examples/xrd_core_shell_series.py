#!/usr/bin/env python
"""002's Debye-scattering series (Fig. 5 and S5): 7 nm PbS@CdS particles with ever thicker
zinc-blende or rocksalt CdS shells (recipe ``pbs-cds-core-shell-xrd``: commensurate S
sublattice, PbS at 5.94 Å, CdS at 5.81 Å, unrelaxed), their powder patterns, the (111),
(200), (220) peak centres, I111/I200 (002's ratio of fitted amplitudes, and the ratio of
areas) and the conversion read back from Q220.

    python examples/xrd_core_shell_series.py -o out/xrd-series            # ~1 min on 2 cores
    python examples/xrd_core_shell_series.py -o out/xrd-series --step 0.05

Writes series.csv (one row per shell phase and exchanged fraction), patterns.csv and
series.png (I111/I200 and peak centres against the exchanged fraction).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from omm_cx.analysis.xrd.debye import (conversion_from_q220, debye_intensity, find_peaks,
                                         peaks_table, q_grid)
from omm_cx.io.figures import save_figure
from omm_cx.io.tables import write_csv
from omm_cx.io.yaml_input import load_yaml
from omm_cx.systems.recipes import build_recipe, resolve_recipe

A_PBS, A_CDS = 5.94, 5.81


def series(diameter_nm: float, fractions, q) -> tuple[dict, dict]:
    doc = load_yaml(resolve_recipe("pbs-cds-core-shell-xrd"))
    doc["nanocrystal"]["diameter_nm"] = diameter_nm
    q220 = [2 * np.pi * np.sqrt(8) / a for a in (A_PBS, A_CDS)]
    rows = {k: [] for k in ("shell", "exchanged_fraction", "n_atoms", "q111_invA", "q200_invA",
                            "q220_invA", "I111_over_I200", "I111_over_I200_area",
                            "conversion_from_q220")}
    patterns = {"q_invA": q}
    for structure in ("zincblende", "rocksalt"):
        doc["nanocrystal"]["shell"]["structure"] = structure
        for X in fractions:
            doc["nanocrystal"]["exchanged_fraction"] = float(X)
            s = build_recipe(doc).structure
            intensity = debye_intensity(s.positions_A, s.species, q)
            peaks = find_peaks(q, intensity, A_PBS)
            for key, val in (("shell", structure), ("exchanged_fraction", float(X)),
                             ("n_atoms", len(s.species)),
                             ("q111_invA", peaks["111"].q_centre_invA),
                             ("q200_invA", peaks["200"].q_centre_invA),
                             ("q220_invA", peaks["220"].q_centre_invA),
                             ("I111_over_I200", peaks_table(peaks)["I111_over_I200"]),
                             ("I111_over_I200_area", peaks_table(peaks)["I111_over_I200_area"]),
                             ("conversion_from_q220", float(conversion_from_q220(
                                 peaks["220"].q_centre_invA, *q220)))):
                rows[key].append(val)
            patterns[f"{structure}_{X:.2f}"] = intensity / len(s.species)
            print(f"{structure:10s} X = {X:.2f}: I111/I200 = {rows['I111_over_I200'][-1]:.3f} "
                  f"(amplitudes; areas {rows['I111_over_I200_area'][-1]:.3f}), "
                  f"Q111/Q200/Q220 = {peaks['111'].q_centre_invA:.4f}/"
                  f"{peaks['200'].q_centre_invA:.4f}/{peaks['220'].q_centre_invA:.4f} 1/Å")
    return rows, patterns


def plot(rows: dict, path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.4))
    axes = fig.subplots(1, 2)
    shell = np.array(rows["shell"])
    X = np.array(rows["exchanged_fraction"])
    for structure, marker in (("zincblende", "o-"), ("rocksalt", "s--")):
        m = shell == structure
        axes[0].plot(X[m], np.array(rows["I111_over_I200"])[m], marker, label=f"{structure} CdS shell")
        for key in ("q111_invA", "q200_invA", "q220_invA"):
            q = np.array(rows[key])[m]
            axes[1].plot(X[m], (q - q[0]) / q[0] * 100, marker, label=f"{key[1:4]} {structure[:2]}")
    axes[0].set(xlabel="exchanged fraction", ylabel="I111 / I200", yscale="log")
    axes[1].set(xlabel="exchanged fraction", ylabel="peak shift from PbS (%)")
    for ax in axes:
        ax.legend(fontsize=7)
    save_figure(fig, path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-o", "--output", default="out/xrd-series")
    p.add_argument("--diameter-nm", type=float, default=7.0)
    p.add_argument("--step", type=float, default=0.1, help="exchanged-fraction step (default 0.1)")
    args = p.parse_args()
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    fractions = np.round(np.arange(0, 1 + 1e-9, args.step), 6)
    rows, patterns = series(args.diameter_nm, fractions, q_grid(1.5, 3.5, 0.002))
    write_csv(out / "series.csv", rows)
    write_csv(out / "patterns.csv", patterns)
    plot(rows, out / "series.png")
    print(f"wrote series.csv, patterns.csv, series.png to {out}")


if __name__ == "__main__":
    main()
