"""Jumps of the leaving cation (Pb for Pb -> Cd) by the criteria of 004 (Supplementary
"Statistical Analysis for the Kinetic Mechanism", Tables 2 and 3).

Frames ``interval_ps`` (2 ps) apart, a pre-jump frame t and a post-jump frame t + 2 ps.
For every leaving-species ion ("Pb"):

1. moved more than 2.0 Å between the two frames (minimum image);
2. its pre-jump position is within 20.0 Å of the NC centre (of the pre-jump frame);
3. it moved away from the centre: post-jump distance > pre-jump distance, both to the
   pre-jump NC centre;
4. more than 2 other Pb ions within 4.5 Å;
5. no other Pb ion within 4.5 Å.

Interface jump: 1+2+3+4; shell jump: 1+2+5.

Our reading of 004 for (4)/(5): they are evaluated **before the jump** (pre-jump frame,
around the pre-jump position; ``neighbors_frame="pre"``). The paper names the two kinds
by where the jump takes place, "at the PbS/CdS interface" and "in the CdS shell
region", and it analyses the pre-jump configuration for the kick-out partner; the place a
Pb jumps from is characterised by its neighbours there. ``neighbors_frame="post"``
evaluates them around the post-jump position in the post-jump frame instead.

Kick-out (004: "exchanged Cd ions around the pre-jump locations of the jumping Pb ions in
the pre-jump configurations ... distance less than 3.6 Å and the Cd ion is in the PbS
core region"): an in-going ion (build.json ``solution_cations``) within 3.6 Å of the
pre-jump position in the pre-jump frame that is in the PbS core region. The core region
(``kick_core``): "density" (default) = closer to the NC centre than the core/shell
boundary of the pre-jump frame, the radius that best separates Pb inside from Cd outside
in that frame's radial profile (:func:`omm_cx.analysis.density.core_shell_boundary`, the
boundary of 004 Supplementary Fig. 4; bins of ``core_bin_A``; no shell yet: the whole NC
is core, no core left: none is); "local" = at least ``core_min_neighbors`` = 3 Pb within
4.5 Å (the "more than 2 Pb" of criterion 4; it also accepts Cd at the interface); a given
``core_radius_A`` = closer than it to the NC centre. n_kick counts interface jumps with
at least one such partner (Table 2).

Target site: anions of the pre-jump frame within 4.1 Å of the post-jump position. Counts
map to two classes as in 004 (default ``site_rule="two-class"``: at least
``octa_min_anions`` = 5 anions -> octa, fewer -> tetra, so n_octa + n_tetra = n_intf +
n_shell; 5 is the midpoint between the ideal 4 and 6), or with ``site_rule="strict"`` by
``site_classes`` (6 -> octa, 4 -> tetra; any other count, e.g. 5 or 3 at a surface, is
"other" and counted in n_other).

r_a, r_c: mean distance from the post-jump position to the 4 nearest anions / 4 nearest
other cations in the post-jump frame. Table 3 means per class (intf/shell x octa/tetra);
r_c/r_a there is the ratio of the class means (it reproduces all four published ratios).

:func:`find_jumps` works on an in-memory trajectory; :class:`JumpAnalysis` is the
streaming ``jumps`` analysis of the driver (jumps.csv, jumps_summary.json). The criteria
(:class:`JumpCriteria`) live in :mod:`omm_cx.analysis.options` with the other settings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Sequence

import numpy as np

from omm_cx.analysis.base import Analysis, AnalysisContext, AnalysisOutput, CannotRun
from omm_cx.analysis.density import core_shell_boundary
from omm_cx.analysis.membership import FrameMembership, MembershipCriterion, iter_membership
from omm_cx.analysis.options import JumpCriteria
from omm_cx.analysis.trajectory import Frame, frames_of
from omm_cx.errors import AnalysisError
from omm_cx.periodic import NeighborSearch, distances, minimum_image

if TYPE_CHECKING:  # pragma: no cover
    import mdtraj as md

    from omm_cx.analysis.groups import AnalysisGroups

__all__ = ["JumpCriteria", "Jump", "JUMP_COLUMNS", "JumpDetector", "JumpAnalysis", "find_jumps",
           "frame_stride_for", "jumps_table", "summarize_jumps", "summarize_runs"]


@dataclass
class Jump:
    """One identified jump. Distances in Å, times in ps, indices 0-based."""

    atom: int
    frame_pre: int
    frame_post: int
    time_pre_ps: float
    time_post_ps: float
    displacement_A: float
    r_pre_A: float
    r_post_A: float
    n_neighbors: int
    kind: str  # "intf" or "shell"
    kick: bool
    n_kick_partners: int
    n_site_anions: int
    site: str  # "octa", "tetra" or "other"
    r_a_A: float
    r_c_A: float


JUMP_COLUMNS = tuple(f.name for f in fields(Jump))


@dataclass
class _Snap:
    index: int
    time_ps: float
    xyz_A: np.ndarray
    box_A: np.ndarray | None
    centre_A: np.ndarray
    _trees: dict

    def tree(self, key: str, idx: np.ndarray) -> NeighborSearch:
        if key not in self._trees:
            self._trees[key] = NeighborSearch(self.xyz_A[idx], self.box_A)
        return self._trees[key]


class JumpDetector:
    """Streams frames and finds jumps between frames ``frame_stride`` apart (the frames
    ``interval_ps`` apart). ``leaving_species`` defaults to the groups' leaving species."""

    def __init__(self, groups: "AnalysisGroups", criteria: JumpCriteria | None = None,
                 frame_stride: int = 1, leaving_species: str | None = None):
        self.c = criteria or JumpCriteria()
        species = leaving_species or groups.leaving_species
        if species is None:
            raise AnalysisError("jumps: no leaving species (the NC has no original cations)")
        self.leaving_species = species
        self.leaving = groups.of_species(species)
        self.in_going = np.setdiff1d(groups.in_going, self.leaving)
        self.anions = groups.anions
        self.cations = groups.cations
        self.stride = int(frame_stride)
        self._first: int | None = None
        self._prev: _Snap | None = None
        self.jumps: list[Jump] = []
        self.n_intervals = 0

    def add(self, index: int, time_ps: float, xyz_A: np.ndarray, box_A: np.ndarray | None,
            centre_A: np.ndarray) -> None:
        """One frame (positions (N, 3) Å, NC centre (3,) Å); frames not on the stride grid
        are skipped."""
        if self._first is None:
            self._first = index
        if (index - self._first) % self.stride:
            return
        cur = _Snap(index, float(time_ps), xyz_A, box_A, np.asarray(centre_A, float), {})
        if self._prev is not None:
            self._compare(self._prev, cur)
            self.n_intervals += 1
        self._prev = cur

    def _compare(self, pre: _Snap, post: _Snap) -> None:
        c = self.c
        x0 = pre.xyz_A[self.leaving]
        d = minimum_image(post.xyz_A[self.leaving] - x0, post.box_A)
        disp = np.linalg.norm(d, axis=1)
        cand = np.flatnonzero(disp > c.min_displacement_A)
        if len(cand) == 0:
            return
        r_pre = distances(pre.centre_A, x0[cand], pre.box_A)
        x1 = x0[cand] + d[cand]  # post-jump positions, continuous with the pre-jump ones
        r_post = distances(pre.centre_A, x1, pre.box_A)
        near = r_pre < c.max_centre_distance_A
        snap, where = (pre, x0[cand]) if c.neighbors_frame == "pre" else (post, x1)
        n_nb = snap.tree("leaving", self.leaving).count_within(where, c.neighbor_cutoff_A) - 1
        intf = near & (r_post > r_pre) & (n_nb >= c.interface_min_neighbors)
        shell = near & (n_nb == 0)
        for k in np.flatnonzero(intf | shell):
            self.jumps.append(self._describe(pre, post, int(cand[k]), x0[cand[k]], x1[k],
                                             float(disp[cand[k]]), float(r_pre[k]),
                                             float(r_post[k]), int(n_nb[k]),
                                             "intf" if intf[k] else "shell"))

    def _describe(self, pre: _Snap, post: _Snap, j: int, x_pre, x_post, disp, r_pre, r_post,
                  n_nb, kind) -> Jump:
        c = self.c
        atom = int(self.leaving[j])
        partners = []
        if len(self.in_going):
            near = self.in_going[pre.tree("in_going", self.in_going).within(x_pre, c.kick_cutoff_A)[0]]
            core_r = self._core_radius(pre)
            for p in near:
                if core_r is not None:
                    core = distances(pre.centre_A, pre.xyz_A[p], pre.box_A) < core_r
                else:
                    core = pre.tree("leaving", self.leaving).count_within(
                        pre.xyz_A[p], c.neighbor_cutoff_A)[0] >= c.core_min_neighbors
                if core:
                    partners.append(int(p))
        n_site = int(pre.tree("anions", self.anions).count_within(x_post, c.site_cutoff_A)[0])
        da, _ = post.tree("anions", self.anions).nearest(x_post, c.n_nearest)
        dc, ic = post.tree("cations", self.cations).nearest(x_post, c.n_nearest + 1)
        other = self.cations[np.minimum(ic[0], len(self.cations) - 1)] != atom
        dc = dc[0][other & (ic[0] < len(self.cations))][: c.n_nearest]
        return Jump(atom, pre.index, post.index, pre.time_ps, post.time_ps, disp, r_pre, r_post,
                    n_nb, kind, bool(partners), len(partners), n_site, c.site_of(n_site),
                    float(np.mean(da[0])), float(np.mean(dc)) if len(dc) else float("nan"))

    def _core_radius(self, pre: _Snap) -> float | None:
        """Radius (Å) of the core region of ``pre`` (None: the "local" rule)."""
        c = self.c
        if c.core_radius_A is not None:
            return float(c.core_radius_A)
        if c.kick_core == "local":
            return None
        if "core_radius" not in pre._trees:
            r_max = c.max_centre_distance_A + 10.0
            edges = np.arange(0.0, r_max + c.core_bin_A, c.core_bin_A)
            r_o = distances(pre.centre_A, pre.xyz_A[self.leaving], pre.box_A)
            r_i = distances(pre.centre_A, pre.xyz_A[self.in_going], pre.box_A)
            n_o, n_i = np.histogram(r_o, edges)[0], np.histogram(r_i, edges)[0]
            radius = core_shell_boundary(edges, n_o, n_i)
            if not np.isfinite(radius):  # best split at the centre: no core; else no shell yet
                cost = np.concatenate([[0], np.cumsum(n_i)]) + n_o.sum() - np.concatenate(
                    [[0], np.cumsum(n_o)])
                radius = 0.0 if np.argmin(cost) == 0 else np.inf
            pre._trees["core_radius"] = float(radius)
        return pre._trees["core_radius"]

    def table(self) -> dict[str, np.ndarray]:
        """jumps.csv columns (:data:`JUMP_COLUMNS`)."""
        return jumps_table(self.jumps)


