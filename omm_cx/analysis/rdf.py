"""Radial distribution functions g(r) and running coordination numbers (004
Supplementary Fig. 2).

For a pair of selections A, B and each frame, the observed number of ordered (a, b)
pairs (a != b) at minimum-image distance in (r, r + dr] is compared with the ideal-gas
number for the same numbers of atoms in the same box:

    ideal(r) = (N_A N_B - N_AB) / V(t) * 4/3 pi ((r + dr)^3 - r^3)   (bins (r, r + dr])

with N_AB the atoms in both selections (N_AB = N_A for A = B) and V(t) the volume of
that frame's box, so g(r) stays right when the box changes (NPT). Over a window,
g(r) = sum_t observed / sum_t ideal.

What g(r) means for a NC in solution: the reference density is the box-average density
of B, not the local density around A. Pairs inside the NC (Pb-Se) are therefore far
above 1 at every r within the NC and do not tend to 1 at large r (the NC holds its ions
in a small part of the box); only a homogeneous liquid (the cation/PSL mixtures of 004
Supplementary Fig. 2) has g -> 1. Peak positions are meaningful in both cases;
coordination numbers must be read from the running coordination number

    n_AB(r) = (pairs of A and B closer than r, per A, averaged over frames),

which counts neighbours directly and does not involve any reference density.
Distances up to ``r_max_A``, at most half the smallest box width.

:func:`compute_rdf` works on an in-memory trajectory; :class:`RDFAnalysis` is the
streaming ``rdf`` analysis of the driver (rdf.csv, on at most ``rdf_max_frames`` frames).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations_with_replacement
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from omm_cx.analysis.base import Analysis, AnalysisContext, AnalysisOutput
from omm_cx.analysis.density import default_r_max_A
from omm_cx.analysis.trajectory import Frame, frames_of
from omm_cx.periodic import NeighborSearch

if TYPE_CHECKING:  # pragma: no cover
    import mdtraj as md

    from omm_cx.analysis.groups import AnalysisGroups
    from omm_cx.analysis.membership import FrameMembership


@dataclass
class RDFResult:
    """``r_edges_A`` (n_bins + 1,) Å; per pair label 'A-B': ``g[label]`` (n_bins,)
    (NaN without a periodic box) and ``cn[label]`` (n_bins,) running coordination number
    at each bin's upper edge; ``n_frames``."""

    r_edges_A: np.ndarray
    g: dict[str, np.ndarray]
    cn: dict[str, np.ndarray]
    n_frames: int

    @property
    def r_A(self) -> np.ndarray:
        """Bin mid-points (n_bins,) in Å."""
        return 0.5 * (self.r_edges_A[1:] + self.r_edges_A[:-1])

    def first_peak(self, label: str) -> tuple[float, float]:
        """(r of the first maximum of g in Å, running coordination number at the first
        minimum after it): the usual first-shell numbers."""
        g = np.nan_to_num(self.g[label])
        if not g.any():
            return float("nan"), float("nan")
        i = int(np.argmax(g > 0.5 * g.max()))
        while i + 1 < len(g) and g[i + 1] >= g[i]:
            i += 1
        j = i
        while j + 1 < len(g) and g[j + 1] <= g[j]:
            j += 1
        return float(self.r_A[i]), float(self.cn[label][j])

    def table(self) -> dict[str, np.ndarray]:
        cols = {"r_A": self.r_A, "r_hi_A": self.r_edges_A[1:]}
        for k in self.g:
            cols[f"g_{k}"] = self.g[k]
            cols[f"cn_{k}"] = self.cn[k]
        return cols


class RDFAccumulator:
    """Streams frames into pair histograms. ``selections`` label -> indices; ``pairs``
    of labels; bins of ``bin_A`` up to ``r_max_A``."""

    def __init__(self, selections: Mapping[str, np.ndarray], pairs: Sequence[tuple[str, str]],
                 r_max_A: float = 12.0, bin_A: float = 0.05):
        self.sel = {k: np.asarray(v, dtype=int) for k, v in selections.items()}
        self.pairs = [tuple(p) for p in pairs]
        for a, b in self.pairs:
            for s in (a, b):
                if s not in self.sel:
                    raise KeyError(f"rdf selection {s!r} unknown ({', '.join(self.sel)})")
        nb = int(round(r_max_A / bin_A))
        self.edges = np.linspace(0.0, nb * bin_A, nb + 1)
        self.obs = {self.label(p): np.zeros(nb + 1, dtype=np.int64) for p in self.pairs}
        self.ideal = {self.label(p): np.zeros(nb) for p in self.pairs}
        self.n_A = {self.label(p): 0 for p in self.pairs}
        self.n_frames = 0
        self.periodic = True

    @staticmethod
    def label(pair: tuple[str, str]) -> str:
        return f"{pair[0]}-{pair[1]}"

    def add(self, xyz_A: np.ndarray, box_A: np.ndarray | None) -> None:
        """One frame: positions (N, 3) Å, box (3, 3) Å or None."""
        self.n_frames += 1
        shell = 4.0 / 3.0 * np.pi * (self.edges[1:] ** 3 - self.edges[:-1] ** 3)
        vol = abs(np.linalg.det(box_A)) if box_A is not None else np.nan
        if box_A is None:
            self.periodic = False
        trees: dict[str, NeighborSearch] = {}
        for a, b in self.pairs:
            lab = self.label((a, b))
            ia, ib = self.sel[a], self.sel[b]
            if b not in trees:
                trees[b] = NeighborSearch(xyz_A[ib], box_A)
            qa, pb, d = trees[b].pair_distances(xyz_A[ia], float(self.edges[-1]))
            d = np.sort(d[ia[qa] != ib[pb]])  # no atom pairs with itself
            self.obs[lab] += np.searchsorted(d, self.edges, side="right")
            n_both = len(np.intersect1d(ia, ib, assume_unique=True)) if a != b else len(ia)
            self.ideal[lab] += (len(ia) * len(ib) - n_both) / vol * shell
            self.n_A[lab] += len(ia)

    def result(self) -> RDFResult:
        g, cn = {}, {}
        for lab, cum in self.obs.items():
            hist = np.diff(cum).astype(float)
            g[lab] = hist / self.ideal[lab] if self.periodic else np.full(len(hist), np.nan)
            cn[lab] = cum[1:] / max(self.n_A[lab], 1)
        return RDFResult(self.edges.copy(), g, cn, self.n_frames)


