"""Run the selected analyses on a trajectory in one streaming pass and write the outputs.

The driver owns what every analysis shares: opening the trajectory and reading it in
chunks, the groups (build.json or the geometric fallback), the membership criterion
(resolved on the first frame) and the NC membership of each frame (computed once and
given to every analysis that needs it), periodic boxes (each frame carries its box), the
progress bar, skipping an analysis that cannot run (or stopping, ``strict``), and writing
the tables, figures and summary.json atomically. The analyses themselves are
:class:`~omm_cx.analysis.base.Analysis` classes named in :mod:`omm_cx.analysis.registry`.

Outputs (in ``out_dir``; ``DIR/analysis`` for a run directory):

- ``exchange.csv`` (time_ps, n_in_going, n_original, n_anions, rho, ...), ``exchange.png``,
  ``counts.png``, ``anions.png``;
- ``density.csv`` (per time window and shell), ``density_boundary.csv``, ``density.png``;
- ``rdf.csv`` (g and running coordination number per pair), ``rdf.png``;
- ``jumps.csv`` (one row per jump), ``jumps_summary.json`` (n_intf, n_shell, n_kick,
  n_octa, n_tetra, n_other, kick_ratio, Table 3 class means);
- ``rmsd.csv`` (per atom), ``rmsd_map.png``;
- ``msd.csv``, ``msd.png``;
- ``facets.csv``, ``facets.png`` (when asked for);
- ``phases.csv``, ``phases.png``, ``phases_per_ion.npz``, ``phase_profile.csv``,
  ``phase_profile.png``, ``phase_boundary.csv``, ``phase_boundary.json`` (when asked
  for; :mod:`omm_cx.analysis.phases`);
- ``summary.json`` (:class:`~omm_cx.analysis.record.AnalysisSummary`): inputs, where
  groups and times came from, the membership criterion, each analysis's headline
  numbers, the output files, wall time and peak memory.

Frames are read ``chunk_frames`` at a time (:meth:`TrajectorySource.frames`) and the
accumulators keep sums, not frames, so memory is bounded by the chunks in flight plus the
accumulators, independent of the trajectory length. Measured on the 10,392-atom
pbse-nc-cd-psl system (all six analyses, DCD, 2 ps frames, 2 CPU cores shared with other
jobs): 159 MiB after the imports; peak resident memory 323 MiB with the default chunk of
500 frames for 1,000, 2,000 and 10,000 frames alike, 234 MiB with chunks of 100. Peak ~
210 MiB + 0.25 MiB per chunk frame (about two chunks of float32 coordinates are alive
while mdtraj reads the next one); the only accumulators that grow with the length are
the exchange rows (~0.4 kB per frame) and the jump list, so a 100 ns run saved every 2 ps
(50,000 frames) stays near 345 MiB. Time: 162 s for 10,000 frames (~14 ms per frame plus
~20 s for g(r) on at most ``rdf_max_frames`` frames and the plots), i.e. about 12
minutes for 50,000 frames.
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from omm_cx import __version__
from omm_cx.analysis.base import Analysis, AnalysisContext, CannotRun
from omm_cx.analysis.groups import (AnalysisGroups, canonical_species, groups_from_build_info,
                                    groups_from_geometry, load_build_info, species_of_topology)
from omm_cx.analysis.membership import iter_membership
from omm_cx.analysis.options import AnalysisOptions
from omm_cx.analysis.record import SUMMARY_JSON, validate_summary, write_summary
from omm_cx.analysis.registry import WHAT_ALL, WHAT_DEFAULT, create, parse_what
from omm_cx.analysis.trajectory import (TRAJECTORY_NAMES, Frame, TrajectorySource, find_trajectory,
                                        open_trajectory, run_dir_files)
from omm_cx.errors import AnalysisError
from omm_cx.io.figures import save_figure
from omm_cx.io.progress import progress_bar
from omm_cx.io.tables import write_csv, write_json
from omm_cx.simulation.rundir import RunFolder
from omm_cx.systems.record import BuildRecord

__all__ = ["AnalysisOptions", "WHAT_ALL", "WHAT_DEFAULT", "TRAJECTORY_NAMES", "analyze_trajectory",
           "analyze_run_dir", "load_groups", "make_context", "peak_rss_mib",
           "prepare_analyses", "stream", "write_outputs", "find_trajectory", "run_dir_files"]

#: The progress line: "analyze: frame 120/1000 [00:08<01:02, 14.2 frame/s]".
_BAR_FORMAT = "{desc} {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}]"


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, MiB (Linux ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def load_groups(src: TrajectorySource, build_info: BuildRecord | None, source: str,
                options: AnalysisOptions, first: Frame) -> AnalysisGroups:
    """Groups from the build record (``source``: where it came from), or the geometric
    fallback on the first frame when there is none."""
    species = species_of_topology(src.topology)
    if build_info is not None:
        g = groups_from_build_info(build_info, species, options.roles, source=source)
        if options.in_going_species:
            # every cation of the named species is in-going, wherever it was built: the
            # shell cations of a core/shell start count as already exchanged (so that the
            # kick-out partners and the core/shell boundary of ``jumps`` see them), and
            # the original cations are the NC's others
            want = {canonical_species(s) for s in options.in_going_species}
            g.in_going = np.array([i for i in g.cations if g.species[i] in want], dtype=int)
            g.original = np.array([i for i in g.original if g.species[i] not in want], dtype=int)
        return g
    return groups_from_geometry(species, first.xyz_A, first.box_A, options.membership,
                                options.roles, options.in_going_species)


def make_context(src: TrajectorySource, build_json: str | os.PathLike | None,
                 opt: AnalysisOptions) -> AnalysisContext:
    """The :class:`AnalysisContext` of a trajectory: its first frame, the build record of
    ``build_json`` (None: no build record, groups from the geometric fallback), the groups
    and the membership criterion resolved on the first frame."""
    first = next(src.frames(chunk=1, stop=1))
    info = load_build_info(build_json) if build_json is not None else None
    groups = load_groups(src, info, f"build.json ({build_json})", opt, first)
    has_nc = len(groups.anions) >= 2
    crit = opt.membership.resolved(first.xyz_A, first.box_A, groups.anions) if has_nc else None
    return AnalysisContext(groups, first, src.n_frames, src.dt_ps, src.t0_ps, opt, info, crit)


def _head(traj, top, build_json, label, src: TrajectorySource, ctx: AnalysisContext) -> dict:
    """summary.json up to the analyses (inputs, groups, frames, membership)."""
    summary = {
        "omm_cx_version": __version__, "label": label,
        "inputs": {"trajectory": str(traj), "topology": str(top),
                   "build_json": None if build_json is None else str(build_json)},
        "groups": ctx.groups.describe(),
        "frames": {"n_frames": src.n_frames, "dt_ps": src.dt_ps, "t0_ps": src.t0_ps,
                   "t_last_ps": ctx.t_last_ps, "time_source": src.time_source,
                   "chunk_frames": ctx.options.chunk_frames},
        "membership": ctx.criterion.describe() if ctx.criterion else None,
        "analyses": {}, "skipped": {}, "outputs": [],
    }
    if build_json is None:
        summary["groups"]["note"] = "no build.json: groups from the geometric fallback (see source)"
    return summary


def prepare_analyses(analyses: Sequence[str | Analysis], ctx: AnalysisContext, skipped: dict,
                     strict: bool = False) -> list[Analysis]:
    """The analyses (registered names or instances), prepared for ``ctx``; those that
    cannot run are left out and their reason put in ``skipped`` (``strict``: an
    :class:`AnalysisError`)."""
    out = []
    for item in analyses:
        a = create(item) if isinstance(item, str) else item
        name = a.name
        a.options = ctx.options.options_for(type(a))
        try:
            if (a.needs_nc or a.needs_membership) and not ctx.has_nc:
                # e.g. a cation/PSL liquid: only g(r) and MSD apply
                raise CannotRun("no nanocrystal: fewer than two anions in the system")
            a.prepare(ctx)
        except CannotRun as exc:
            if strict:
                raise AnalysisError(f"{name}: {exc}") from None
            skipped[name] = str(exc)
            continue
        out.append(a)
    return out


def stream(src: TrajectorySource, analyses: Sequence[Analysis], ctx: AnalysisContext,
           progress: bool | None = None) -> int:
    """Feed every frame (read ``chunk_frames`` at a time) to every analysis, with the
    frame's NC membership computed once when any analysis needs it. Returns the number of
    frames read."""
    frames = src.frames(chunk=ctx.options.chunk_frames)
    if any(a.needs_membership for a in analyses):
        pairs = iter_membership(frames, ctx.groups, ctx.criterion)
    else:
        pairs = ((fr, None) for fr in frames)
    n_read = 0
    with progress_bar(src.n_frames, "analyze: frame", progress, unit=" frame",
                      bar_format=_BAR_FORMAT) as bar:
        for fr, m in pairs:
            for a in analyses:
                a.add(fr, m)
            bar.update(1)
            n_read += 1
    return n_read


def write_outputs(analyses: Sequence[Analysis], out: Path, plots: bool) -> tuple[dict, list[Path]]:
    """Finish every analysis and write its tables, JSON files and figures in ``out``.
    Returns (summary entries by analysis name, files written)."""
    entries: dict[str, dict] = {}
    files: list[Path] = []
    for a in analyses:
        res = a.finish()
        for name, cols in res.tables.items():
            files.append(write_csv(out / name, cols))
        for name, data in res.json.items():
            files.append(write_json(out / name, data))
        for name, writer in res.files.items():
            files.append(Path(writer(out / name)))
        if plots:
            for name, fig in res.figures.items():
                files.append(save_figure(fig() if callable(fig) else fig, out / name))
        entries[a.name] = res.summary
    return entries, files


def analyze_trajectory(traj: str | os.PathLike, top: str | os.PathLike, out_dir: str | os.PathLike,
                       build_json: str | os.PathLike | None = None,
                       what: Sequence[str] | str = WHAT_DEFAULT, dt_ps: float | None = None,
                       options: AnalysisOptions | None = None, strict: bool = False,
                       label: str | None = None) -> dict:
    """Run the analyses ``what`` on a trajectory file and write their outputs in
    ``out_dir``. ``strict``: an analysis that cannot run (e.g. jumps when the frames are
    not 2 ps apart) is an error; otherwise it is skipped and the reason is recorded in
    summary.json. Returns the summary dict (the content of summary.json)."""
    t_start = time.monotonic()
    opt = options or AnalysisOptions()
    names = parse_what(what)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    src = open_trajectory(traj, top, dt_ps)
    ctx = make_context(src, build_json, opt)
    summary = _head(traj, top, build_json, label, src, ctx)
    analyses = prepare_analyses(names, ctx, summary["skipped"], strict)
    n_read = stream(src, analyses, ctx, opt.progress)
    if n_read != src.n_frames:
        summary["frames"]["n_frames"] = n_read
    summary["analyses"], files = write_outputs(analyses, out, opt.plots)
    summary["out_dir"] = str(out)
    summary["outputs"] = sorted(p.name for p in files) + [SUMMARY_JSON]
    summary["wall_s"] = round(time.monotonic() - t_start, 2)
    summary["peak_rss_MiB"] = round(peak_rss_mib(), 1)
    record = validate_summary(summary, str(out / SUMMARY_JSON))
    write_summary(out / SUMMARY_JSON, record)
    return record.as_dict()


def analyze_run_dir(run_dir: str | os.PathLike, what: Sequence[str] | str = WHAT_DEFAULT,
                    dt_ps: float | None = None, options: AnalysisOptions | None = None,
                    out_dir: str | os.PathLike | None = None, strict: bool = False) -> dict:
    """Analyse a run directory (``omm-cx run`` output: start.pdb, traj.*, build/build.json)
    or a build directory with a trajectory (structure.pdb, build.json); outputs in
    ``DIR/analysis``."""
    run_dir = Path(run_dir)
    top, build = run_dir_files(run_dir)
    return analyze_trajectory(find_trajectory(run_dir), top, out_dir or RunFolder(run_dir).analysis_dir,
                              build, what, dt_ps, options, strict, label=run_dir.name)
