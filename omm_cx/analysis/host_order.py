"""Is the host still a crystal? The fraction of the original cations (build.json
``nc_cations``) within :data:`ON_SITE_A` of the site they held in the first frame, over
the second half of the trajectory, with the host's drift removed.

A Cu-interstitial diffusion run measures migration in a crystal only while this stays
near 1: in the 003-diffusion runs a wurtzite host at 2000 K (NVT at the 0 K volume) or at
1400 K (NPT) had 10-28 % of its Cd off site and the Cu trapped on Cd sites, which made
D fall with temperature (docs/fidelity.md). A study can leave such runs out of a fit
(``claims[].exclude_runs``). Summary: ``on_site_fraction``, ``on_site_A``,
``frames_averaged``.
"""

from __future__ import annotations

import numpy as np

from omm_cx.analysis.base import Analysis, AnalysisContext, AnalysisOutput, CannotRun
from omm_cx.analysis.trajectory import Frame
from omm_cx.periodic import Unwrapper

__all__ = ["HostOrderAnalysis", "ON_SITE_A"]

#: A host cation farther than this (Å) from its first-frame site has left it (thermal
#: vibration at 1000-1400 K: RMS displacement ~0.3-0.4 Å; nearest cation-cation distance
#: in CdSe ~4.3 Å, an interstitial site ~2.6 Å away).
ON_SITE_A = 1.5


class HostOrderAnalysis(Analysis):
    """host_order: the fraction of host cations on their sites (see the module doc)."""

    name = "host_order"

    def prepare(self, ctx: AnalysisContext) -> None:
        super().prepare(ctx)
        self.atoms = ctx.groups.original
        if len(self.atoms) == 0:
            raise CannotRun("no original (host) cations in the build groups")
        self.start = ctx.n_frames // 2
        self.unwrap = Unwrapper()
        self.site0: np.ndarray | None = None
        self.sum, self.n = 0.0, 0

    def add(self, frame: Frame, membership) -> None:
        u = self.unwrap(frame.xyz_A[self.atoms], frame.box_A)
        u = u - u.mean(axis=0)
        if self.site0 is None:
            self.site0 = u.copy()
        if frame.index >= self.start:
            self.sum += float((np.linalg.norm(u - self.site0, axis=1) < ON_SITE_A).mean())
            self.n += 1

    def finish(self) -> AnalysisOutput:
        if self.n == 0:
            raise CannotRun("no frame in the second half of the trajectory")
        return AnalysisOutput({"on_site_fraction": self.sum / self.n, "on_site_A": ON_SITE_A,
                               "frames_averaged": self.n,
                               "method": "original cations within on_site_A of their "
                                         "first-frame site (drift removed), second half"})