def compute_rdf(traj: "md.Trajectory", groups: "AnalysisGroups | None" = None,
                pairs: Sequence[tuple[str, str]] = (), selections: Mapping[str, np.ndarray] | None = None,
                r_max_A: float = 12.0, bin_A: float = 0.05, stride: int = 1) -> RDFResult:
    """g(r) and running coordination numbers of an in-memory mdtraj trajectory.

    ``pairs``: (A, B) selection names: species or group names of ``groups`` (see
    :meth:`AnalysisGroups.select`), or keys of ``selections`` (label -> indices).
    Every ``stride``-th frame is used. Distances in Å.
    """
    sel = dict(selections or {})
    for p in pairs:
        for s in p:
            if s not in sel:
                sel[s] = groups.select(s)
    acc = RDFAccumulator(sel, pairs, r_max_A, bin_A)
    for fr in frames_of(traj[::stride]):
        acc.add(fr.xyz_A, fr.box_A)
    return acc.result()


@dataclass(frozen=True)
class RDFOptions:
    """Pairs ((A, B), species or groups; None: every pair of species), range and bin (Å),
    and the most frames used (spread evenly)."""

    pairs: tuple | list | None = None
    r_max_A: float = 12.0
    bin_A: float = 0.05
    max_frames: int = 200


class RDFAnalysis(Analysis):
    """rdf.csv (g and running coordination number per pair), rdf.png; on at most
    ``max_frames`` frames spread evenly over the run."""

    name = "rdf"
    Options = RDFOptions
    flat_options = {"rdf_pairs": "pairs", "rdf_r_max_A": "r_max_A", "rdf_bin_A": "bin_A",
                    "rdf_max_frames": "max_frames"}
    summary_keys = {"pairs": "the pairs", "frames_used": "frames averaged",
                    "first_peak": "per pair: r of the first peak (Å) and the coordination "
                                  "number at the first minimum"}

    def prepare(self, ctx: AnalysisContext) -> None:
        super().prepare(ctx)
        opt, groups = self.options, ctx.groups
        pairs = [tuple(p) for p in (opt.pairs or combinations_with_replacement(groups.species_list, 2))]
        sel = {s: groups.select(s) for p in pairs for s in p}
        r_max = opt.r_max_A if ctx.box_A is None else min(opt.r_max_A, default_r_max_A(ctx.box_A))
        self.acc = RDFAccumulator(sel, pairs, r_max, opt.bin_A)
        self.every = max(1, math.ceil(ctx.n_frames / max(opt.max_frames, 1)))

    def add(self, frame: Frame, membership: "FrameMembership | None") -> None:
        if frame.index % self.every == 0:
            self.acc.add(frame.xyz_A, frame.box_A)

    def finish(self) -> AnalysisOutput:
        res = self.acc.result()
        s = {"pairs": list(res.g), "frames_used": res.n_frames, "every_nth_frame": self.every,
             "r_max_A": float(res.r_edges_A[-1]), "bin_A": self.options.bin_A,
             "first_peak": {k: dict(zip(("r_A", "cn_at_first_minimum"), res.first_peak(k)))
                            for k in res.g},
             "normalisation": "ideal-gas pair count of the actual numbers in each frame's "
                              "box volume; for a NC in solution the reference is the "
                              "box-average density, read coordination from cn_*"}
        return AnalysisOutput(s, tables={"rdf.csv": res.table()},
                              figures={"rdf.png": lambda: _figure(res)})


def _figure(res: RDFResult):
    from omm_cx.analysis.plots import plot_rdf
    from omm_cx.io.figures import new_figure

    fig, (ax,) = new_figure(figsize=(6.0, 4.0))
    plot_rdf(res, ax=ax)
    return fig