def jumps_table(jumps: Sequence[Jump]) -> dict[str, np.ndarray]:
    rows = [asdict(j) for j in jumps]
    return {k: np.array([r[k] for r in rows], dtype=object if k in ("kind", "site") else None)
            for k in JUMP_COLUMNS}


def summarize_jumps(jumps: Sequence[Jump]) -> dict:
    """Counts of 004 Supplementary Table 2 (n_intf, n_shell, n_kick, n_octa, n_tetra,
    n_other, kick_ratio = n_kick / n_intf) and the class means of Table 3 (r_a_A, r_c_A,
    rc_over_ra per 'intf-octa', 'intf-tetra', 'shell-octa', 'shell-tetra')."""
    kinds = np.array([j.kind for j in jumps], dtype=object)
    sites = np.array([j.site for j in jumps], dtype=object)
    kick = np.array([j.kick for j in jumps], dtype=bool)
    n_intf = int((kinds == "intf").sum())
    out = {"n_intf": n_intf, "n_shell": int((kinds == "shell").sum()),
           "n_kick": int(((kinds == "intf") & kick).sum()),
           "n_octa": int((sites == "octa").sum()), "n_tetra": int((sites == "tetra").sum()),
           "n_other": int((sites == "other").sum())}
    out["kick_ratio"] = out["n_kick"] / n_intf if n_intf else float("nan")
    ra = np.array([j.r_a_A for j in jumps], float)
    rc = np.array([j.r_c_A for j in jumps], float)
    classes = {}
    for kind in ("intf", "shell"):
        for site in ("octa", "tetra"):
            m = (kinds == kind) & (sites == site)
            n = int(m.sum())
            a = float(np.nanmean(ra[m])) if n else float("nan")
            b = float(np.nanmean(rc[m])) if n else float("nan")
            classes[f"{kind}-{site}"] = {"n": n, "r_a_A": a, "r_c_A": b,
                                         "rc_over_ra": b / a if n else float("nan")}
    out["classes"] = classes
    return out


