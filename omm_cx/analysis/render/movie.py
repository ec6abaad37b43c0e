"""Cross-section pictures of structures and runs: a build folder, a run folder or a PDB
file read into frames; one frame or several side by side as a PNG; a movie (GIF or
MP4) of the slab over a run with a time label.

The slab follows the particle: for a crystal direction, the crystal's rotation at frame 0
comes from build.json (``crystals[0].rotation``) or, without one, is fitted from the
anion sublattice (:func:`omm_cx.analysis.orientation.fit_cubic_orientation`, rocksalt or
zincblende), and later frames turn it with the NC's rigid rotation since frame 0
(:class:`~omm_cx.analysis.orientation.OrientationTracker`, from the anions still in the
NC). The slab centre is the NC centre of each frame (cluster centre of the NC's anions).

Movies use matplotlib's animation writers frame by frame (``writer.saving`` +
``grab_frame``): :class:`~matplotlib.animation.PillowWriter` for GIF (no extra
dependency) and :class:`~matplotlib.animation.FFMpegWriter` for MP4, with the ffmpeg of
imageio-ffmpeg (``pip install omm_cx[movie]``) or one on the PATH.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from omm_cx.analysis.render.slab import THICKNESS_A, parse_direction, render_slab
from omm_cx.analysis.trajectory import Frame
from omm_cx.errors import AnalysisError
from omm_cx.periodic import cluster_centre, minimum_image

#: Default resolution of PNG pictures (dots per inch): publication quality.
PNG_DPI = 300
#: Margin (Å) around the NC in the default view.
MARGIN_A = 8.0
_MOVIE_FIX = "pip install 'omm_cx[movie]' (imageio-ffmpeg) for MP4, or write a .gif"


@dataclass
class RenderInput:
    """A structure or run to draw: ``species`` (N,), ``n_frames``, ``frames()`` (Å),
    ``rotation0`` (crystal -> lab at frame 0 from build.json, or None), ``anions``: the
    NC's anions (indices; the slab centre and orientation follow them), ``label``."""

    path: Path
    species: list[str]
    n_frames: int
    anions: np.ndarray
    rotation0: np.ndarray | None
    label: str
    _frames: Any = field(repr=False, default=None)

    def frames(self) -> Iterator[Frame]:
        """The frames in order (a structure: one frame at time 0)."""
        return self._frames()


def _structure_input(path: Path, pdb: Path, build: Path | None) -> RenderInput:
    from omm_cx.io.pdb import read_pdb

    record = None
    if build is not None:
        from omm_cx.systems.builddir import read_build_dir

        bd = read_build_dir(path)
        s, record = bd.structure, bd.record
    else:
        names = {ln[12:16].strip() for ln in pdb.read_text(encoding="utf-8").splitlines()
                 if ln.startswith(("ATOM", "HETATM"))}
        s = read_pdb(pdb, sorted(names))
    frame = Frame(0, 0.0, s.positions_A, s.box_A)
    return _finish(path, list(s.species), 1, record, lambda: iter([frame]))


def _finish(path: Path, species: list[str], n_frames: int, record, frames) -> RenderInput:
    from omm_cx.analysis.facets import rotation_from_build_info

    rot, anions = None, None
    if record is not None:
        anions = record.groups.get("nc_anions")
        if record.crystals:
            try:
                rot = rotation_from_build_info(record)
            except AnalysisError:
                rot = None
    if not anions:
        from omm_cx.analysis.structure_id import ANIONS

        anions = [i for i, s in enumerate(species) if s in ANIONS]
    return RenderInput(path, species, n_frames, np.asarray(anions, int), rot, str(path), frames)


def open_render_input(path: str | os.PathLike, top: str | os.PathLike | None = None,
                      dt_ps: float | None = None) -> RenderInput:
    """A build folder (structure.pdb, build.json), a run folder (start.pdb or build/,
    traj.dcd/xtc), a PDB file, or a trajectory file with ``top``."""
    from omm_cx.analysis.trajectory import find_trajectory, open_trajectory, run_dir_files
    from omm_cx.simulation.rundir import RunFolder
    from omm_cx.systems.builddir import BuildFolder
    from omm_cx.systems.record import read_build_record

    path = Path(path)
    if path.is_file() and top is None:
        return _structure_input(path, path, None)
    if not path.exists():
        raise AnalysisError(f"{path}: not found; give a build folder, a run folder or a PDB file")
    build = None
    if top is None:
        top, build = run_dir_files(path)
        if top == BuildFolder(path).structure_pdb and RunFolder(path).trajectory() is None:
            return _structure_input(path, top, build)
        traj = find_trajectory(path)
    else:
        traj = path
    src = open_trajectory(traj, top, dt_ps=dt_ps)
    species = [a.name.strip() for a in src.topology.atoms]
    record = read_build_record(build) if build is not None else None
    return _finish(path, species, src.n_frames, record, lambda: src.frames(chunk=100))


