"""Per-atom RMSD maps (000 Fig. S25): the root-mean-square displacement of each atom
about its mean position over the trajectory, after removing the NC's drift.

Positions are made whole around the reference atoms in the first frame and then
unwrapped across periodic boundaries over time (:class:`~omm_cx.periodic.
Unwrapper`). Drift removal (``fit``):

- ``"rigid"`` (default): each frame is superposed onto the first by the rotation and
  translation that best fit the reference atoms (Kabsch; default reference: the atoms
  analysed), which removes the NC's translation and its rotation (a free NC in vacuum or
  solution rotates by radians in nanoseconds);
- ``"translation"``: only the centroid of the reference atoms is removed.

RMSD_i = sqrt(< |x_i(t) - <x_i>|^2 >_t), in Å. Atoms with RMSD above 0.84 Å are
"mobile" (000 Fig. S25, drawn red there). Memory is O(n_atoms): sums of positions and
squared positions are accumulated, relative to the first frame for numerical accuracy.

:func:`per_atom_rmsd` works on an in-memory trajectory; :class:`RMSDAnalysis` is the
streaming ``rmsd`` analysis of the driver (rmsd.csv, rmsd_map.png).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from omm_cx.analysis.base import Analysis, AnalysisContext, AnalysisOutput, CannotRun
from omm_cx.analysis.interface_rmsd import interface_rmsd
from omm_cx.analysis.options import MOBILE_THRESHOLD_A
from omm_cx.analysis.trajectory import Frame, frames_of
from omm_cx.errors import AnalysisError
from omm_cx.periodic import Unwrapper, cluster_centre, minimum_image

if TYPE_CHECKING:  # pragma: no cover
    import mdtraj as md

    from omm_cx.analysis.membership import FrameMembership

__all__ = ["MOBILE_THRESHOLD_A", "RMSDResult", "RMSDAccumulator", "RMSDAnalysis",
           "kabsch_rotation", "mobile_atoms", "per_atom_rmsd"]


@dataclass
class RMSDResult:
    """``atoms`` (n,) indices; ``rmsd_A`` (n,) Å; ``mean_position_A`` (n, 3) Å in the
    frame of the first frame, relative to the reference centroid; ``n_frames``; ``fit``."""

    atoms: np.ndarray
    rmsd_A: np.ndarray
    mean_position_A: np.ndarray
    n_frames: int
    fit: str

    def mobile(self, threshold_A: float = MOBILE_THRESHOLD_A) -> np.ndarray:
        """Boolean (n,) mask of the mobile atoms (RMSD > threshold)."""
        return mobile_atoms(self.rmsd_A, threshold_A)


def mobile_atoms(rmsd_A: np.ndarray, threshold_A: float = MOBILE_THRESHOLD_A) -> np.ndarray:
    """Boolean mask: RMSD above ``threshold_A`` (default 0.84 Å, 000 Fig. S25)."""
    return np.asarray(rmsd_A) > threshold_A


def kabsch_rotation(mobile: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Rotation R (3, 3) minimising |mobile @ R - target| for centred (n, 3) arrays."""
    h = mobile.T @ target
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(u @ vt)) or 1.0
    return u @ np.diag([1.0, 1.0, d]) @ vt


class RMSDAccumulator:
    """Streams frames into per-atom RMSD. ``atoms``: indices analysed; ``reference``:
    indices whose fit removes the drift (default ``atoms``); ``fit``: 'rigid' or
    'translation'."""

    def __init__(self, atoms: np.ndarray, reference: np.ndarray | None = None, fit: str = "rigid"):
        if fit not in ("rigid", "translation"):
            raise AnalysisError(f"rmsd fit {fit!r}: use 'rigid' or 'translation'")
        self.atoms = np.asarray(atoms, dtype=int)
        ref = self.atoms if reference is None else np.asarray(reference, dtype=int)
        if len(self.atoms) == 0 or len(ref) == 0:
            raise AnalysisError("rmsd: no atoms selected")
        self.fit = fit
        both = np.union1d(self.atoms, ref)
        self._both = both
        self._a = np.searchsorted(both, self.atoms)
        self._r = np.searchsorted(both, ref)
        self._unwrap = Unwrapper()
        self._ref0: np.ndarray | None = None
        self._x0: np.ndarray | None = None
        self._s1 = np.zeros((len(self.atoms), 3))
        self._s2 = np.zeros(len(self.atoms))
        self.n_frames = 0

    def add(self, xyz_A: np.ndarray, box_A: np.ndarray | None) -> None:
        """One frame: positions (N, 3) Å, box (3, 3) Å or None."""
        x = np.asarray(xyz_A[self._both], dtype=np.float64)
        if self.n_frames == 0 and box_A is not None:
            # make the selection whole around the reference atoms' centre: a NC cut by
            # the box boundary in the first frame would be torn apart by the rotation fit
            c, _ = cluster_centre(x[self._r], box_A)
            x = c + minimum_image(x - c, box_A)
        u = self._unwrap(x, box_A)
        ref = u[self._r]
        c = ref.mean(axis=0)
        if self._ref0 is None:
            self._ref0 = ref - c
        x = u[self._a] - c
        if self.fit == "rigid":
            x = x @ kabsch_rotation(ref - c, self._ref0)
        if self._x0 is None:
            self._x0 = x.copy()
        dx = x - self._x0
        self._s1 += dx
        self._s2 += np.sum(dx * dx, axis=1)
        self.n_frames += 1

    def result(self) -> RMSDResult:
        n = max(self.n_frames, 1)
        mean = self._s1 / n
        var = np.maximum(self._s2 / n - np.sum(mean * mean, axis=1), 0.0)
        return RMSDResult(self.atoms.copy(), np.sqrt(var), self._x0 + mean if self._x0 is not None
                          else np.zeros((len(self.atoms), 3)), self.n_frames, self.fit)


