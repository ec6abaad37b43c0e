"""Plots of the analysis results. Every function takes ``ax=None`` (a new figure is made
with pyplot when None) and returns the axes; axes are labelled with units. The result
objects are duck-typed (the result classes of :mod:`omm_cx.analysis.density`,
:mod:`~omm_cx.analysis.rdf`, :mod:`~omm_cx.analysis.rmsd` and
:mod:`~omm_cx.analysis.diffusion`), so that the analyses can import this module without
a cycle.

:func:`new_axes` makes axes on a pyplot-free :class:`matplotlib.figure.Figure` (rendered
by the Agg canvas when saved), which is what the pipeline uses so that it never touches
the user's pyplot backend.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from omm_cx.analysis.options import MOBILE_THRESHOLD_A


def new_axes(figsize=(5.0, 3.6)):
    """Axes on a new pyplot-free Figure (Agg when saved)."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize).subplots()


def _ax(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots()[1]


def _time_axis(time_ps: np.ndarray) -> tuple[np.ndarray, str]:
    t = np.asarray(time_ps, float)
    if len(t) and np.nanmax(t) >= 10000:
        return t / 1000.0, "time (ns)"
    return t, "time (ps)"


def plot_exchange(table: Mapping[str, np.ndarray], ax=None, label: str | None = None):
    """Exchange ratio rho against time (004 main text / Supplementary Fig. 3a)."""
    ax = _ax(ax)
    t, xl = _time_axis(table["time_ps"])
    ax.plot(t, table["rho"], "o-", ms=2, lw=1, label=label)
    ax.set_xlabel(xl)
    ax.set_ylabel("exchange ratio ρ (in-going / cations in NC)")
    ax.set_ylim(bottom=0)
    return ax


def plot_exchange_interior(table: Mapping[str, np.ndarray], ax=None, species: str = "in-going"):
    """Exchange against adsorption: rho (every cation bonded to the NC, surface-adsorbed
    in-going cations included) and rho_interior (cations on interior sites only, below the
    outermost anion layer; :mod:`omm_cx.analysis.interior`) against time, same axes."""
    ax = _ax(ax)
    t, xl = _time_axis(table["time_ps"])
    ax.plot(t, table["rho"], "o-", ms=2, lw=1,
            label=f"ρ: {species} / all cations in the NC (adsorbed included)")
    if "rho_interior" in table:
        ax.plot(t, table["rho_interior"], "s-", ms=2, lw=1,
                label=f"ρ_interior: {species} / cations on interior sites")
    ax.set_xlabel(xl)
    ax.set_ylabel("exchange ratio ρ")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small")
    return ax


def plot_facets(table: Mapping[str, np.ndarray], ax=None):
    """Exchange ratio of the NC's outer layer per facet family ({100}, {110}, {111})
    against time (001's facet-dependent exchange)."""
    ax = _ax(ax)
    t, xl = _time_axis(table["time_ps"])
    for f in ("100", "110", "111"):
        ax.plot(t, table[f"rho_{f}"], "o-", ms=2, lw=1, label="{" + f + "}")
    ax.set_xlabel(xl)
    ax.set_ylabel("ρ of the outer layer")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    rot = np.asarray(table.get("rotation_deg", []), float)
    if len(rot) and np.isfinite(rot).any():  # the NC's rotation since frame 0
        ax2 = ax.twinx()
        ax2.plot(t, rot, "--", color="0.5", lw=1)
        ax2.set_ylabel("NC rotation since frame 0 (°, dashed)")
    return ax


def plot_counts(table: Mapping[str, np.ndarray], ax=None, names: Sequence[str] = ("in-going", "original")):
    """Ions in the NC against time: in-going and original cations, anions."""
    ax = _ax(ax)
    t, xl = _time_axis(table["time_ps"])
    ax.plot(t, table["n_in_going"], label=f"in-going cations ({names[0]})")
    ax.plot(t, table["n_original"], label=f"original cations ({names[1]})")
    ax.plot(t, table["n_anions"], label="anions")
    ax.set_xlabel(xl)
    ax.set_ylabel("ions in the NC")
    ax.legend(fontsize="small")
    return ax


def plot_anions(table: Mapping[str, np.ndarray], ax=None, label: str | None = None):
    """Anions remaining in the NC against time (004 Supplementary Fig. 5a)."""
    ax = _ax(ax)
    t, xl = _time_axis(table["time_ps"])
    ax.plot(t, table["n_anions"], lw=1, label=label)
    ax.set_xlabel(xl)
    ax.set_ylabel("anions in the NC")
    return ax


def plot_density(profile: Any, labels: Sequence[str], window: int = -1, ax=None,
                 boundary_A: float | None = None):
    """Ion density (ions/nm^3) against distance from the NC centre (Å) for one time
    window (004 Supplementary Fig. 4); an arrow marks the core/shell boundary."""
    ax = _ax(ax)
    w = range(len(profile.n_frames))[window]
    for lab in labels:
        ax.plot(profile.r_A, profile.density_per_nm3[lab][w], label=lab)
    t0, t1 = profile.window_edges_ps[w], profile.window_edges_ps[w + 1]
    ax.set_title(f"{t0:g}-{t1:g} ps", fontsize="small")
    if boundary_A is not None and np.isfinite(boundary_A):
        ax.annotate("", xy=(boundary_A, 0), xytext=(boundary_A, ax.get_ylim()[1] * 0.25),
                    arrowprops={"arrowstyle": "->", "color": "green"})
    ax.set_xlabel("distance from the NC centre r (Å)")
    ax.set_ylabel("ion density (ions/nm³)")
    ax.legend(fontsize="small")
    return ax


def plot_rdf(result: Any, labels: Sequence[str] | None = None, ax=None, cn: bool = True):
    """g(r) of pairs (left axis) and running coordination numbers (dashed, right axis)."""
    ax = _ax(ax)
    labels = list(labels or result.g)
    ax2 = ax.twinx() if cn else None
    for lab in labels:
        line, = ax.plot(result.r_A, result.g[lab], label=f"g {lab}")
        if ax2 is not None:
            ax2.plot(result.r_edges_A[1:], result.cn[lab], "--", color=line.get_color(), lw=0.8)
    ax.set_xlabel("r (Å)")
    ax.set_ylabel("g(r) (box-average reference density)")
    if ax2 is not None:
        ax2.set_ylabel("running coordination number (dashed)")
    ax.legend(fontsize="small")
    return ax


def plot_rmsd_map(result: Any, ax=None, slab_A: float = 6.0,
                  threshold_A: float = MOBILE_THRESHOLD_A, axis: int = 2):
    """RMSD map (000 Fig. S25): atoms of a slab |z| < slab_A/2 through the NC (mean
    positions relative to the NC centroid, Å) coloured by RMSD; red: RMSD > threshold."""
    ax = _ax(ax)
    pos = result.mean_position_A
    keep = np.abs(pos[:, axis] - np.median(pos[:, axis])) < slab_A / 2
    a, b = [k for k in range(3) if k != axis]
    rmsd = result.rmsd_A[keep]
    mobile = rmsd > threshold_A
    sc = ax.scatter(pos[keep][~mobile, a], pos[keep][~mobile, b], c=rmsd[~mobile], cmap="Blues",
                    vmin=0, vmax=threshold_A, s=14, edgecolors="none")
    ax.scatter(pos[keep][mobile, a], pos[keep][mobile, b], c="red", s=14, edgecolors="none",
               label=f"RMSD > {threshold_A} Å")
    ax.figure.colorbar(sc, ax=ax, label="RMSD (Å)")
    ax.set_aspect("equal")
    ax.set_xlabel(f"{'xyz'[a]} (Å)")
    ax.set_ylabel(f"{'xyz'[b]} (Å)")
    ax.legend(fontsize="small", loc="upper right")
    return ax


def plot_msd(msd: Any, fit: Any | None = None, ax=None):
    """MSD (Å^2) against lag (ps) with the Einstein fit 6 D tau + b over its window."""
    ax = _ax(ax)
    ax.plot(msd.lag_ps, msd.msd_A2, lw=1, label="MSD")
    if fit is not None:
        t = np.linspace(*fit.window_ps, 20)
        ax.plot(t, 6 * fit.D_A2_per_ps * t + fit.intercept_A2, "k--",
                label=f"D = {fit.D_cm2_per_s:.3g} cm²/s")
    ax.set_xlabel("lag τ (ps)")
    ax.set_ylabel("MSD (Å²)")
    ax.legend(fontsize="small")
    return ax


def plot_arrhenius(temperature_K: Sequence[float], D_cm2_per_s: Sequence[float],
                   D_err: Sequence[float] | None = None, fit: Any | None = None, ax=None):
    """ln D against 1000/T with the Arrhenius line."""
    ax = _ax(ax)
    T = np.asarray(temperature_K, float)
    D = np.asarray(D_cm2_per_s, float)
    yerr = None if D_err is None else np.asarray(D_err, float) / D
    ax.errorbar(1000.0 / T, np.log(D), yerr=yerr, fmt="o")
    if fit is not None:
        from omm_cx.units import BOLTZMANN_EV_PER_K

        x = np.linspace(T.min(), T.max(), 20)
        ax.plot(1000.0 / x, np.log(fit.D0) - fit.Ea_eV / (BOLTZMANN_EV_PER_K * x), "k--",
                label=f"E_a = {fit.Ea_eV:.3f} ± {fit.Ea_err_eV:.3f} eV")
        ax.legend(fontsize="small")
    ax.set_xlabel("1000 / T (1/K)")
    ax.set_ylabel("ln D (D in cm²/s)")
    return ax


def plot_xrd(q_invA: Sequence[float], intensity: Sequence[float], ax=None, label: str | None = None,
             lattice_a_A: float | None = None, hkls=((1, 1, 1), (2, 0, 0), (2, 2, 0))):
    """Powder pattern I(Q) (Q in 1/Å); with ``lattice_a_A`` (Å), ticks at the nominal
    (hkl) positions of that cubic cell."""
    ax = _ax(ax)
    ax.plot(q_invA, intensity, lw=1.2, label=label)
    if lattice_a_A:
        for hkl in hkls:
            q0 = 2 * np.pi * np.sqrt(sum(h * h for h in hkl)) / lattice_a_A
            ax.axvline(q0, color="0.6", lw=0.8, ls="--")
            ax.annotate("".join(map(str, hkl)), (q0, 1.0), xycoords=("data", "axes fraction"),
                        ha="center", va="bottom", fontsize=8)
    ax.set_xlabel("Q (1/Å)")
    ax.set_ylabel("intensity per atom (electrons$^2$)")
    if label:
        ax.legend(fontsize=8)
    return ax
