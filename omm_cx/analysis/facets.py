"""Exchange per facet family: is one kind of facet ({100}, {110}, {111}) exchanged faster
than the others? (001: "different types of facets ({111}, {110}, {100}) have different
reaction speeds".)

Each cation in the NC's outer layer is assigned to the facet family of the crystal
direction its position (from the NC centre, minimum image) is closest to in angle,
among the 26 directions <100> (6), <110> (12) and <111> (8) of the NC's crystal, turned
into the lab frame by the crystal's rotation *in that frame*: a free NC rotates by
radians in nanoseconds, so the directions follow the particle
(:class:`~omm_cx.analysis.orientation.OrientationTracker`: rigid fit of the anions that
stay in the NC onto their frame-0 positions). The frame-0 orientation is the build
record's (build.json ``crystals[0].rotation``), or, without one (no build.json, a
trajectory from LAMMPS or elsewhere, an old build), fitted from the frame-0 anion
sublattice (:func:`~omm_cx.analysis.orientation.fit_cubic_orientation`; rocksalt and
zincblende, defined up to the cubic symmetry, which leaves the families unchanged).
With a build record, the summary also gives the angle between its orientation and the
frame-0 fit (``build_vs_first_frame_fit_deg``): the NC turns before frame 0 (3.2 degrees
between the build and the first saved frame of the 4 ps, 700 K demo run in
tests/integration/test_end_to_end.py; the fit matched that Kabsch rotation within 0.6 degree).
The outer layer: cations farther than ``nc_radius - shell_A`` from the centre
(``nc_radius`` = the membership's sqrt(5/3) x rms anion radius; default ``shell_A`` 6 Å,
about one lattice constant), adsorbed ones included. Per frame: ``rotation_deg`` (the
NC's rotation angle since frame 0, degrees; NaN when not tracked) and per family
``n_cations_<f>``, ``n_in_going_<f>`` and ``rho_<f>`` = in-going / cations (NaN when
empty).

:class:`FacetAnalysis` is the streaming ``facets`` analysis of the driver (facets.csv;
opt-in: ``--what facets``).
"""

from __future__ import annotations

from itertools import product
from typing import TYPE_CHECKING, Any, Mapping

from dataclasses import dataclass

import numpy as np

from omm_cx.analysis.base import Analysis, AnalysisContext, AnalysisOutput, CannotRun
from omm_cx.analysis.groups import as_build_record
from omm_cx.analysis.membership import frame_membership
from omm_cx.analysis.orientation import OrientationTracker, cubic_fit, cubic_misorientation_deg
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
    """Per-frame cation counts per facet family of the NC's outer layer (module docstring).

    ``rotation``: crystal -> lab (3, 3), fixed (None: identity), used when ``tracker``
    is None; ``tracker``: an :class:`OrientationTracker` updated with every frame (the
    directions follow the particle and ``rotation_deg`` is recorded)."""

    def __init__(self, groups: "AnalysisGroups", rotation: np.ndarray | None, shell_A: float = SHELL_A,
                 tracker: OrientationTracker | None = None):
        self._in_going = np.zeros(groups.n_atoms, dtype=bool)
        self._in_going[groups.in_going] = True
        self.rotation = rotation if tracker is None else tracker.rotation
        self.tracker = tracker
        self._directions = facet_directions(self.rotation)
        self.shell_A = float(shell_A)
        self.rows: list[tuple] = []

    def add(self, time_ps: float, xyz_A: np.ndarray, box_A: np.ndarray | None,
            m: "FrameMembership") -> None:
        angle = float("nan")
        if self.tracker is not None:
            self.rotation = self.tracker.update(xyz_A, box_A, m.nc_anions)
            self._directions = facet_directions(self.rotation)
            angle = self.tracker.angle_deg
        cats = np.asarray(m.nc_cations, dtype=int)
        d = minimum_image(xyz_A[cats] - m.centre_A, box_A)
        outer = np.linalg.norm(d, axis=1) > m.radius_A - self.shell_A
        fam = facet_family(d[outer], directions=self._directions)
        ing = self._in_going[cats[outer]]
        row = [float(time_ps), angle]
        for k in range(len(FAMILIES)):
            n_cat = int((fam == k).sum())
            n_in = int((ing & (fam == k)).sum())
            row += [n_cat, n_in, n_in / n_cat if n_cat else float("nan")]
        self.rows.append(tuple(row))

    def columns(self) -> tuple[str, ...]:
        return ("time_ps", "rotation_deg") + tuple(f"{c}_{f}" for f in FAMILIES
                                                   for c in ("n_cations", "n_in_going", "rho"))

    def result(self) -> dict[str, np.ndarray]:
        cols = self.columns()
        arr = list(zip(*self.rows)) if self.rows else [[] for _ in cols]
        return {name: np.asarray(col, dtype=int if name.startswith("n_") else float)
                for name, col in zip(cols, arr)}