def summarize_runs(summaries: Sequence[dict], labels: Sequence[str] | None = None) -> dict:
    """Combine per-run :func:`summarize_jumps` results as in Table 2: per-run counts,
    totals, and mean and standard error of the mean (sample standard deviation /
    sqrt(n_runs)) of each count and of the per-run n_kick/n_intf."""
    keys = ("n_intf", "n_shell", "n_kick", "n_octa", "n_tetra", "n_other")
    labels = list(labels or [f"run{i + 1}" for i in range(len(summaries))])
    out = {"n_runs": len(summaries), "runs": {}, "total": {}, "mean": {}, "sem": {}}
    for lab, s in zip(labels, summaries):
        out["runs"][lab] = {k: s[k] for k in keys + ("kick_ratio",)}
    for k in keys + ("kick_ratio",):
        v = np.array([s[k] for s in summaries], float)
        if k != "kick_ratio":
            out["total"][k] = int(v.sum())
        out["mean"][k] = float(np.mean(v)) if len(v) else float("nan")
        out["sem"][k] = float(np.std(v, ddof=1) / np.sqrt(len(v))) if len(v) > 1 else float("nan")
    return out


def frame_stride_for(interval_ps: float, dt_ps: float) -> int:
    """Frames per jump interval; the interval must be a whole number of frames."""
    if not dt_ps > 0:
        raise AnalysisError("jumps: the time between frames is unknown or zero; give --dt-ps")
    k = interval_ps / dt_ps
    if k < 1 - 1e-6 or abs(k - round(k)) > 1e-3 * max(k, 1):
        raise AnalysisError(f"jumps: frames are {dt_ps:g} ps apart; the jump interval of "
                            f"{interval_ps:g} ps (004) needs frames saved every {interval_ps:g} "
                            f"ps or a divisor of it")
    return int(round(k))