def parse_frames(spec: str | Sequence[int], n_frames: int) -> list[int]:
    """Frame indices from "first", "last", "first,last", "0,-1" or a list (negative from
    the end), each checked against ``n_frames``."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    out = []
    for it in items:
        s = str(it).strip().lower()
        try:
            k = {"first": 0, "last": -1}[s] if s in ("first", "last") else int(s)
        except ValueError:
            raise AnalysisError(f"frame {it!r}: give 'first', 'last' or an index") from None
        if not -n_frames <= k < n_frames:
            raise AnalysisError(f"frame {k}: the input has {n_frames} frame(s) (0 to "
                                f"{n_frames - 1})")
        out.append(k % n_frames)
    return out


class _Follower:
    """Slab centre and crystal rotation of each frame (module docstring). The NC's anions
    now: those within the frame-0 NC radius (98th percentile) + 3 Å of the centre of all
    NC anions; the centre is then their cluster centre (dissolved anions do not pull it)."""

    def __init__(self, inp: RenderInput, first: Frame, crystal: bool):
        self.anions = inp.anions if len(inp.anions) else np.arange(len(inp.species))
        self.tracker = None
        centre = _centre(first.xyz_A[self.anions], first.box_A)
        r = np.linalg.norm(minimum_image(first.xyz_A[self.anions] - centre, first.box_A), axis=1)
        self.radius_A = float(np.percentile(r, 98)) + 3.0
        if crystal:
            from omm_cx.analysis.orientation import OrientationTracker

            if len(inp.anions) < 3:
                raise AnalysisError(f"{inp.label}: no NC anions to orient the particle by; "
                                    f"use a lab axis (--normal x, y or z)")
            self.tracker = OrientationTracker(first.xyz_A, self.anions, first.box_A,
                                              crystal_rotation=inp.rotation0)

    def __call__(self, fr: Frame) -> tuple[np.ndarray | None, np.ndarray]:
        xyz = fr.xyz_A[self.anions]
        centre = _centre(xyz, fr.box_A)
        inside = np.linalg.norm(minimum_image(xyz - centre, fr.box_A), axis=1) <= self.radius_A
        if inside.sum() >= 3:
            centre = _centre(xyz[inside], fr.box_A)
        if self.tracker is None:
            return None, centre
        if fr.index == 0:
            return self.tracker.rotation, centre
        return self.tracker.update(fr.xyz_A, fr.box_A, nc_anions=self.anions[inside]), centre


def _centre(xyz_A: np.ndarray, box_A: np.ndarray | None) -> np.ndarray:
    return cluster_centre(xyz_A, box_A)[0]


def follow_frames(inp: RenderInput, wanted: Sequence[int] | None, normal: str) -> Iterator[
        tuple[Frame, np.ndarray | None, np.ndarray]]:
    """(frame, crystal rotation or None for a lab axis, slab centre (3,) Å) of the frames
    in ``wanted`` (all when None), in file order."""
    crystal = not isinstance(parse_direction(normal), str)
    want = None if wanted is None else set(wanted)
    follower = None
    for fr in inp.frames():
        if follower is None:
            follower = _Follower(inp, fr, crystal)
        if want is None or fr.index in want:
            yield (fr, *follower(fr))
        if want is not None and fr.index >= max(want):
            return


def view_half_width(xyz_A: np.ndarray, box_A: np.ndarray | None, centre_A: np.ndarray,
                    anions: np.ndarray) -> float:
    """Half width (Å) of the default square view: the NC radius (largest anion distance
    from the centre, 98th percentile) + :data:`MARGIN_A`, at most half the box."""
    pts = xyz_A[anions] if len(anions) else xyz_A
    r = np.linalg.norm(minimum_image(pts - centre_A, box_A), axis=1)
    hw = float(np.percentile(r, 98)) + MARGIN_A
    if box_A is not None:
        hw = min(hw, 0.5 * float(np.min(np.linalg.norm(box_A, axis=1))))
    return hw


def _legend_counts(ax) -> dict[str, int]:
    out = {}
    for t in ax.get_legend().get_texts():
        key, _, n = t.get_text().rpartition(" ")
        out[key] = int(n)
    return out


def _panel(inp: RenderInput, fr: Frame, rot, centre, ax, *, normal: str,
           half_width_A: float | None = None, title: str | None = None, **kw) -> dict[str, Any]:
    """Draw one frame on ``ax``; returns its record (frame, time, legend counts)."""
    from omm_cx.analysis.render import slab_axes

    hw = half_width_A or view_half_width(fr.xyz_A, fr.box_A, centre, inp.anions)
    thick = kw.get("thickness_A", THICKNESS_A)
    text = f"slab normal {slab_axes(normal)[3]}, {thick:g} Å"
    if inp.n_frames > 1:
        text = f"t = {fr.time_ps:g} ps; {text}"
    render_slab(fr.xyz_A, inp.species, fr.box_A, normal=normal, rotation=rot, centre_A=centre,
                half_width_A=hw, title=f"{title}\n{text}" if title else text, ax=ax, **kw)
    return {"frame": fr.index, "time_ps": fr.time_ps, "legend": _legend_counts(ax)}


def render_picture(inp: RenderInput, out_png: str | os.PathLike,
                   frames: str | Sequence[int] = "last", *, normal: str = "[001]",
                   dpi: int = PNG_DPI, panel_in: float = 3.4, **render_kw) -> dict[str, Any]:
    """Draw the slab of each frame in ``frames`` (:func:`parse_frames`) side by side and
    save the PNG (atomically; the legends also go into its "Description" text chunk).
    ``render_kw``: options of :func:`~omm_cx.analysis.render.render_slab` (thickness_A,
    color_by, colors, half_width_A, ...) and ``title`` (a first title line per panel).
    Returns {"path", "panels": [{"frame", "time_ps", "legend": {key: count}}]}."""
    from matplotlib.figure import Figure

    from omm_cx.io.atomic import atomic_path
    from omm_cx.io.tables import json_text

    idx = parse_frames(frames, inp.n_frames)
    fig = Figure(figsize=(panel_in * len(idx), panel_in * 1.15))
    axes = fig.subplots(1, len(idx), squeeze=False)[0]
    got = {fr.index: (fr, rot, c) for fr, rot, c in follow_frames(inp, idx, normal)}
    panels = [_panel(inp, *got[k], ax, normal=normal, **render_kw) for k, ax in zip(idx, axes)]
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight",
                    metadata={"Description": json_text(panels, indent=None),
                              "Software": "omm_cx render"})
    return {"path": str(out_png), "panels": panels}


def ffmpeg_path() -> str:
    """The ffmpeg executable for MP4: imageio-ffmpeg's, else one on the PATH; an
    :class:`AnalysisError` saying how to get one when neither is there."""
    try:
        import imageio_ffmpeg
    except ImportError:
        exe = shutil.which("ffmpeg")
        if exe is None:
            raise AnalysisError(f"MP4 needs ffmpeg, which is not installed: {_MOVIE_FIX}") from None
        return exe
    return imageio_ffmpeg.get_ffmpeg_exe()


def _writer(path: Path, fps: float):
    from matplotlib import animation

    suffix = path.suffix.lower()
    if suffix == ".gif":
        class _Gif(animation.PillowWriter):  # names the format: the temporary file is *.tmp
            def finish(self):
                self._frames[0].save(self.outfile, format="GIF", save_all=True,
                                     append_images=self._frames[1:],
                                     duration=int(1000 / self.fps), loop=0)

        return _Gif(fps=fps)
    if suffix == ".mp4":
        import matplotlib

        matplotlib.rcParams["animation.ffmpeg_path"] = ffmpeg_path()
        return animation.FFMpegWriter(fps=fps, codec="h264", extra_args=["-f", "mp4"])
    raise AnalysisError(f"movie {path}: the name must end in .gif or .mp4")


def write_movie(inp: RenderInput, out_path: str | os.PathLike, *, normal: str = "[001]",
                stride: int = 1, fps: float = 10.0, dpi: int = 100, panel_in: float = 3.4,
                **render_kw) -> dict[str, Any]:
    """Write a movie (.gif or .mp4) of the slab over every ``stride``-th frame, each
    with its time; the view (half width) is fixed by the first frame. Returns {"path",
    "frames" (count), "panels": [...]} as :func:`render_picture`."""
    from matplotlib.figure import Figure

    from omm_cx.io.atomic import atomic_path

    out_path = Path(out_path)
    if stride < 1:
        raise AnalysisError(f"movie stride {stride}: must be >= 1")
    writer = _writer(out_path, fps)
    w_px, h_px = (2 * round(x * dpi / 2) for x in (panel_in, panel_in * 1.2))  # even for h264
    fig = Figure(figsize=(w_px / dpi, h_px / dpi))
    wanted = range(0, inp.n_frames, stride)
    panels: list[dict[str, Any]] = []
    hw = render_kw.pop("half_width_A", None)
    with atomic_path(out_path) as tmp, writer.saving(fig, str(tmp), dpi):
        for fr, rot, centre in follow_frames(inp, wanted, normal):
            hw = hw or view_half_width(fr.xyz_A, fr.box_A, centre, inp.anions)
            fig.clear()
            ax = fig.add_axes((0.03, 0.2, 0.94, 0.72))
            panels.append(_panel(inp, fr, rot, centre, ax, normal=normal, half_width_A=hw,
                                 **render_kw))
            writer.grab_frame()
    return {"path": str(out_path), "frames": len(panels), "panels": panels}