def initial_orientation(build_info: "BuildRecord | Mapping[str, Any] | None"
                        ) -> tuple[np.ndarray | None, str]:
    """The frame-0 crystal -> lab rotation from the build record and where it came from;
    (None, reason) when it must be fitted from the anion sublattice."""
    fitted = "fitted from the first frame's anion sublattice"
    if build_info is None:
        return None, f"{fitted} (no build.json)"
    try:
        return rotation_from_build_info(build_info), "build.json crystals[0].rotation"
    except AnalysisError as exc:
        return None, f"{fitted} ({exc})"


@dataclass(frozen=True)
class FacetOptions:
    """Width of the NC's outer layer whose cations are counted per facet family (Å)."""

    shell_A: float = 6.0


class FacetAnalysis(Analysis):
    """facets.csv (per frame: the NC's rotation angle since frame 0; per facet family of
    the NC's outer layer, in the rotating crystal frame: cations, in-going cations, rho),
    facets.png. The frame-0 orientation comes from build.json or is fitted."""

    name = "facets"
    needs_nc = True
    Options = FacetOptions
    flat_options = {"facet_shell_A": "shell_A"}
    needs_membership = True

    def prepare(self, ctx: AnalysisContext) -> None:
        super().prepare(ctx)
        rotation, self.source = initial_orientation(ctx.build_info)
        first, g = ctx.first, ctx.groups
        m0 = frame_membership(first.xyz_A, first.box_A, g.cations, g.anions, ctx.criterion)
        try:
            tracker = OrientationTracker(first.xyz_A, m0.nc_anions, first.box_A, rotation)
        except AnalysisError as exc:
            raise CannotRun(f"no crystal orientation: {self.source}: {exc}") from None
        self.build_vs_fit_deg = None if rotation is None else _build_vs_fit_deg(
            rotation, first.xyz_A[m0.nc_anions], first.box_A)
        self.acc = FacetAccumulator(g, None, self.options.shell_A, tracker=tracker)

    def add(self, frame: Frame, membership: "FrameMembership | None") -> None:
        self.acc.add(frame.time_ps, frame.xyz_A, frame.box_A, membership)

    def finish(self) -> AnalysisOutput:
        tab = self.acc.result()
        tr = self.acc.tracker
        orient = {"source": self.source,
                  "initial_rotation": np.round(tr.initial_rotation, 6).tolist(),
                  "rotation_deg_last": float(tab["rotation_deg"][-1]),
                  "rotation_deg_max": float(np.max(tab["rotation_deg"]))}
        if self.build_vs_fit_deg is not None:
            orient["build_vs_first_frame_fit_deg"] = round(self.build_vs_fit_deg, 3)
        if tr.fit is not None:
            orient.update(fit_rms_deg=round(tr.fit.rms_deg, 3),
                          fit_misfit_fraction=round(tr.fit.misfit_fraction, 4))
        s = {"shell_A": self.acc.shell_A, "orientation": orient,
             "rho_last": {f: float(tab[f"rho_{f}"][-1]) for f in FAMILIES},
             "n_cations_first": {f: int(tab[f"n_cations_{f}"][0]) for f in FAMILIES},
             "columns": "time_ps; rotation_deg: the NC's rotation since frame 0 (rigid fit of "
                        "its anions); per facet family f of the NC's outer layer, in the "
                        "rotating crystal frame: n_cations_f, n_in_going_f, "
                        "rho_f = n_in_going_f / n_cations_f"}
        return AnalysisOutput(s, tables={"facets.csv": tab},
                              figures={"facets.png": lambda: _figure(tab)})


def _build_vs_fit_deg(rotation: np.ndarray, anion_xyz_A: np.ndarray,
                      box_A: np.ndarray | None) -> float | None:
    """Angle (degrees, modulo the cube) between the build record's orientation and the
    one fitted to the frame-0 anions (a diagnostic: the NC turns during minimisation and
    equilibration before frame 0); None when the anions are not fcc."""
    try:
        fit = cubic_fit(anion_xyz_A, box_A)
    except AnalysisError:
        return None
    return cubic_misorientation_deg(rotation, fit.rotation) if fit.is_fcc else None


def _figure(tab):
    from omm_cx.analysis.plots import plot_facets
    from omm_cx.io.figures import new_figure

    fig, (ax,) = new_figure()
    plot_facets(tab, ax=ax)
    return fig