def find_jumps(traj: "md.Trajectory", groups: "AnalysisGroups", criteria: JumpCriteria | None = None,
               membership: MembershipCriterion | None = None, dt_ps: float | None = None,
               centres_A: np.ndarray | None = None) -> list[Jump]:
    """Jumps in an in-memory mdtraj trajectory. Frame spacing from ``traj.time`` or
    ``dt_ps``; NC centres per frame from the membership framework unless ``centres_A``
    (n_frames, 3) Å is given."""
    criteria = criteria or JumpCriteria()
    if traj.n_frames < 2:
        return []
    dt = float(dt_ps) if dt_ps is not None else float(traj.time[1] - traj.time[0])
    det = JumpDetector(groups, criteria, frame_stride_for(criteria.interval_ps, dt))
    if centres_A is not None:
        centres = np.asarray(centres_A, float)
        for fr in frames_of(traj, dt_ps):
            det.add(fr.index, fr.time_ps, fr.xyz_A, fr.box_A, centres[fr.index])
    else:
        for fr, m in iter_membership(frames_of(traj, dt_ps), groups, membership):
            det.add(fr.index, fr.time_ps, fr.xyz_A, fr.box_A, m.centre_A)
    return det.jumps


class JumpAnalysis(Analysis):
    """jumps.csv (one row per jump) and jumps_summary.json (Table 2 counts, Table 3 class
    means, the criteria); needs frames ``interval_ps`` (2 ps) apart or a divisor of it."""

    name = "jumps"
    needs_nc = True
    needs_membership = True
    Options = JumpCriteria
    flat_options = "jumps"  # AnalysisOptions.jumps holds the whole JumpCriteria
    summary_keys = {"n_intf": "interface jumps (004 S-Table 2)", "n_shell": "shell jumps",
                    "n_kick": "kick-out jumps", "n_octa": "jumps to octahedral sites",
                    "n_tetra": "jumps to tetrahedral sites", "kick_ratio": "n_kick / n_intf"}

    @classmethod
    def report_line(cls, entry) -> str:
        return (f"n_intf {entry['n_intf']}, n_shell {entry['n_shell']}, n_kick "
                f"{entry['n_kick']}, n_octa {entry['n_octa']}, n_tetra {entry['n_tetra']}")

    def prepare(self, ctx: AnalysisContext) -> None:
        super().prepare(ctx)
        crit = self.options
        try:
            self.det = JumpDetector(ctx.groups, crit, frame_stride_for(crit.interval_ps, ctx.dt_ps))
        except AnalysisError as exc:
            raise CannotRun(str(exc)) from None

    def add(self, frame: Frame, membership: FrameMembership | None) -> None:
        self.det.add(frame.index, frame.time_ps, frame.xyz_A, frame.box_A, membership.centre_A)

    def finish(self) -> AnalysisOutput:
        js = summarize_jumps(self.det.jumps)
        js.update({"n_intervals": self.det.n_intervals, "leaving_species": self.det.leaving_species,
                   "criteria": self.options.describe()})
        s = {k: js[k] for k in ("n_intf", "n_shell", "n_kick", "n_octa", "n_tetra", "n_other",
                                "kick_ratio", "n_intervals")}
        return AnalysisOutput(s, tables={"jumps.csv": self.det.table()},
                              json={"jumps_summary.json": js})
