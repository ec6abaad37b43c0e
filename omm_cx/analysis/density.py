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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from omm_cx.periodic import distances
from omm_cx.units import a3_to_nm3

if TYPE_CHECKING:  # pragma: no cover
    import mdtraj as md

    from omm_cx.analysis.io import AnalysisGroups
    from omm_cx.analysis.membership import MembershipCriterion


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
                   criterion: "MembershipCriterion | None" = None,
                   centre_A: np.ndarray | None = None, dt_ps: float | None = None) -> RadialDensity:
    """Radial density profiles of an in-memory mdtraj trajectory.

    ``selections`` label -> indices (default: every species, ``original``,
    ``in_going``); shells of ``bin_A`` Å up to ``r_max_A`` (default half the smallest box
    length of frame 0); ``n_windows`` equal time windows (or explicit
    ``window_edges_ps``). The centre is the NC centre of each frame unless ``centre_A``
    (3,) or (n_frames, 3) Å is given; NC-member counts use ``criterion``.
    """
    from omm_cx.analysis.io import frames_of
    from omm_cx.analysis.membership import MembershipCriterion, frame_membership

    frames = list(frames_of(traj, dt_ps))
    first = frames[0]
    r_max = default_r_max_A(first.box_A) if r_max_A is None else float(r_max_A)
    edges = np.arange(0.0, r_max + 1e-9, bin_A)
    if window_edges_ps is None:
        window_edges_ps = np.linspace(frames[0].time_ps, frames[-1].time_ps, n_windows + 1)
        if n_windows == 1 or frames[-1].time_ps == frames[0].time_ps:
            window_edges_ps = np.array([frames[0].time_ps, frames[-1].time_ps + 1e-9])
    acc = RadialDensityAccumulator(selections or default_selections(groups), edges,
                                   window_edges_ps, groups.n_atoms)
    crit = (criterion or MembershipCriterion()).resolved(first.xyz_A, first.box_A, groups.anions)
    for k, fr in enumerate(frames):
        m = frame_membership(fr.xyz_A, fr.box_A, groups.cations, groups.anions, crit)
        c = m.centre_A if centre_A is None else np.asarray(centre_A, float).reshape(-1, 3)[
            min(k, len(np.asarray(centre_A).reshape(-1, 3)) - 1)]
        acc.add(fr.time_ps, fr.xyz_A, fr.box_A, c, m.mask(groups.n_atoms))
    return acc.result()


def default_r_max_A(box_A: np.ndarray | None, fallback_A: float = 50.0) -> float:
    """Half the smallest box width (Å), so that every shell lies inside the box."""
    if box_A is None:
        return fallback_A
    vol = abs(np.linalg.det(box_A))
    widths = [vol / np.linalg.norm(np.cross(box_A[(i + 1) % 3], box_A[(i + 2) % 3])) for i in range(3)]
    return 0.5 * min(widths)
