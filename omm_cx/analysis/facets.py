"""Exchange per facet family: is one kind of facet ({100}, {110}, {111}) exchanged faster
than the others? (001: "different types of facets ({111}, {110}, {100}) have different
reaction speeds".)

Each cation in the NC's outer layer is assigned to the facet family of the crystal
direction its position (from the NC centre, minimum image) is closest to in angle,
among the 26 directions <100> (6), <110> (12) and <111> (8) of the NC's crystal, turned
into the lab frame by the crystal's rotation (build.json ``crystals[0].rotation``; the
NC is assumed not to rotate during the run). The outer layer: cations farther than
``nc_radius - shell_A`` from the centre (``nc_radius`` = the membership's sqrt(5/3) x rms
anion radius; default ``shell_A`` 6 Å, about one lattice constant), adsorbed ones
included. Per frame and family: ``n_cations_<f>``, ``n_in_going_<f>`` and
``rho_<f>`` = in-going / cations (NaN when empty).

:class:`FacetAnalysis` is the streaming ``facets`` analysis of the driver (facets.csv;
opt-in: ``--what facets``).
"""

from __future__ import annotations

from itertools import product
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from omm_cx.analysis.base import Analysis, AnalysisContext, AnalysisOutput, CannotRun
from omm_cx.analysis.groups import as_build_record
from omm_cx.analysis.trajectory import Frame
from omm_cx.errors import AnalysisError
from omm_cx.periodic import minimum_image

if TYPE_CHECKING:  # pragma: no cover
    from omm_cx.analysis.groups import AnalysisGroups
    from omm_cx.analysis.membership import FrameMembership
    from omm_cx.systems.record import BuildRecord

FAMILIES = ("100", "110", "111")
#: Default thickness of the outer layer whose cations are counted, Å.
SHELL_A = 6.0


def facet_directions(rotation: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(26, 3) unit vectors of <100>, <110>, <111> in the lab frame (``rotation`` maps
    crystal to lab vectors; None = identity) and (26,) their family index in
    :data:`FAMILIES`."""
    dirs, fam = [], []
    for v in product((-1, 0, 1), repeat=3):
        k = sum(abs(c) for c in v)
        if k:
            dirs.append(np.array(v, float) / np.sqrt(k))
            fam.append(k - 1)
    d = np.array(dirs)
    if rotation is not None:
        d = d @ np.asarray(rotation, float).T
    return d, np.array(fam)


def facet_family(vectors_A: np.ndarray, rotation: np.ndarray | None = None,
                 directions: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """(N,) index in :data:`FAMILIES` of the direction closest in angle to each vector;
    ``directions``: :func:`facet_directions` output, to reuse it across calls."""
    d, fam = directions if directions is not None else facet_directions(rotation)
    v = np.asarray(vectors_A, float)
    return fam[np.argmax(v @ d.T, axis=1)]


def rotation_from_build_info(info: "BuildRecord | Mapping[str, Any]") -> np.ndarray:
    """The NC crystal's rotation (crystal -> lab, (3, 3)) recorded in the build record
    (``record.crystals[0].rotation``; a dict is validated as a :class:`BuildRecord`)."""
    record = as_build_record(info)
    if not record.crystals:
        raise AnalysisError("build.json records no crystal: facets need the NC's orientation")
    c = record.crystals[0]
    if c.rotation is not None:
        return np.asarray(c.rotation, float)
    if tuple(c.axis) == (0, 0, 1) and c.x_axis in (None, [1, 0, 0]):
        return np.eye(3)
    raise AnalysisError("build.json has no crystal rotation (built by an older omm_cx); "
                        "rebuild the system to record it")


class FacetAccumulator:
    """Per-frame cation counts per facet family of the NC's outer layer (module docstring)."""

    def __init__(self, groups: "AnalysisGroups", rotation: np.ndarray | None, shell_A: float = SHELL_A):
        self._in_going = np.zeros(groups.n_atoms, dtype=bool)
        self._in_going[groups.in_going] = True
        self.rotation = rotation
        self._directions = facet_directions(rotation)
        self.shell_A = float(shell_A)
        self.rows: list[tuple] = []

    def add(self, time_ps: float, xyz_A: np.ndarray, box_A: np.ndarray | None,
            m: "FrameMembership") -> None:
        cats = np.asarray(m.nc_cations, dtype=int)
        d = minimum_image(xyz_A[cats] - m.centre_A, box_A)
        outer = np.linalg.norm(d, axis=1) > m.radius_A - self.shell_A
        fam = facet_family(d[outer], directions=self._directions)
        ing = self._in_going[cats[outer]]
        row = [float(time_ps)]
        for k in range(len(FAMILIES)):
            n_cat = int((fam == k).sum())
            n_in = int((ing & (fam == k)).sum())
            row += [n_cat, n_in, n_in / n_cat if n_cat else float("nan")]
        self.rows.append(tuple(row))

    def columns(self) -> tuple[str, ...]:
        return ("time_ps",) + tuple(f"{c}_{f}" for f in FAMILIES
                                    for c in ("n_cations", "n_in_going", "rho"))

    def result(self) -> dict[str, np.ndarray]:
        cols = self.columns()
        arr = list(zip(*self.rows)) if self.rows else [[] for _ in cols]
        return {name: np.asarray(col, dtype=int if name.startswith("n_") else float)
                for name, col in zip(cols, arr)}


class FacetAnalysis(Analysis):
    """facets.csv (per frame and facet family of the NC's outer layer: cations, in-going
    cations, rho), facets.png. Needs build.json (the NC crystal's orientation)."""

    name = "facets"
    needs_nc = True
    needs_membership = True

    def prepare(self, ctx: AnalysisContext) -> None:
        super().prepare(ctx)
        if ctx.build_info is None:
            raise CannotRun("needs build.json (the NC crystal's orientation)")
        try:
            rotation = rotation_from_build_info(ctx.build_info)
        except AnalysisError as exc:
            raise CannotRun(str(exc)) from None
        self.acc = FacetAccumulator(ctx.groups, rotation, ctx.options.facet_shell_A)

    def add(self, frame: Frame, membership: "FrameMembership | None") -> None:
        self.acc.add(frame.time_ps, frame.xyz_A, frame.box_A, membership)

    def finish(self) -> AnalysisOutput:
        tab = self.acc.result()
        s = {"shell_A": self.acc.shell_A,
             "rho_last": {f: float(tab[f"rho_{f}"][-1]) for f in FAMILIES},
             "n_cations_first": {f: int(tab[f"n_cations_{f}"][0]) for f in FAMILIES},
             "columns": "time_ps; per facet family f of the NC's outer layer: "
                        "n_cations_f, n_in_going_f, rho_f = n_in_going_f / n_cations_f"}
        return AnalysisOutput(s, tables={"facets.csv": tab},
                              figures={"facets.png": lambda: _figure(tab)})


def _figure(tab):
    from omm_cx.analysis.plots import plot_facets
    from omm_cx.io.figures import new_figure

    fig, (ax,) = new_figure()
    plot_facets(tab, ax=ax)
    return fig
