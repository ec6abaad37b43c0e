"""Exchange counts and the exchange ratio over time (004 main text, Supplementary
Figs. 3 and 5).

Per frame, with NC membership from :mod:`omm_cx.analysis.membership`:

- ``n_in_going``: in-going cations (build.json ``solution_cations``: Cd for Pb -> Cd,
  Pb for the reverse) in the NC;
- ``n_original``: original NC cations (build.json ``nc_cations``) still in the NC;
- ``n_anions``: anions in the NC;
- ``rho`` = n_in_going / n_cations, with ``n_cations`` all cations in the NC (rho_Cd for
  Pb -> Cd, rho_Pb for Cd -> Pb; NaN when the NC has no cations);
- ``n_anions_lost``: original NC anions no longer in the NC (dissolved, Supplementary
  Fig. 5);
- ``nc_radius_A`` and the NC centre (Å).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from omm_cx.analysis.membership import FrameMembership, MembershipCriterion, iter_membership

if TYPE_CHECKING:  # pragma: no cover
    import mdtraj as md

    from omm_cx.analysis.io import AnalysisGroups

#: Columns of exchange.csv, in order (the first five are the published quantities).
EXCHANGE_COLUMNS = ("time_ps", "n_in_going", "n_original", "n_anions", "rho", "n_cations",
                    "n_anions_lost", "nc_radius_A", "centre_x_A", "centre_y_A", "centre_z_A")


class ExchangeAccumulator:
    """Collects one row of exchange counts per frame (see the module docstring)."""

    def __init__(self, groups: "AnalysisGroups"):
        n = groups.n_atoms
        self._in_going = np.zeros(n, dtype=bool)
        self._in_going[groups.in_going] = True
        self._original = np.zeros(n, dtype=bool)
        self._original[groups.original] = True
        self._orig_anions = groups.original_anions
        self.rows: list[tuple] = []

    def add(self, time_ps: float, m: FrameMembership) -> None:
        cats = m.nc_cations
        n_cat = len(cats)
        n_in = int(self._in_going[cats].sum())
        n_orig = int(self._original[cats].sum())
        lost = int(len(self._orig_anions) - np.isin(self._orig_anions, m.nc_anions).sum())
        rho = n_in / n_cat if n_cat else float("nan")
        self.rows.append((float(time_ps), n_in, n_orig, len(m.nc_anions), rho, n_cat, lost,
                          m.radius_A, *map(float, m.centre_A)))

    def result(self) -> dict[str, np.ndarray]:
        """Columns :data:`EXCHANGE_COLUMNS` -> arrays (n_frames,)."""
        arr = list(zip(*self.rows)) if self.rows else [[] for _ in EXCHANGE_COLUMNS]
        out = {}
        for name, col in zip(EXCHANGE_COLUMNS, arr):
            dtype = int if name.startswith("n_") else float
            out[name] = np.asarray(col, dtype=dtype)
        return out


def compute_exchange(traj: "md.Trajectory", groups: "AnalysisGroups",
                     criterion: MembershipCriterion | None = None,
                     dt_ps: float | None = None) -> dict[str, np.ndarray]:
    """Exchange counts per frame of an in-memory mdtraj trajectory.

    Returns a dict of arrays (n_frames,) keyed by :data:`EXCHANGE_COLUMNS`: ``time_ps``
    (ps; ``traj.time`` or index * ``dt_ps``), counts (ints), ``rho`` (dimensionless),
    ``nc_radius_A`` and ``centre_*_A`` (Å).
    """
    from omm_cx.analysis.io import frames_of

    first = next(frames_of(traj[:1], dt_ps))
    criterion = (criterion or MembershipCriterion()).resolved(first.xyz_A, first.box_A, groups.anions)
    acc = ExchangeAccumulator(groups)
    for frame, m in iter_membership(frames_of(traj, dt_ps), groups, criterion):
        acc.add(frame.time_ps, m)
    return acc.result()
