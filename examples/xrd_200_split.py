#!/usr/bin/env python
"""Why (200) of 002's PbS@zb-CdS particles "vanishes" near X = 0.9: the Debye pattern of
the 7 nm particle (recipe ``pbs-cds-core-shell-xrd``) split into core-only, shell-only
and core-shell cross terms, I = I_core + I_shell + 2 I_cross, and what the peak finder
makes of it (its (200) band, amplitude and centre, against the band that starts at the
first minimum after (111)). docs/fidelity.md (002 section) quotes its numbers.

    python examples/xrd_200_split.py -o out/xrd-200-split        # ~1 min on 2 cores

Writes split.csv (one row per X), patterns.csv (Q and the four terms per X, per atom)
and split.png (the (200) region per X).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from omm_cx.analysis.xrd.debye import (_gaussian_amplitude, _half_max_centroid,
                                         debye_intensity, find_peaks, q_grid)
from omm_cx.io.figures import save_figure
from omm_cx.io.tables import write_csv
from omm_cx.systems import shapes
from omm_cx.systems.lattice import Crystal

A_PBS, A_CDS = 5.94, 5.81


def terms(x: float, diameter_nm: float, q: np.ndarray) -> dict:
    """Total, core-only, shell-only and cross (I - I_core - I_shell) / 2 patterns."""
    atoms = shapes.core_shell(Crystal.make("rocksalt", "Pb", "S", A_PBS), "Cd", "zincblende",
                              diameter_nm * 10, exchanged_fraction=x, shell_a_A=A_CDS)
    xyz, sp, parts = atoms.positions_A, np.array(atoms.species), np.array(atoms.parts)
    out = {"total": debye_intensity(xyz, sp, q)}
    for part in ("core", "shell"):
        m = parts == part
        out[part] = debye_intensity(xyz[m], sp[m], q) if m.sum() > 1 else np.zeros_like(q)
    out["cross"] = (out["total"] - out["core"] - out["shell"]) / 2
    out["n_atoms"] = len(sp)
    return out


def band_after_111(q: np.ndarray, y: np.ndarray, peaks) -> tuple[float, float, float]:
    """(lower edge, amplitude, centre) of (200) when its band starts at the first local
    minimum above the (111) maximum (the finder takes the lowest point in [Q111, Q200] of
    PbS) and ends where the finder's does."""
    j = int(np.argmin(np.abs(q - peaks["111"].q_max_invA)))
    while y[j + 1] <= y[j]:
        j += 1
    m = (q >= q[j]) & (q <= peaks["200"].window_invA[1])
    qw, yw = q[m], y[m]
    net = np.clip(yw - (yw[0] + (yw[-1] - yw[0]) * (qw - qw[0]) / (qw[-1] - qw[0])), 0, None)
    return float(q[j]), _gaussian_amplitude(qw, net)[0], _half_max_centroid(qw, net)


def local_maxima(y: np.ndarray) -> list[float]:
    """Heights of the interior local maxima of ``y``."""
    return [float(y[i]) for i in range(1, len(y) - 1) if y[i - 1] < y[i] >= y[i + 1]]


def row(x: float, q: np.ndarray, t: dict) -> dict:
    """The finder's (200) and the alternatives for one exchanged fraction ``x``."""
    y = t["total"]
    p = find_peaks(q, y, A_PBS)
    lo, amp, centre = band_after_111(q, y, p)
    m111, m200 = (q > 1.75) & (q < 1.95), (q > 1.95) & (q < 2.3)
    top200 = max(local_maxima(y[m200]))
    at = {f"{k}_{qv}": float(t[k][np.argmin(np.abs(q - qv))]) for k in ("core", "shell", "cross")
          for qv in (2.02, 2.16)}
    inc = find_peaks(q, t["core"] + t["shell"], A_PBS)
    return {"X": x, "band200_lo": p["200"].window_invA[0], "q200": p["200"].q_centre_invA,
            "amp111": p["111"].amplitude, "amp200": p["200"].amplitude,
            "ratio": p["111"].amplitude / p["200"].amplitude,
            "after111_lo": lo, "after111_q200": centre, "after111_ratio": p["111"].amplitude / amp,
            "max_ratio": float(y[m111].max() / top200),
            "incoherent_ratio": inc["111"].amplitude / inc["200"].amplitude,
            "incoherent_q200": inc["200"].q_centre_invA, **at}


def plot(q: np.ndarray, patterns: dict, xs, path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3.0 * len(xs), 3.2))
    axes = fig.subplots(1, len(xs), sharey=True)
    m = (q > 1.8) & (q < 2.3)
    for ax, x in zip(np.atleast_1d(axes), xs):
        for k, style in (("total", "k-"), ("core", "b--"), ("shell", "r--"), ("cross", "g:")):
            ax.plot(q[m], patterns[f"{k}_{x:.2f}"][m], style, label=k if k != "cross" else "2 x cross")
        ax.axvline(2 * np.pi * 2 / A_PBS, color="0.6", lw=0.8)
        ax.axvline(2 * np.pi * 2 / A_CDS, color="y", lw=0.8)
        ax.set(title=f"X = {x:.2f}", xlabel="Q (1/Å)")
    np.atleast_1d(axes)[0].set(ylabel="I per atom (e$^2$)")
    np.atleast_1d(axes)[0].legend(fontsize=7)
    save_figure(fig, path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--out", type=Path, required=True)
    ap.add_argument("--diameter-nm", type=float, default=7.0)
    ap.add_argument("--fractions", type=float, nargs="+", default=[0.8, 0.85, 0.9, 0.95, 1.0])
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    q = q_grid(1.0, 4.0, 0.002)
    rows, patterns = [], {"q_invA": q}
    for x in args.fractions:
        t = terms(x, args.diameter_nm, q)
        rows.append(row(x, q, t))
        for k in ("total", "core", "shell", "cross"):
            patterns[f"{k}_{x:.2f}"] = (2 if k == "cross" else 1) * t[k] / t["n_atoms"]
        r = rows[-1]
        print(f"X = {x:.2f}: (200) band from {r['band200_lo']:.3f}, centre {r['q200']:.4f}, "
              f"I111/I200 {r['ratio']:.3g}; band after (111) from {r['after111_lo']:.3f}: "
              f"centre {r['after111_q200']:.4f}, ratio {r['after111_ratio']:.3g}; ratio of maxima "
              f"{r['max_ratio']:.3g}; incoherent {r['incoherent_ratio']:.3g}")
    write_csv(args.out / "split.csv", {k: [r[k] for r in rows] for k in rows[0]})
    write_csv(args.out / "patterns.csv", patterns)
    plot(q, patterns, args.fractions, args.out / "split.png")
    print(f"wrote {args.out}/split.csv, patterns.csv, split.png")


if __name__ == "__main__":
    main()
