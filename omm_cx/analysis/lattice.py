"""Lattice parameters of a periodic bulk crystal at temperature (NPT): the build's
lattice (``build.json`` ``crystals[0]``: a, c in Å, relaxed at 0 K) scaled by the mean
box over the second half of the trajectory (the first half is left for equilibration
of the volume).

For a box whose vectors are whole repeats of the conventional cell (a bulk supercell),
a(T) = a_0 <|v_1| + |v_2|> / (|v_1^0| + |v_2^0|) and c(T) = c_0 <|v_3|> / |v_3^0|
(hexagonal: a in the plane of v_1, v_2, c along v_3); cubic cells report a(T) from the
mean of the three axes. Summary: ``a_A``, ``c_A`` (None for cubic), ``volume_ratio``
(<V> / V_0), ``frames_averaged``, ``lattice_0`` (the build's a, c).
"""

from __future__ import annotations

import numpy as np

from omm_cx.analysis.base import Analysis, AnalysisContext, AnalysisOutput, CannotRun
from omm_cx.analysis.trajectory import Frame

__all__ = ["LatticeAnalysis"]


class LatticeAnalysis(Analysis):
    """lattice: a(T), c(T) of a bulk crystal from the mean box (see the module doc)."""

    name = "lattice"

    def prepare(self, ctx: AnalysisContext) -> None:
        super().prepare(ctx)
        rec = ctx.build_info
        if rec is None or len(rec.crystals) != 1 or rec.box_A is None or ctx.box_A is None:
            raise CannotRun("needs a periodic bulk crystal (build.json with one crystal and a box)")
        self.crystal = rec.crystals[0]
        self.box0 = np.linalg.norm(np.asarray(rec.box_A, float), axis=1)
        self.start = ctx.n_frames // 2
        self.sum = np.zeros(3)
        self.vol = 0.0
        self.n = 0

    def add(self, frame: Frame, membership) -> None:
        if frame.index < self.start or frame.box_A is None:
            return
        self.sum += np.linalg.norm(frame.box_A, axis=1)
        self.vol += abs(float(np.linalg.det(frame.box_A)))
        self.n += 1

    def finish(self) -> AnalysisOutput:
        if self.n == 0:
            raise CannotRun("no frame with a box in the second half of the trajectory")
        mean = self.sum / self.n
        scale = mean / self.box0
        c0 = self.crystal.c_A
        if c0 is None:  # cubic: one lattice parameter from the three axes
            a, c = self.crystal.a_A * float(scale.mean()), None
        else:
            a = self.crystal.a_A * float((mean[0] + mean[1]) / (self.box0[0] + self.box0[1]))
            c = c0 * float(scale[2])
        v0 = abs(float(np.linalg.det(np.asarray(self.ctx.build_info.box_A, float))))
        s = {"structure": self.crystal.structure, "a_A": a, "c_A": c,
             "volume_ratio": self.vol / self.n / v0, "frames_averaged": self.n,
             "lattice_0": {"a_A": self.crystal.a_A, "c_A": c0},
             "method": "build lattice x mean box length / build box length, second half"}
        return AnalysisOutput(s)