def per_atom_rmsd(traj: "md.Trajectory", atoms: np.ndarray | None = None,
                  reference: np.ndarray | None = None, fit: str = "rigid") -> RMSDResult:
    """Per-atom RMSD (Å) of an in-memory mdtraj trajectory (see the module docstring).
    ``atoms`` default: all atoms."""
    atoms = np.arange(traj.n_atoms) if atoms is None else np.asarray(atoms, int)
    acc = RMSDAccumulator(atoms, reference, fit)
    for fr in frames_of(traj):
        acc.add(fr.xyz_A, fr.box_A)
    return acc.result()


@dataclass(frozen=True)
class RMSDOptions:
    """Atoms of the map (a species or group), the atoms whose fit removes the drift, the
    fit (rigid: translation and rotation; translation), the mobile threshold (Å)."""

    select: str = "nc"
    reference: str = "original_anions"
    fit: str = "rigid"
    threshold_A: float = MOBILE_THRESHOLD_A


class RMSDAnalysis(Analysis):
    """rmsd.csv (per atom: species, mean position, RMSD, mobile), rmsd_map.png. Atoms:
    ``select``; drift removed by fitting ``reference`` (``fit``)."""

    name = "rmsd"
    needs_nc = True
    Options = RMSDOptions
    flat_options = {"rmsd_select": "select", "rmsd_reference": "reference", "rmsd_fit": "fit",
                    "rmsd_threshold_A": "threshold_A"}
    summary_keys = {"n_mobile": "atoms whose RMSD exceeds threshold_A", "n_atoms": "atoms mapped",
                    "threshold_A": "the mobile threshold, Å",
                    "mean_rmsd_by_species_A": "mean per-atom RMSD per species, Å"}

    @classmethod
    def report_line(cls, entry) -> str:
        return (f"{entry['n_mobile']} of {entry['n_atoms']} atoms mobile "
                f"(> {entry['threshold_A']} Å)")

    def prepare(self, ctx: AnalysisContext) -> None:
        super().prepare(ctx)
        opt = self.options
        atoms, ref = ctx.groups.select(opt.select), ctx.groups.select(opt.reference)
        if len(atoms) == 0 or len(ref) == 0:
            raise CannotRun(f"empty selection {opt.select!r} or reference {opt.reference!r}")
        self.acc = RMSDAccumulator(atoms, ref, opt.fit)

    def add(self, frame: Frame, membership: "FrameMembership | None") -> None:
        self.acc.add(frame.xyz_A, frame.box_A)

    def finish(self) -> AnalysisOutput:
        opt = self.options
        res = self.acc.result()
        mobile = res.mobile(opt.threshold_A)
        sp = self.ctx.groups.species[res.atoms]
        table = {"atom": res.atoms, "species": sp, "x_A": res.mean_position_A[:, 0],
                 "y_A": res.mean_position_A[:, 1], "z_A": res.mean_position_A[:, 2],
                 "rmsd_A": res.rmsd_A, "mobile": mobile}
        species = list(dict.fromkeys(sp))
        s = {"selection": opt.select, "reference": opt.reference, "fit": res.fit,
             "threshold_A": opt.threshold_A, "n_atoms": int(len(res.atoms)),
             "n_mobile": int(mobile.sum()),
             "n_mobile_by_species": {x: int(mobile[sp == x].sum()) for x in species},
             "mean_rmsd_by_species_A": {x: float(res.rmsd_A[sp == x].mean()) for x in species}}
        s.update(interface_rmsd(sp, res.mean_position_A, res.rmsd_A))
        return AnalysisOutput(s, tables={"rmsd.csv": table}, figures={
            "rmsd_map.png": lambda: _figure(res, opt.threshold_A)})


def _figure(res: RMSDResult, threshold_A: float):
    from omm_cx.analysis.plots import plot_rmsd_map
    from omm_cx.io.figures import new_figure

    fig, (ax,) = new_figure(figsize=(5.5, 4.5))
    plot_rmsd_map(res, ax=ax, threshold_A=threshold_A)
    return fig
