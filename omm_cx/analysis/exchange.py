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
- ``nc_radius_A`` and the NC centre (Å);
- exchange as opposed to adsorption (:mod:`omm_cx.analysis.interior`):
  ``n_cations_interior``, the NC cations on *interior* sites (inside the convex hull of
  their NC anions within 4.1 Å, >= 0.44 Å from its faces: below the outermost anion
  layer), ``n_in_going_interior``, the in-going ones among them, and ``rho_interior`` =
  n_in_going_interior / n_cations_interior (NaN without interior cations). rho counts
  in-going cations adsorbed on the surface as well (004's rho_Pb ~ 0.1 without exchange, Supplementary Fig. 3a);
  rho_interior does not, so it rises only when in-going cations enter the lattice;
- ``n_original_in_solution``: original NC cations no longer in the NC (the out-going
  ones, in solution);
- for a periodic wire (003): ``n_in_going_per_nm`` (uptake per nm of wire, Fig. 5) and
  ``n_in_going_core``, the in-going ions inside the "core region", a cylinder coaxial
  with the wire of radius :data:`CORE_RADIUS_A` (003: 1.7 nm; "we counted the number of
  Cu atoms entering it"), axis along z through the NC centre of the frame.

:func:`compute_exchange` works on an in-memory trajectory; :class:`ExchangeAnalysis` is
the streaming ``exchange`` analysis of the driver (exchange.csv, its figures).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from omm_cx.analysis.base import Analysis, AnalysisContext, AnalysisOutput
from omm_cx.analysis.interior import interior_cations, interior_rule_text
from omm_cx.analysis.membership import FrameMembership, MembershipCriterion, iter_membership
from omm_cx.analysis.trajectory import Frame, frames_of
from omm_cx.periodic import minimum_image

if TYPE_CHECKING:  # pragma: no cover
    import mdtraj as md

    from omm_cx.analysis.groups import AnalysisGroups

#: Radius of 003's core region of a wire (Å).
CORE_RADIUS_A = 17.0

#: Columns of exchange.csv, in order (the first five are the published quantities; the
#: last four, exchange vs adsorption, were appended so that older readers keep working).
EXCHANGE_COLUMNS = ("time_ps", "n_in_going", "n_original", "n_anions", "rho", "n_cations",
                    "n_anions_lost", "nc_radius_A", "centre_x_A", "centre_y_A", "centre_z_A",
                    "n_in_going_interior", "n_cations_interior", "rho_interior",
                    "n_original_in_solution")


class ExchangeAccumulator:
    """Collects one row of exchange counts per frame (see the module docstring)."""

    def __init__(self, groups: "AnalysisGroups"):
        n = groups.n_atoms
        self._in_going = np.zeros(n, dtype=bool)
        self._in_going[groups.in_going] = True
        self._original = np.zeros(n, dtype=bool)
        self._original[groups.original] = True
        self._orig_anions = groups.original_anions
        self._n_original = len(groups.original)
        self.rows: list[tuple] = []

    def add(self, frame: Frame, m: FrameMembership) -> None:
        """One row for ``frame`` (positions in Å) with its membership ``m``."""
        cats = m.nc_cations
        n_cat = len(cats)
        n_in = int(self._in_going[cats].sum())
        n_orig = int(self._original[cats].sum())
        lost = int(len(self._orig_anions) - np.isin(self._orig_anions, m.nc_anions).sum())
        rho = n_in / n_cat if n_cat else float("nan")
        inner = interior_cations(frame.xyz_A, frame.box_A, cats, m.nc_anions)
        n_in_inner = int(self._in_going[inner].sum())
        rho_inner = n_in_inner / len(inner) if len(inner) else float("nan")
        self.rows.append((float(frame.time_ps), n_in, n_orig, len(m.nc_anions), rho, n_cat,
                          lost, m.radius_A, *map(float, m.centre_A), n_in_inner, len(inner),
                          rho_inner, self._n_original - n_orig))

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
    acc = ExchangeAccumulator(groups)
    for frame, m in iter_membership(frames_of(traj, dt_ps), groups, criterion):
        acc.add(frame, m)
    return acc.result()


_COLUMNS_TEXT = ("time_ps, n_in_going (in-going cations in the NC), n_original (original NC "
                 "cations still in the NC), n_anions (anions in the NC), rho = n_in_going / "
                 "n_cations, n_cations (all cations in the NC), n_anions_lost (original NC "
                 "anions no longer in the NC), nc_radius_A, centre_*_A, n_in_going_interior "
                 "(in-going cations on interior sites, below the outermost anion layer), "
                 "n_cations_interior (all cations on interior sites), rho_interior = "
                 "n_in_going_interior / n_cations_interior (exchange without surface "
                 "adsorption), n_original_in_solution (original NC cations no longer in "
                 "the NC)")


class ExchangeAnalysis(Analysis):
    """exchange.csv (one row per frame, :data:`EXCHANGE_COLUMNS`; for a periodic wire
    also ``n_in_going_per_nm``), exchange.png (rho and rho_interior), counts.png,
    anions.png."""

    name = "exchange"
    needs_nc = True
    needs_membership = True
    summary_keys = {"rho_first": "rho of the first frame (in-going / all cations bonded to "
                                 "the NC, adsorbed included)", "rho_last": "rho of the last frame",
                    "rho_interior_last": "in-going / all cations on interior cation sites, "
                                         "last frame", "n_anions_first": "anions in the NC, "
                    "first frame", "n_anions_last": "anions in the NC, last frame"}

    @classmethod
    def report_line(cls, entry) -> str:
        return (f"rho {entry['rho_first']:.3f} -> {entry['rho_last']:.3f}, anions in NC "
                f"{entry['n_anions_first']} -> {entry['n_anions_last']}")

    def prepare(self, ctx: AnalysisContext) -> None:
        super().prepare(ctx)
        self.acc = ExchangeAccumulator(ctx.groups)
        record = ctx.build_info
        self.wire = record is not None and record.wire_period_A is not None
        self.core: list[int] = []

    def add(self, frame: Frame, membership: FrameMembership | None) -> None:
        self.acc.add(frame, membership)
        if self.wire:  # in-going ions within CORE_RADIUS_A of the wire's axis (xy distance)
            ing = self.ctx.groups.in_going
            d = minimum_image(frame.xyz_A[ing] - membership.centre_A, frame.box_A)
            self.core.append(int(np.sum(np.hypot(d[:, 0], d[:, 1]) < CORE_RADIUS_A)))

    def finish(self) -> AnalysisOutput:
        groups = self.ctx.groups
        tab = self.acc.result()
        record = self.ctx.build_info
        period = record.wire_period_A if record is not None else None
        if period:  # a periodic wire (003): uptake per unit length, as in 003 Fig. 5
            tab["n_in_going_per_nm"] = np.asarray(tab["n_in_going"]) / (float(period) / 10)
            tab["n_in_going_core"] = np.asarray(self.core, dtype=int)
        s = {"in_going_species": list(groups.in_going_species),
             "leaving_species": groups.leaving_species,
             "rho_first": float(tab["rho"][0]), "rho_last": float(tab["rho"][-1]),
             "n_in_going_last": int(tab["n_in_going"][-1]),
             "n_original_last": int(tab["n_original"][-1]),
             "n_anions_first": int(tab["n_anions"][0]), "n_anions_last": int(tab["n_anions"][-1]),
             "n_anions_lost_last": int(tab["n_anions_lost"][-1]),
             "rho_interior_first": float(tab["rho_interior"][0]),
             "rho_interior_last": float(tab["rho_interior"][-1]),
             "n_in_going_interior_last": int(tab["n_in_going_interior"][-1]),
             "n_original_in_solution_last": int(tab["n_original_in_solution"][-1]),
             "interior_rule": "rho_interior = in-going / all cations on interior sites; "
                              + interior_rule_text(), "columns": _COLUMNS_TEXT}
        if period:
            s["wire_period_A"] = float(period)
            s["n_in_going_per_nm_last"] = float(tab["n_in_going_per_nm"][-1])
            s["n_in_going_core_last"] = int(tab["n_in_going_core"][-1])
            s["core_radius_A"] = CORE_RADIUS_A
            s["columns"] += (", n_in_going_per_nm (in-going cations in the wire per "
                             "nm of wire, the build's period), n_in_going_core (in-going "
                             f"ions within {CORE_RADIUS_A:g} Å of the wire axis: 003's core "
                             "region)")
        names = (",".join(groups.in_going_species) or "-", groups.leaving_species or "-")
        return AnalysisOutput(s, tables={"exchange.csv": tab}, figures={
            "exchange.png": lambda: _figure("plot_exchange_interior", tab, species=names[0]),
            "anions.png": lambda: _figure("plot_anions", tab),
            "counts.png": lambda: _figure("plot_counts", tab, names=names)})


def _figure(plot: str, tab, **kw):
    from omm_cx.analysis import plots
    from omm_cx.io.figures import new_figure

    fig, (ax,) = new_figure()
    getattr(plots, plot)(tab, ax=ax, **kw)
    return fig
