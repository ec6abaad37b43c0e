"""Which crystal phase every ion is in, over time: phase fractions per species, the phase
of each ion per frame, a radial phase profile from the particle's centre and the boundary
between the phases (004 Supplementary Fig. 7's wurtzite/zincblende/rocksalt domains,
001's rocksalt core in a zincblende shell).

Every ``every``-th frame (``phases_every``; by default frames spread evenly so that at
most ``phases_max_frames`` are classified, frame 0 always included) the cations and
anions (roles of the analysis groups) are classified by
:func:`omm_cx.analysis.structure_id.identify_phases` into :data:`PHASES` (other,
rocksalt, zincblende, wurtzite, surface). Counts are over the NC's members (membership of
:mod:`omm_cx.analysis.membership`; ions in solution are left out). Outputs of the
``phases`` analysis (opt-in: ``--what phases``):

- ``phases.csv``: one row per classified frame: ``time_ps``, ``frame``, and per species
  s (cations and anions, in order of appearance) ``n_<s>`` (its ions in the NC) and per
  phase p ``n_<s>_<p>`` and ``f_<s>_<p>`` = n_<s>_<p> / n_<s> (NaN without ions);
  ``phases.png`` the fractions over time, one panel per species;
- ``phases_per_ion.npz`` (:func:`write_phase_codes` / :func:`read_phase_codes`):
  ``codes`` (n_frames, n_atoms) uint8 (index into ``phases``; 255 = not classified:
  ligands), ``in_nc`` (n_frames, ceil(n_atoms / 8)) NC membership bits
  (``numpy.packbits``), ``time_ps``, ``frame``, ``species`` (n_atoms,) and ``phases``;
  compressed, ~1 byte per ion and frame before compression (the accumulator keeps only
  these rows);
- ``phase_profile.csv``: the first and the last classified frame, per spherical shell of
  ``phases_bin_A`` (default 2 Å) around the NC centre (the membership's centre, minimum
  image): ``frame``, ``time_ps``, ``r_lo_A``, ``r_hi_A`` and the same ``n_``/``f_``
  columns as phases.csv; ``phase_profile.png`` (the last frame);
- ``phase_boundary.csv``: per classified frame the boundary between the two main
  crystalline phases (:mod:`omm_cx.analysis.phase_boundary`): ``inner``, ``outer``,
  ``n_boundary``, the fractions of its ions' normals per facet family
  (``f_boundary_100`` ...), ``family``, the anion-layer ``spacing_A``, ``width_layers``
  and ``width_A``, and ``rotation_deg`` (the NC's rotation since the first classified
  frame); ``phase_boundary.json``: the definitions and the layer profiles of the first
  and the last frame.

The crystal's orientation for the facet families follows the particle
(:class:`omm_cx.analysis.orientation.OrientationTracker`, started from the build
record's crystal rotation or, without one, fitted to the anion sublattice); where
neither works (no fcc anion sublattice), the lab axes are used and the summary says so.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from omm_cx.analysis.base import Analysis, AnalysisContext, AnalysisOutput
from omm_cx.analysis.facets import FAMILIES, rotation_from_build_info
from omm_cx.analysis.orientation import OrientationTracker
from omm_cx.analysis.phase_boundary import PhaseBoundary, phase_boundary
from omm_cx.analysis.structure_id import NOT_CLASSIFIED, PHASES, identify_phases
from omm_cx.analysis.trajectory import Frame
from omm_cx.errors import AnalysisError
from omm_cx.io.atomic import atomic_path
from omm_cx.periodic import minimum_image

if TYPE_CHECKING:  # pragma: no cover
    from omm_cx.analysis.groups import AnalysisGroups
    from omm_cx.analysis.membership import FrameMembership

__all__ = ["PHASES_NPZ", "PhaseAnalysis", "PhaseCodes", "phase_columns", "radial_phase_profile",
           "read_phase_codes", "write_phase_codes"]

#: File name of the per-ion phase codes.
PHASES_NPZ = "phases_per_ion.npz"


@dataclass
class PhaseCodes:
    """Phase of every ion per classified frame. ``codes`` (n_frames, n_atoms) uint8
    (index into ``phases``; 255 not classified); ``in_nc`` (n_frames, n_atoms) bool;
    ``time_ps`` (n_frames,) ps; ``frame`` (n_frames,) trajectory frame index;
    ``species`` (n_atoms,) element names; ``phases`` the phase names."""

    codes: np.ndarray
    in_nc: np.ndarray
    time_ps: np.ndarray
    frame: np.ndarray
    species: np.ndarray
    phases: tuple[str, ...] = PHASES


def write_phase_codes(path: str | os.PathLike, pc: PhaseCodes) -> Path:
    """Write ``pc`` as a compressed .npz atomically (module docstring); returns the path."""
    codes = np.asarray(pc.codes, dtype=np.uint8)
    in_nc = np.asarray(pc.in_nc, dtype=bool).reshape(codes.shape)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, codes=codes, in_nc=np.packbits(in_nc, axis=1),
                                time_ps=np.asarray(pc.time_ps, float),
                                frame=np.asarray(pc.frame, np.int64),
                                species=np.asarray(pc.species, dtype=str),
                                phases=np.asarray(pc.phases, dtype=str),
                                not_classified=np.uint8(NOT_CLASSIFIED))
    return Path(path)


def read_phase_codes(path: str | os.PathLike) -> PhaseCodes:
    """Read a file of :func:`write_phase_codes`."""
    try:
        with np.load(path, allow_pickle=False) as z:
            codes = z["codes"]
            in_nc = np.unpackbits(z["in_nc"], axis=1, count=codes.shape[1]).astype(bool)
            return PhaseCodes(codes, in_nc, z["time_ps"], z["frame"], z["species"],
                              tuple(z["phases"].tolist()))
    except (OSError, KeyError, ValueError) as exc:
        raise AnalysisError(f"{path}: not a readable per-ion phase file ({exc}); rerun "
                            f"omm-cx analyze --what phases") from None


def phase_columns(codes: np.ndarray, species: np.ndarray, atoms: np.ndarray,
                  species_order: Sequence[str]) -> dict[str, float]:
    """``n_<s>``, ``n_<s>_<p>`` and ``f_<s>_<p>`` of the ions ``atoms`` (indices) by
    species s in ``species_order`` and phase p in :data:`PHASES`."""
    atoms = np.asarray(atoms, int)
    sp, c = species[atoms], codes[atoms]
    out: dict[str, float] = {}
    for s in species_order:
        cs = c[sp == s]
        n = len(cs)
        counts = np.bincount(cs[cs < len(PHASES)], minlength=len(PHASES))
        out[f"n_{s}"] = n
        for k, p in enumerate(PHASES):
            out[f"n_{s}_{p}"] = int(counts[k])
            out[f"f_{s}_{p}"] = counts[k] / n if n else float("nan")
    return out


def radial_phase_profile(xyz_A: np.ndarray, box_A: np.ndarray | None, codes: np.ndarray,
                         species: np.ndarray, atoms: np.ndarray, centre_A: np.ndarray,
                         bin_A: float, species_order: Sequence[str]) -> dict[str, list]:
    """Phase counts and fractions (:func:`phase_columns`) of ``atoms`` per spherical
    shell [r_lo_A, r_hi_A) of width ``bin_A`` (Å) around ``centre_A`` (minimum image),
    out to the farthest atom. Columns -> lists, one entry per shell."""
    atoms = np.asarray(atoms, int)
    r = np.linalg.norm(minimum_image(xyz_A[atoms] - centre_A, box_A), axis=1)
    n_bins = max(1, int(math.floor(r.max() / bin_A)) + 1) if len(r) else 1
    k = np.minimum((r / bin_A).astype(int), n_bins - 1)
    cols: dict[str, list] = {"r_lo_A": [], "r_hi_A": []}
    for b in range(n_bins):
        row = phase_columns(codes, species, atoms[k == b], species_order)
        cols["r_lo_A"].append(b * bin_A)
        cols["r_hi_A"].append((b + 1) * bin_A)
        for name, v in row.items():
            cols.setdefault(name, []).append(v)
    return cols


def _boundary_row(b: PhaseBoundary, time_ps: float, index: int, angle: float) -> dict:
    name = lambda c: PHASES[c] if c >= 0 else "none"  # noqa: E731
    row = {"time_ps": time_ps, "frame": index, "inner": name(b.inner), "outer": name(b.outer),
           "n_boundary": b.n_boundary}
    row.update({f"f_boundary_{f}": b.fractions[f] for f in FAMILIES})
    row.update({"family": b.family or "none", "spacing_A": b.spacing_A,
                "width_layers": b.width, "width_A": b.width_A, "rotation_deg": angle})
    return row


def _boundary_json(b: PhaseBoundary, row: dict) -> dict:
    return {**row, "a_A": b.a_A, "cutoff_A": b.cutoff_A, "fractions": b.fractions,
            "layers": b.layer_table()}


@dataclass(frozen=True)
class PhaseOptions:
    """Classify every nth frame (None: ``max_frames`` frames spread evenly), the shell
    width of phase_profile.csv (Å), anion layers on each side of the phase boundary."""

    every: int | None = None
    max_frames: int = 500
    bin_A: float = 2.0
    layers: int = 4


class PhaseAnalysis(Analysis):
    """phases.csv, phases.png, phases_per_ion.npz, phase_profile.csv/.png,
    phase_boundary.csv/.json (module docstring)."""

    name = "phases"
    needs_nc = True
    needs_membership = True
    Options = PhaseOptions
    flat_options = {"phases_every": "every", "phases_max_frames": "max_frames",
                    "phases_bin_A": "bin_A", "phases_layers": "layers"}

    def prepare(self, ctx: AnalysisContext) -> None:
        super().prepare(ctx)
        opt, g = self.options, ctx.groups
        if opt.every is not None and opt.every < 1:
            raise AnalysisError(f"phases every {opt.every}: give a whole number >= 1")
        self.every = opt.every or max(1, math.ceil(ctx.n_frames / max(opt.max_frames, 1)))
        self.ions = np.sort(np.concatenate([g.cations, g.anions]))
        self.cation_species = frozenset(s for s, r in g.role_of.items() if r == "cation")
        self.anion_species = frozenset(s for s, r in g.role_of.items() if r == "anion")
        self.species_order = [s for s in g.species_list if s in self.cation_species | self.anion_species]
        self.rows: list[dict] = []
        self.boundary_rows: list[dict] = []
        self.codes: list[np.ndarray] = []
        self.in_nc: list[np.ndarray] = []
        self.first: tuple | None = None
        self.last: tuple | None = None
        self.tracker: OrientationTracker | None = None
        self.rotation_source = "lab axes"

    def _rotation(self, frame: Frame, m: "FrameMembership") -> tuple[np.ndarray | None, float]:
        """Crystal -> lab rotation now and the angle since the first classified frame."""
        if self.tracker is None and not self.codes:  # the first classified frame
            given = None
            if self.ctx.build_info is not None:
                try:
                    given = rotation_from_build_info(self.ctx.build_info)
                except AnalysisError:
                    given = None
            try:
                self.tracker = OrientationTracker(frame.xyz_A, m.nc_anions, frame.box_A, given)
                self.rotation_source = self.tracker.source
            except AnalysisError as exc:
                self.rotation_source = f"lab axes ({exc})"
        if self.tracker is None:
            return None, float("nan")
        try:
            rot = self.tracker.update(frame.xyz_A, frame.box_A, m.nc_anions)
        except AnalysisError:
            return None, float("nan")
        return rot, float(self.tracker.angle_deg)

    def add(self, frame: Frame, membership: "FrameMembership | None") -> None:
        if frame.index % self.every:
            return
        m, g = membership, self.ctx.groups
        codes = identify_phases(frame.xyz_A, g.species, frame.box_A, atoms=self.ions,
                                cations=self.cation_species, anions=self.anion_species)
        codes = np.asarray(codes, dtype=np.uint8)
        members = np.sort(np.concatenate([m.nc_cations, m.nc_anions])).astype(int)
        rotation, angle = self._rotation(frame, m)
        row = {"time_ps": frame.time_ps, "frame": frame.index}
        row.update(phase_columns(codes, g.species, members, self.species_order))
        self.rows.append(row)
        b = phase_boundary(frame.xyz_A, frame.box_A, codes, members, np.asarray(m.nc_anions, int),
                           m.centre_A, rotation, self.options.layers)
        brow = _boundary_row(b, frame.time_ps, frame.index, angle)
        self.boundary_rows.append(brow)
        in_nc = np.zeros(g.n_atoms, bool)
        in_nc[members] = True
        self.codes.append(codes)
        self.in_nc.append(in_nc)
        profile = radial_phase_profile(frame.xyz_A, frame.box_A, codes, g.species, members,
                                       m.centre_A, self.options.bin_A, self.species_order)
        state = (frame.index, frame.time_ps, profile, _boundary_json(b, brow))
        if self.first is None:
            self.first = state
        self.last = state

    def per_ion(self) -> PhaseCodes:
        """The per-ion codes collected so far."""
        g = self.ctx.groups
        n = g.n_atoms
        return PhaseCodes(np.array(self.codes, dtype=np.uint8).reshape(-1, n),
                          np.array(self.in_nc, dtype=bool).reshape(-1, n),
                          np.array([r["time_ps"] for r in self.rows], float),
                          np.array([r["frame"] for r in self.rows], np.int64),
                          np.asarray(g.species, dtype=str))

    def _profile_table(self) -> dict[str, list]:
        states = [self.first] if self.first[0] == self.last[0] else [self.first, self.last]
        table: dict[str, list] = {"frame": [], "time_ps": []}
        for index, t, prof, _ in states:
            n = len(prof["r_lo_A"])
            table["frame"] += [index] * n
            table["time_ps"] += [t] * n
            for k, v in prof.items():
                table.setdefault(k, []).extend(v)
        return table

    def finish(self) -> AnalysisOutput:
        if not self.rows:
            raise AnalysisError("phases: no frame was classified (empty trajectory?)")
        tab = {k: [r[k] for r in self.rows] for k in self.rows[0]}
        btab = {k: [r[k] for r in self.boundary_rows] for k in self.boundary_rows[0]}
        prof = self._profile_table()
        last = self.rows[-1]
        fractions = lambda row: {s: {p: row[f"f_{s}_{p}"] for p in PHASES}  # noqa: E731
                                 for s in self.species_order}
        s = {"every_nth_frame": self.every, "frames_classified": len(self.rows),
             "species": self.species_order, "phases": list(PHASES),
             "fractions_first": fractions(self.rows[0]), "fractions_last": fractions(last),
             "boundary_first": self.first[3], "boundary_last": self.last[3],
             "rotation_source": self.rotation_source,
             "columns": "phases.csv: time_ps, frame, n_<s> (ions of species s in the NC), "
                        "n_<s>_<p>, f_<s>_<p> = n_<s>_<p> / n_<s> per phase p; "
                        "phases_per_ion.npz: codes (frames x atoms, uint8 index into phases, "
                        "255 = not classified), in_nc (packbits), time_ps, frame, species"}
        for k in ("boundary_first", "boundary_last"):
            s[k] = {key: v for key, v in s[k].items() if key != "layers"}
        bjson = {"definitions": _BOUNDARY_TEXT, "rotation_source": self.rotation_source,
                 "first": self.first[3], "last": self.last[3]}
        codes = self.per_ion()
        return AnalysisOutput(s, tables={"phases.csv": tab, "phase_profile.csv": prof,
                                        "phase_boundary.csv": btab},
                             json={"phase_boundary.json": bjson},
                             figures={"phases.png": lambda: _figure("fractions", tab, self.species_order),
                                      "phase_profile.png": lambda: _figure(
                                          "profile", self.last[2], self.species_order)},
                             files={PHASES_NPZ: lambda path: write_phase_codes(path, codes)})


_BOUNDARY_TEXT = ("boundary between the two crystalline phases with most NC ions (inner: "
                  "closer to the NC centre); boundary ions: ions of either phase with a "
                  "neighbour of the other within cutoff_A (1.2 x the nearest anion-anion "
                  "distance); family: most common facet family of the boundary ions' local "
                  "normals (own-phase -> other-phase neighbour centroids, inner -> outer) in "
                  "the crystal frame; layers: anion planes parallel to the boundary, k = "
                  "round(signed distance to the last inner anion layer / spacing_A); width "
                  "(layers) = k10 - k90 of the inner-phase fraction of the anions per layer "
                  "(1 = sharp); see omm_cx.analysis.phase_boundary")


def _figure(kind: str, table, species):
    from omm_cx.analysis.plots import phases as phase_plots
    from omm_cx.io.figures import new_figure

    fig, axes = new_figure(ncols=len(species), figsize=(3.2 * len(species), 3.2))
    for ax, s in zip(axes, species):
        if kind == "fractions":
            phase_plots.plot_phase_fractions(table, s, ax=ax)
        else:
            phase_plots.plot_phase_profile(table, s, ax=ax)
    fig.tight_layout()
    return fig
