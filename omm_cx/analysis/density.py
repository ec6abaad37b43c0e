"""Radial ion density from the NC centre, per species and time window (004
Supplementary Fig. 4), and the core/shell boundary it implies.

For each selection (a species, or the groups ``original`` and ``in_going``) and each
spherical shell [r_lo, r_hi) around the NC centre of the frame (minimum-image distances),
the density is the mean number of selected ions in the shell per frame of the window
divided by the shell volume 4/3 pi (r_hi^3 - r_lo^3): ions/nm^3 against r in Å. Shells
must fit in the box: r_max defaults to half the smallest box length of the first frame.

Alongside, ``nc_counts`` is the mean number of selected ions in the shell per frame that
are also NC members (membership criterion of :mod:`omm_cx.analysis.membership`); summed
over the shells it equals the mean exchange count of the window (same membership,
same frames), which ties the density profiles to exchange.csv.

:func:`radial_density` works on an in-memory trajectory; :class:`DensityAnalysis` is the
streaming ``density`` analysis of the driver (density.csv, density_boundary.csv).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from omm_cx.analysis.base import Analysis, AnalysisContext, AnalysisOutput
from omm_cx.analysis.membership import (FrameMembership, MembershipCriterion, frame_membership,
                                        iter_membership)
from omm_cx.analysis.trajectory import Frame, frames_of
from omm_cx.periodic import distances
from omm_cx.units import a3_to_nm3

if TYPE_CHECKING:  # pragma: no cover
    import mdtraj as md

    from omm_cx.analysis.groups import AnalysisGroups


@dataclass
class RadialDensity:
    """Radial density profiles.

    ``r_edges_A`` (n_bins + 1,) Å; ``window_edges_ps`` (n_windows + 1,) ps;
    ``n_frames`` (n_windows,); ``density_per_nm3[label]`` (n_windows, n_bins) ions/nm^3;
    ``counts[label]`` (n_windows, n_bins) mean ions per shell per frame;
    ``nc_counts[label]`` (n_windows, n_bins) the same for NC members (or None).
    """

    r_edges_A: np.ndarray
    window_edges_ps: np.ndarray
    n_frames: np.ndarray
    density_per_nm3: dict[str, np.ndarray]
    counts: dict[str, np.ndarray]
    nc_counts: dict[str, np.ndarray] | None

    @property
    def r_A(self) -> np.ndarray:
        """Shell mid-points (n_bins,) in Å."""
        return 0.5 * (self.r_edges_A[1:] + self.r_edges_A[:-1])

    @property
    def shell_volume_nm3(self) -> np.ndarray:
        e = self.r_edges_A
        return a3_to_nm3(4.0 / 3.0 * np.pi * (e[1:] ** 3 - e[:-1] ** 3))

    def boundaries_A(self, original: str = "original", in_going: str = "in_going") -> np.ndarray:
        """Core/shell boundary (Å) per window (:func:`core_shell_boundary`), from the NC
        members when known (else from all ions of the two groups)."""
        src = self.nc_counts if self.nc_counts is not None else self.counts
        return np.array([core_shell_boundary(self.r_edges_A, src[original][w], src[in_going][w])
                         for w in range(len(self.n_frames))])

    def table(self) -> dict[str, np.ndarray]:
        """Long table: one row per (window, shell), for density.csv."""
        nw, nb = len(self.n_frames), len(self.r_A)
        w = np.repeat(np.arange(nw), nb)
        cols = {"window": w, "t_start_ps": self.window_edges_ps[w],
                "t_end_ps": self.window_edges_ps[w + 1], "n_frames": self.n_frames[w],
                "r_lo_A": np.tile(self.r_edges_A[:-1], nw), "r_hi_A": np.tile(self.r_edges_A[1:], nw),
                "r_A": np.tile(self.r_A, nw)}
        for k, v in self.density_per_nm3.items():
            cols[f"{k}_per_nm3"] = v.reshape(-1)
        for k, v in (self.nc_counts or {}).items():
            cols[f"{k}_nc_count"] = v.reshape(-1)
        return cols


def core_shell_boundary(r_edges_A: np.ndarray, n_original: np.ndarray, n_in_going: np.ndarray) -> float:
    """Core/shell boundary (Å): the radius R that best separates original cations inside
    from in-going cations outside, i.e. that minimises

        cost(R) = (in-going cations closer than R) + (original cations farther than R),

    evaluated at the shell edges from the ions per shell (``n_*``, shape (n_bins,)).
    Where the profiles are smooth the minimum is where the two densities cross (d cost /
    dR = 4 pi R^2 [rho_in_going(R) - rho_original(R)] = 0), which is the crossing that
    marks the PbS/CdS boundary in 004 Supplementary Fig. 4; taking the global minimum
    instead of the first sign change keeps a lone interstitial or an empty shell between
    lattice planes from being read as the boundary. A flat minimum gives its mid-point.
    NaN when the minimum is at the centre (no core left) or at the last edge (the
    original cations are never overtaken: no shell)."""
    e = np.asarray(r_edges_A, float)
    n_o, n_i = np.asarray(n_original, float), np.asarray(n_in_going, float)
    cum_i = np.concatenate([[0.0], np.cumsum(n_i)])
    cum_o = np.concatenate([[0.0], np.cumsum(n_o)])
    cost = cum_i + (cum_o[-1] - cum_o)
    best = np.flatnonzero(np.isclose(cost, cost.min(), rtol=0, atol=1e-9 * max(1.0, cost.max())))
    first = best[0]
    last = first
    while last + 1 in set(best.tolist()):
        last += 1
    if first == 0 or last == len(e) - 1 or n_i.sum() == 0 or n_o.sum() == 0:
        return float("nan")
    return float(0.5 * (e[first] + e[last]))


class RadialDensityAccumulator:
    """Streams frames into radial histograms.

    ``selections``: label -> atom indices; ``r_edges_A`` (n_bins + 1,) Å;
    ``window_edges_ps`` (n_windows + 1,) ps: a frame at time t belongs to window k when
    edges[k] <= t < edges[k + 1] (the last window includes its end).
    """

    def __init__(self, selections: Mapping[str, np.ndarray], r_edges_A: np.ndarray,
                 window_edges_ps: Sequence[float], n_atoms: int):
        self.sel = {k: np.asarray(v, dtype=int) for k, v in selections.items()}
        self.edges = np.asarray(r_edges_A, dtype=float)
        self.wedges = np.asarray(window_edges_ps, dtype=float)
        nw, nb = len(self.wedges) - 1, len(self.edges) - 1
        self.n_frames = np.zeros(nw, dtype=np.int64)
        self.sum = {k: np.zeros((nw, nb)) for k in self.sel}
        self.nc_sum = {k: np.zeros((nw, nb)) for k in self.sel}
        self._with_members = False
        self.n_atoms = n_atoms

    def window_of(self, time_ps: float) -> int | None:
        k = int(np.searchsorted(self.wedges, time_ps, side="right")) - 1
        if k == len(self.wedges) - 1 and np.isclose(time_ps, self.wedges[-1]):
            k -= 1
        return k if 0 <= k < len(self.wedges) - 1 else None

    def add(self, time_ps: float, xyz_A: np.ndarray, box_A: np.ndarray | None,
            centre_A: np.ndarray, in_nc: np.ndarray | None = None) -> None:
        """One frame: positions (N, 3) Å, NC centre (3,) Å, optional NC mask (N,)."""
        w = self.window_of(time_ps)
        if w is None:
            return
        self.n_frames[w] += 1
        r = distances(centre_A, xyz_A, box_A)
        for k, idx in self.sel.items():
            self.sum[k][w] += np.histogram(r[idx], bins=self.edges)[0]
            if in_nc is not None:
                self._with_members = True
                sel = idx[in_nc[idx]]
                self.nc_sum[k][w] += np.histogram(r[sel], bins=self.edges)[0]

    def result(self) -> RadialDensity:
        vol = a3_to_nm3(4.0 / 3.0 * np.pi * (self.edges[1:] ** 3 - self.edges[:-1] ** 3))
        nf = np.maximum(self.n_frames, 1)[:, None]
        counts = {k: v / nf for k, v in self.sum.items()}
        dens = {k: c / vol for k, c in counts.items()}
        nc = {k: v / nf for k, v in self.nc_sum.items()} if self._with_members else None
        return RadialDensity(self.edges.copy(), self.wedges.copy(), self.n_frames.copy(), dens,
                             counts, nc)


def default_selections(groups: "AnalysisGroups") -> dict[str, np.ndarray]:
    """Every species, plus the groups ``original`` and ``in_going``."""
    sel = {s: groups.of_species(s) for s in groups.species_list}
    sel["original"] = groups.original
    sel["in_going"] = groups.in_going
    return sel


def radial_density(traj: "md.Trajectory", groups: "AnalysisGroups",
                   selections: Mapping[str, np.ndarray] | None = None,
                   bin_A: float = 0.5, r_max_A: float | None = None, n_windows: int = 1,
                   window_edges_ps: Sequence[float] | None = None,
                   criterion: MembershipCriterion | None = None,
                   centre_A: np.ndarray | None = None, dt_ps: float | None = None) -> RadialDensity:
    """Radial density profiles of an in-memory mdtraj trajectory.

    ``selections`` label -> indices (default: every species, ``original``,
    ``in_going``); shells of ``bin_A`` Å up to ``r_max_A`` (default half the smallest box
    length of frame 0); ``n_windows`` equal time windows (or explicit
    ``window_edges_ps``). The centre is the NC centre of each frame unless ``centre_A``
    (3,) or (n_frames, 3) Å is given; NC-member counts use ``criterion``.
    """
    first = next(frames_of(traj[:1], dt_ps))
    t_first = first.time_ps
    t_last = float(traj.time[-1]) if dt_ps is None else (traj.n_frames - 1) * float(dt_ps)
    r_max = default_r_max_A(first.box_A) if r_max_A is None else float(r_max_A)
    edges = np.arange(0.0, r_max + 1e-9, bin_A)
    if window_edges_ps is None:
        window_edges_ps = np.linspace(t_first, t_last, n_windows + 1)
        if n_windows == 1 or t_last == t_first:
            window_edges_ps = np.array([t_first, t_last + 1e-9])
    acc = RadialDensityAccumulator(selections or default_selections(groups), edges,
                                   window_edges_ps, groups.n_atoms)
    centres = None if centre_A is None else np.asarray(centre_A, float).reshape(-1, 3)
    for fr, m in iter_membership(frames_of(traj, dt_ps), groups, criterion):
        c = m.centre_A if centres is None else centres[min(fr.index, len(centres) - 1)]
        acc.add(fr.time_ps, fr.xyz_A, fr.box_A, c, m.mask(groups.n_atoms))
    return acc.result()


def default_r_max_A(box_A: np.ndarray | None, fallback_A: float = 50.0) -> float:
    """Half the smallest box width (Å), so that every shell lies inside the box."""
    if box_A is None:
        return fallback_A
    vol = abs(np.linalg.det(box_A))
    widths = [vol / np.linalg.norm(np.cross(box_A[(i + 1) % 3], box_A[(i + 2) % 3])) for i in range(3)]
    return 0.5 * min(widths)


@dataclass(frozen=True)
class DensityOptions:
    """Shell width (Å), time windows, outer radius (Å; None: half the box, or the NC's
    extent + 10 Å in vacuum)."""

    bin_A: float = 0.5
    windows: int = 4
    r_max_A: float | None = None


class DensityAnalysis(Analysis):
    """density.csv (one row per time window and shell), density_boundary.csv (the
    core/shell boundary per window), density.png."""

    name = "density"
    needs_nc = True
    needs_membership = True
    Options = DensityOptions
    flat_options = {"density_bin_A": "bin_A", "density_windows": "windows",
                    "density_r_max_A": "r_max_A"}
    summary_keys = {"core_shell_boundary_A": "core/shell boundary per time window, Å",
                    "bin_A": "shell width, Å", "r_max_A": "outer radius, Å"}

    @classmethod
    def report_line(cls, entry) -> str:
        b = ", ".join("nan" if x is None or x != x else f"{x:.1f}"
                      for x in entry["core_shell_boundary_A"])
        return f"core/shell boundary per window (Å): {b}"

    def prepare(self, ctx: AnalysisContext) -> None:
        super().prepare(ctx)
        opt, first, n = self.options, ctx.first, ctx.n_frames
        if opt.r_max_A:
            r_max = opt.r_max_A
        elif first.box_A is not None:
            r_max = default_r_max_A(first.box_A)
        else:  # no box (vacuum): everything of the first frame plus 10 Å
            g = ctx.groups
            c0 = frame_membership(first.xyz_A, None, g.cations, g.anions, ctx.criterion).centre_A
            r_max = float(np.max(np.linalg.norm(first.xyz_A - c0, axis=1))) + 10.0
        edges = np.arange(0.0, r_max + 1e-9, opt.bin_A)
        nw = max(1, min(opt.windows, n))
        wedges = (np.linspace(ctx.t0_ps, ctx.t_last_ps, nw + 1) if n > 1
                  else np.array([ctx.t0_ps, ctx.t0_ps + 1.0]))
        self.acc = RadialDensityAccumulator(default_selections(ctx.groups), edges, wedges,
                                            ctx.groups.n_atoms)

    def add(self, frame: Frame, membership: FrameMembership | None) -> None:
        self.acc.add(frame.time_ps, frame.xyz_A, frame.box_A, membership.centre_A,
                     membership.mask(self.ctx.groups.n_atoms))

    def finish(self) -> AnalysisOutput:
        prof = self.acc.result()
        bnd = prof.boundaries_A()
        boundary = {"window": np.arange(len(bnd)), "t_start_ps": prof.window_edges_ps[:-1],
                    "t_end_ps": prof.window_edges_ps[1:], "n_frames": prof.n_frames,
                    "boundary_A": bnd}
        s = {"bin_A": self.options.bin_A, "r_max_A": float(prof.r_edges_A[-1]),
             "windows_ps": prof.window_edges_ps.tolist(),
             "n_frames_per_window": prof.n_frames.tolist(),
             "core_shell_boundary_A": bnd.tolist(),
             "boundary_rule": "first radius, going out from the NC centre, where the "
                              "in-going cation density rises to the original cation "
                              "density (linear interpolation)",
             "units": "ions/nm^3 against r in Å"}
        groups = self.ctx.groups
        labels = [sp for sp in groups.species_list if groups.role_of.get(sp) != "ligand"]
        return AnalysisOutput(s, tables={"density.csv": prof.table(),
                                         "density_boundary.csv": boundary},
                              figures={"density.png": lambda: _figure(prof, bnd, labels)})


def _figure(prof: RadialDensity, bnd: np.ndarray, labels: Sequence[str]):
    from omm_cx.analysis.plots import plot_density
    from omm_cx.io.figures import new_figure

    nw = len(prof.n_frames)
    fig, axes = new_figure(nw, figsize=(4.0 * nw, 3.6))
    for w, ax in enumerate(axes):
        plot_density(prof, labels, window=w, ax=ax, boundary_A=bnd[w])
    return fig
