"""Run the selected analyses on a trajectory in one streaming pass and write the outputs.

Outputs (in ``out_dir``; ``DIR/analysis`` for a run directory):

- ``exchange.csv`` (time_ps, n_in_going, n_original, n_anions, rho, ...), ``exchange.png``,
  ``counts.png``, ``anions.png``;
- ``density.csv`` (per time window and shell), ``density_boundary.csv``, ``density.png``;
- ``rdf.csv`` (g and running coordination number per pair), ``rdf.png``;
- ``jumps.csv`` (one row per jump), ``jumps_summary.json`` (n_intf, n_shell, n_kick,
  n_octa, n_tetra, n_other, kick_ratio, Table 3 class means);
- ``rmsd.csv`` (per atom), ``rmsd_map.png``;
- ``msd.csv``, ``msd.png``;
- ``summary.json``: inputs, where groups and times came from, the membership criterion,
  each analysis's headline numbers, the output files, wall time and peak memory.

Frames are read ``chunk_frames`` at a time (:meth:`TrajectorySource.frames`), so memory
is bounded by the chunks in flight plus the accumulators, independent of the trajectory
length. Measured on the 10,392-atom pbse-nc-cd-psl system (all six analyses, DCD, 2 ps
frames, 2 CPU cores shared with other jobs): 159 MiB after the imports; peak resident
memory 323 MiB with the default chunk of 500 frames for 1,000, 2,000 and 10,000 frames
alike, 234 MiB with chunks of 100. Peak ~ 210 MiB + 0.25 MiB per chunk frame (about two
chunks of float32 coordinates are alive while mdtraj reads the next one); the only
accumulators that grow with the length are the exchange rows (~0.4 kB per frame) and
the jump list, so a 100 ns run saved every 2 ps (50,000 frames) stays near 345 MiB.
Time: 162 s for 10,000 frames (~14 ms per frame plus ~20 s for g(r) on at most
``rdf_max_frames`` frames and the plots), i.e. about 12 minutes for 50,000 frames.
"""

from __future__ import annotations

import math
import os
import resource
import sys
import time
from dataclasses import dataclass, field
from itertools import combinations_with_replacement
from pathlib import Path
from typing import Sequence

import numpy as np

from omm_cx import __version__
from omm_cx.analysis.density import RadialDensityAccumulator, default_r_max_A, default_selections
from omm_cx.analysis.diffusion import MSDAccumulator, arrhenius_fit, fit_diffusion
from omm_cx.analysis.exchange import ExchangeAccumulator
from omm_cx.analysis.io import (AnalysisError, AnalysisGroups, TrajectorySource, groups_from_build_info,
                                groups_from_geometry, load_build_info, open_trajectory,
                                species_of_topology, write_csv, write_json)
from omm_cx.analysis.jumps import JumpCriteria, JumpDetector, frame_stride_for, summarize_jumps, summarize_runs
from omm_cx.analysis.membership import MembershipCriterion, frame_membership
from omm_cx.analysis.rdf import RDFAccumulator
from omm_cx.analysis.rmsd import RMSDAccumulator

WHAT_ALL = ("exchange", "density", "rdf", "jumps", "rmsd", "msd", "facets")
#: What runs when nothing is asked for (facets is opt-in: it needs an oriented NC crystal).
WHAT_DEFAULT = ("exchange", "density", "rdf", "jumps", "rmsd", "msd")
TRAJECTORY_NAMES = ("traj.dcd", "traj.xtc")


@dataclass
class AnalysisOptions:
    """Settings of :func:`analyze_trajectory` (lengths in Å, times in ps)."""

    membership: MembershipCriterion = field(default_factory=MembershipCriterion)
    jumps: JumpCriteria = field(default_factory=JumpCriteria)
    roles: dict | None = None
    in_going_species: Sequence[str] | None = None
    facet_shell_A: float = 6.0  # outer layer counted by the facets analysis
    density_bin_A: float = 0.5
    density_windows: int = 4
    density_r_max_A: float | None = None
    rdf_pairs: Sequence[tuple[str, str]] | None = None  # None: every pair of species
    rdf_r_max_A: float = 12.0
    rdf_bin_A: float = 0.05
    rdf_max_frames: int = 200
    rmsd_select: str = "nc"
    rmsd_reference: str = "original_anions"
    rmsd_fit: str = "rigid"
    rmsd_threshold_A: float = 0.84
    msd_select: str = "in_going"
    msd_max_lag_ps: float | None = None
    msd_fit_window_ps: tuple[float, float] | None = None
    msd_max_origins: int = 50
    chunk_frames: int = 500
    plots: bool = True
    progress: bool | None = None  # None: only when stderr is a terminal


class _Progress:
    def __init__(self, total: int, enabled: bool | None):
        self.total = total
        self.on = sys.stderr.isatty() if enabled is None else enabled
        self.t0 = time.monotonic()
        self.last = 0.0

    def __call__(self, i: int) -> None:
        if not self.on:
            return
        now = time.monotonic()
        if now - self.last < 0.5 and i + 1 < self.total:
            return
        self.last = now
        rate = (i + 1) / max(now - self.t0, 1e-9)
        eta = (self.total - i - 1) / rate
        sys.stderr.write(f"\ranalyze: frame {i + 1}/{self.total} ({rate:.1f} frames/s, "
                         f"{eta:.0f} s left)   ")
        sys.stderr.flush()

    def done(self) -> None:
        if self.on:
            sys.stderr.write("\n")
            sys.stderr.flush()


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, MiB (Linux ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _parse_what(what: Sequence[str] | str) -> list[str]:
    items = [w.strip() for w in (what.split(",") if isinstance(what, str) else what) if w.strip()]
    bad = [w for w in items if w not in WHAT_ALL]
    if bad:
        raise AnalysisError(f"unknown analysis {', '.join(bad)}; choose from {', '.join(WHAT_ALL)}")
    return [w for w in WHAT_ALL if w in items]


def load_groups(src: TrajectorySource, build_json: str | os.PathLike | None,
                options: AnalysisOptions, first) -> AnalysisGroups:
    """Groups from build.json, or the geometric fallback on the first frame."""
    species = species_of_topology(src.topology)
    if build_json is not None:
        info = load_build_info(build_json)
        g = groups_from_build_info(info, species, options.roles, source=f"build.json ({build_json})")
        if options.in_going_species:
            want = set(options.in_going_species)
            g.in_going = np.array([i for i in g.cations if g.species[i] in want
                                   and i not in set(g.original.tolist())], dtype=int)
        return g
    return groups_from_geometry(species, first.xyz_A, first.box_A, options.membership,
                                options.roles, options.in_going_species)


def analyze_trajectory(traj: str | os.PathLike, top: str | os.PathLike, out_dir: str | os.PathLike,
                       build_json: str | os.PathLike | None = None,
                       what: Sequence[str] | str = WHAT_DEFAULT, dt_ps: float | None = None,
                       options: AnalysisOptions | None = None, strict: bool = False,
                       label: str | None = None) -> dict:
    """Run the analyses ``what`` on a trajectory file and write their outputs in
    ``out_dir``. ``strict``: an analysis that cannot run (e.g. jumps when the frames are
    not 2 ps apart) is an error; otherwise it is skipped and the reason is recorded in
    summary.json. Returns the summary dict."""
    t_start = time.monotonic()
    opt = options or AnalysisOptions()
    what = _parse_what(what)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    src = open_trajectory(traj, top, dt_ps)
    first = next(src.frames(chunk=1, stop=1))
    groups = load_groups(src, build_json, opt, first)
    build_info = load_build_info(build_json) if build_json is not None else {}  # facets, wire period
    has_nc = len(groups.anions) >= 2
    crit = opt.membership.resolved(first.xyz_A, first.box_A, groups.anions) if has_nc else None
    n = src.n_frames
    t_last = src.t0_ps + (n - 1) * src.dt_ps
    summary: dict = {
        "omm_cx_version": __version__, "label": label,
        "inputs": {"trajectory": str(traj), "topology": str(top),
                   "build_json": None if build_json is None else str(build_json)},
        "groups": groups.describe(),
        "frames": {"n_frames": n, "dt_ps": src.dt_ps, "t0_ps": src.t0_ps, "t_last_ps": t_last,
                   "time_source": src.time_source, "chunk_frames": opt.chunk_frames},
        "membership": crit.describe() if crit else None, "analyses": {}, "skipped": {},
        "outputs": [],
    }
    if build_json is None:
        summary["groups"]["note"] = "no build.json: groups from the geometric fallback (see source)"

    def skip(name: str, why: str):
        if strict:
            raise AnalysisError(f"{name}: {why}")
        summary["skipped"][name] = why
        what.remove(name)

    if not has_nc:  # e.g. a cation/PSL liquid: only g(r) and MSD apply
        for name in [w for w in what if w in ("exchange", "density", "jumps", "rmsd", "facets")]:
            skip(name, "no nanocrystal: fewer than two anions in the system")

    # ------------------------------------------------------------ accumulators
    exch = ExchangeAccumulator(groups) if "exchange" in what else None
    dens = None
    if "density" in what:
        if opt.density_r_max_A:
            r_max = opt.density_r_max_A
        elif first.box_A is not None:
            r_max = default_r_max_A(first.box_A)
        else:  # no box (vacuum): everything of the first frame plus 10 Å
            c0 = frame_membership(first.xyz_A, None, groups.cations, groups.anions, crit).centre_A
            r_max = float(np.max(np.linalg.norm(first.xyz_A - c0, axis=1))) + 10.0
        edges = np.arange(0.0, r_max + 1e-9, opt.density_bin_A)
        nw = max(1, min(opt.density_windows, n))
        wedges = np.linspace(src.t0_ps, t_last, nw + 1) if n > 1 else np.array([src.t0_ps, src.t0_ps + 1.0])
        dens = RadialDensityAccumulator(default_selections(groups), edges, wedges, groups.n_atoms)
    rdf, rdf_every = None, 1
    if "rdf" in what:
        species = groups.species_list
        pairs = [tuple(p) for p in (opt.rdf_pairs or combinations_with_replacement(species, 2))]
        sel = {s: groups.select(s) for p in pairs for s in p}
        if first.box_A is not None:
            r_max = min(opt.rdf_r_max_A, default_r_max_A(first.box_A))
        else:
            r_max = opt.rdf_r_max_A
        rdf = RDFAccumulator(sel, pairs, r_max, opt.rdf_bin_A)
        rdf_every = max(1, math.ceil(n / max(opt.rdf_max_frames, 1)))
    jumps = None
    if "jumps" in what:
        try:
            stride = frame_stride_for(opt.jumps.interval_ps, src.dt_ps)
            jumps = JumpDetector(groups, opt.jumps, stride)
        except AnalysisError as exc:
            skip("jumps", str(exc))
    rmsd = None
    if "rmsd" in what:
        atoms, ref = groups.select(opt.rmsd_select), groups.select(opt.rmsd_reference)
        if len(atoms) == 0 or len(ref) == 0:
            skip("rmsd", f"empty selection {opt.rmsd_select!r} or reference {opt.rmsd_reference!r}")
        else:
            rmsd = RMSDAccumulator(atoms, ref, opt.rmsd_fit)
    msd = None
    if "msd" in what:
        atoms = groups.select(opt.msd_select)
        if len(atoms) == 0:
            skip("msd", f"no atoms in selection {opt.msd_select!r}")
        elif n < 3 or not src.dt_ps > 0:
            skip("msd", "needs at least 3 equally spaced frames")
        else:
            max_lag = n // 2 if opt.msd_max_lag_ps is None else int(round(opt.msd_max_lag_ps / src.dt_ps))
            max_lag = max(1, min(max_lag, n - 1))
            msd = MSDAccumulator(atoms, max_lag, max(1, math.ceil(max_lag / opt.msd_max_origins)))
    facets = None
    if "facets" in what:
        from omm_cx.analysis.facets import FacetAccumulator, rotation_from_build_info

        if build_json is None:
            skip("facets", "needs build.json (the NC crystal's orientation)")
        else:
            try:
                facets = FacetAccumulator(groups, rotation_from_build_info(build_info), opt.facet_shell_A)
            except AnalysisError as exc:
                skip("facets", str(exc))
    need_membership = exch is not None or dens is not None or jumps is not None or facets is not None

    # ---------------------------------------------------------------- stream
    progress = _Progress(n, opt.progress)
    n_read = 0
    for fr in src.frames(chunk=opt.chunk_frames):
        m = (frame_membership(fr.xyz_A, fr.box_A, groups.cations, groups.anions, crit)
             if need_membership else None)
        if exch is not None:
            exch.add(fr.time_ps, m)
        if facets is not None:
            facets.add(fr.time_ps, fr.xyz_A, fr.box_A, m)
        if dens is not None:
            dens.add(fr.time_ps, fr.xyz_A, fr.box_A, m.centre_A, m.mask(groups.n_atoms))
        if rdf is not None and fr.index % rdf_every == 0:
            rdf.add(fr.xyz_A, fr.box_A)
        if jumps is not None:
            jumps.add(fr.index, fr.time_ps, fr.xyz_A, fr.box_A, m.centre_A)
        if rmsd is not None:
            rmsd.add(fr.xyz_A, fr.box_A)
        if msd is not None:
            msd.add(fr.xyz_A, fr.box_A)
        progress(fr.index)
        n_read += 1
    progress.done()
    if n_read != n:
        summary["frames"]["n_frames"] = n_read

    # ---------------------------------------------------------------- output
    files: list[Path] = []
    plots = _Plots(out, opt.plots, files)
    A = summary["analyses"]
    if exch is not None:
        tab = exch.result()
        period = build_info.get("wire_period_A")
        if period:  # a periodic wire (003): uptake per unit length, as in 003 Fig. 5
            tab["n_in_going_per_nm"] = np.asarray(tab["n_in_going"]) / (float(period) / 10)
        files.append(write_csv(out / "exchange.csv", tab))
        A["exchange"] = {
            "in_going_species": list(groups.in_going_species), "leaving_species": groups.leaving_species,
            "rho_first": float(tab["rho"][0]), "rho_last": float(tab["rho"][-1]),
            "n_in_going_last": int(tab["n_in_going"][-1]), "n_original_last": int(tab["n_original"][-1]),
            "n_anions_first": int(tab["n_anions"][0]), "n_anions_last": int(tab["n_anions"][-1]),
            "n_anions_lost_last": int(tab["n_anions_lost"][-1]),
            "columns": "time_ps, n_in_going (in-going cations in the NC), n_original (original NC "
                       "cations still in the NC), n_anions (anions in the NC), rho = n_in_going / "
                       "n_cations, n_cations (all cations in the NC), n_anions_lost (original NC "
                       "anions no longer in the NC), nc_radius_A, centre_*_A"}
        if period:
            A["exchange"]["wire_period_A"] = float(period)
            A["exchange"]["n_in_going_per_nm_last"] = float(tab["n_in_going_per_nm"][-1])
            A["exchange"]["columns"] += (", n_in_going_per_nm (in-going cations in the wire per "
                                         "nm of wire, the build's period)")
        plots.exchange(tab, groups)
    if facets is not None:
        ftab = facets.result()
        files.append(write_csv(out / "facets.csv", ftab))
        A["facets"] = {"shell_A": facets.shell_A,
                       "rho_last": {f: float(ftab[f"rho_{f}"][-1]) for f in ("100", "110", "111")},
                       "n_cations_first": {f: int(ftab[f"n_cations_{f}"][0]) for f in ("100", "110", "111")},
                       "columns": "time_ps; per facet family f of the NC's outer layer: "
                                  "n_cations_f, n_in_going_f, rho_f = n_in_going_f / n_cations_f"}
        plots.facets(ftab)
    if dens is not None:
        prof = dens.result()
        files.append(write_csv(out / "density.csv", prof.table()))
        bnd = prof.boundaries_A()
        files.append(write_csv(out / "density_boundary.csv", {
            "window": np.arange(len(bnd)), "t_start_ps": prof.window_edges_ps[:-1],
            "t_end_ps": prof.window_edges_ps[1:], "n_frames": prof.n_frames, "boundary_A": bnd}))
        A["density"] = {"bin_A": opt.density_bin_A, "r_max_A": float(prof.r_edges_A[-1]),
                        "windows_ps": prof.window_edges_ps.tolist(),
                        "n_frames_per_window": prof.n_frames.tolist(),
                        "core_shell_boundary_A": bnd.tolist(),
                        "boundary_rule": "first radius, going out from the NC centre, where the "
                                         "in-going cation density rises to the original cation "
                                         "density (linear interpolation)",
                        "units": "ions/nm^3 against r in Å"}
        plots.density(prof, bnd, groups)
    if rdf is not None:
        res = rdf.result()
        files.append(write_csv(out / "rdf.csv", res.table()))
        A["rdf"] = {"pairs": list(res.g), "frames_used": res.n_frames, "every_nth_frame": rdf_every,
                    "r_max_A": float(res.r_edges_A[-1]), "bin_A": opt.rdf_bin_A,
                    "first_peak": {k: dict(zip(("r_A", "cn_at_first_minimum"), res.first_peak(k)))
                                   for k in res.g},
                    "normalisation": "ideal-gas pair count of the actual numbers in each frame's "
                                     "box volume; for a NC in solution the reference is the "
                                     "box-average density, read coordination from cn_*"}
        plots.rdf(res)
    if jumps is not None:
        files.append(write_csv(out / "jumps.csv", jumps.table()))
        js = summarize_jumps(jumps.jumps)
        js.update({"n_intervals": jumps.n_intervals, "leaving_species": jumps.leaving_species,
                   "criteria": opt.jumps.describe()})
        files.append(write_json(out / "jumps_summary.json", js))
        A["jumps"] = {k: js[k] for k in ("n_intf", "n_shell", "n_kick", "n_octa", "n_tetra",
                                         "n_other", "kick_ratio", "n_intervals")}
    if rmsd is not None:
        res = rmsd.result()
        mobile = res.mobile(opt.rmsd_threshold_A)
        sp = groups.species[res.atoms]
        files.append(write_csv(out / "rmsd.csv", {
            "atom": res.atoms, "species": sp, "x_A": res.mean_position_A[:, 0],
            "y_A": res.mean_position_A[:, 1], "z_A": res.mean_position_A[:, 2],
            "rmsd_A": res.rmsd_A, "mobile": mobile}))
        A["rmsd"] = {"selection": opt.rmsd_select, "reference": opt.rmsd_reference, "fit": res.fit,
                     "threshold_A": opt.rmsd_threshold_A, "n_atoms": int(len(res.atoms)),
                     "n_mobile": int(mobile.sum()),
                     "n_mobile_by_species": {s: int(mobile[sp == s].sum()) for s in dict.fromkeys(sp)},
                     "mean_rmsd_by_species_A": {s: float(res.rmsd_A[sp == s].mean()) for s in dict.fromkeys(sp)}}
        plots.rmsd(res, opt.rmsd_threshold_A)
    if msd is not None:
        res = msd.result(src.dt_ps)
        files.append(write_csv(out / "msd.csv", res.table()))
        A["msd"] = {"selection": opt.msd_select, "n_atoms": res.n_atoms,
                    "max_lag_ps": float(res.lag_ps[-1]), "origin_stride_frames": msd.stride}
        try:
            fit = fit_diffusion(res, opt.msd_fit_window_ps)
            A["msd"]["diffusion"] = fit.as_dict()
        except AnalysisError as exc:
            fit = None
            A["msd"]["diffusion"] = {"error": str(exc)}
        plots.msd(res, fit)
    summary["out_dir"] = str(out)
    summary["outputs"] = sorted(str(p.name) for p in files) + ["summary.json"]
    summary["wall_s"] = round(time.monotonic() - t_start, 2)
    summary["peak_rss_MiB"] = round(peak_rss_mib(), 1)
    write_json(out / "summary.json", summary)
    return summary


class _Plots:
    """PNG figures on pyplot-free Figures (Agg canvas)."""

    def __init__(self, out: Path, enabled: bool, files: list):
        self.out, self.on, self.files = out, enabled, files

    def _save(self, fig, name: str):
        from omm_cx.analysis.io import save_figure

        self.files.append(save_figure(fig, self.out / name))

    def _axes(self, ncols: int = 1, figsize=(5.0, 3.6)):
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize)
        return fig, fig.subplots(1, ncols, squeeze=False)[0]

    def facets(self, tab):
        if not self.on:
            return
        from omm_cx.analysis import plots

        fig, (ax,) = self._axes()
        plots.plot_facets(tab, ax=ax)
        self._save(fig, "facets.png")

    def exchange(self, tab, groups):
        if not self.on:
            return
        from omm_cx.analysis import plots

        for name, fn in (("exchange.png", plots.plot_exchange), ("anions.png", plots.plot_anions)):
            fig, (ax,) = self._axes()
            fn(tab, ax=ax)
            self._save(fig, name)
        fig, (ax,) = self._axes()
        plots.plot_counts(tab, ax=ax, names=(",".join(groups.in_going_species) or "-",
                                             groups.leaving_species or "-"))
        self._save(fig, "counts.png")

    def density(self, prof, bnd, groups):
        if not self.on:
            return
        from omm_cx.analysis import plots

        nw = len(prof.n_frames)
        labels = [s for s in groups.species_list if groups.role_of.get(s) != "ligand"]
        fig, axes = self._axes(nw, figsize=(4.0 * nw, 3.6))
        for w, ax in enumerate(axes):
            plots.plot_density(prof, labels, window=w, ax=ax, boundary_A=bnd[w])
        self._save(fig, "density.png")

    def rdf(self, res):
        if not self.on:
            return
        from omm_cx.analysis import plots

        fig, (ax,) = self._axes(figsize=(6.0, 4.0))
        plots.plot_rdf(res, ax=ax)
        self._save(fig, "rdf.png")

    def rmsd(self, res, threshold):
        if not self.on:
            return
        from omm_cx.analysis import plots

        fig, (ax,) = self._axes(figsize=(5.5, 4.5))
        plots.plot_rmsd_map(res, ax=ax, threshold_A=threshold)
        self._save(fig, "rmsd_map.png")

    def msd(self, res, fit):
        if not self.on:
            return
        from omm_cx.analysis import plots

        fig, (ax,) = self._axes()
        plots.plot_msd(res, fit, ax=ax)
        self._save(fig, "msd.png")


def find_trajectory(run_dir: str | os.PathLike) -> Path:
    """The trajectory of a run directory: traj.dcd or traj.xtc."""
    run_dir = Path(run_dir)
    for name in TRAJECTORY_NAMES:
        if (run_dir / name).is_file():
            return run_dir / name
    raise AnalysisError(f"{run_dir}: no trajectory ({' or '.join(TRAJECTORY_NAMES)}); run the "
                        f"simulation first or give --traj and --top")


def run_dir_files(run_dir: str | os.PathLike) -> tuple[Path, Path | None]:
    """(topology PDB, build.json or None) of a run directory (start.pdb, build/) or a
    build directory (structure.pdb, build.json)."""
    run_dir = Path(run_dir)
    candidates = [run_dir / "start.pdb", run_dir / "build" / "structure.pdb", run_dir / "structure.pdb"]
    top = next((p for p in candidates if p.is_file()), None)
    if top is None:
        raise AnalysisError(f"{run_dir}: neither start.pdb nor structure.pdb found (not a run "
                            f"or build directory); use --traj and --top")
    build = next((p for p in (run_dir / "build" / "build.json", run_dir / "build.json") if p.is_file()), None)
    return top, build


def analyze_run_dir(run_dir: str | os.PathLike, what: Sequence[str] | str = WHAT_DEFAULT,
                    dt_ps: float | None = None, options: AnalysisOptions | None = None,
                    out_dir: str | os.PathLike | None = None, strict: bool = False) -> dict:
    """Analyse a run directory (``omm-cx run`` output: start.pdb, traj.*, build/build.json)
    or a build directory with a trajectory (structure.pdb, build.json); outputs in
    ``DIR/analysis``."""
    run_dir = Path(run_dir)
    top, build = run_dir_files(run_dir)
    return analyze_trajectory(find_trajectory(run_dir), top, out_dir or run_dir / "analysis",
                              build, what, dt_ps, options, strict, label=run_dir.name)


def run_temperature_K(run_dir: str | os.PathLike) -> float | None:
    """Mean temperature (K) in DIR/state.csv (the runner's state log), or None."""
    path = Path(run_dir) / "state.csv"
    if not path.is_file():
        return None
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    if len(lines) < 2:
        return None
    head = [h.strip().strip('"#').strip() for h in lines[0].split(",")]
    col = next((i for i, h in enumerate(head) if h.lower().startswith("temperature")), None)
    if col is None:
        return None
    vals = []
    for ln in lines[1:]:
        try:
            vals.append(float(ln.split(",")[col]))
        except (ValueError, IndexError):
            continue
    return float(np.mean(vals)) if vals else None


def combine_runs(summaries: Sequence[dict], out_dir: str | os.PathLike,
                 labels: Sequence[str] | None = None,
                 temperatures_K: Sequence[float | None] | None = None, plots: bool = True) -> dict:
    """Combine several runs: jumps over runs (Table 2 with s.e.m.) and the Arrhenius fit
    of D(T) (needs the msd analysis and a temperature per run). Writes
    jumps_summary.json, jumps_runs.csv, arrhenius.csv/.json/.png in ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    labels = list(labels or [s.get("label") or f"run{i + 1}" for i, s in enumerate(summaries)])
    combined: dict = {"runs": labels, "outputs": []}
    per_run = [s["analyses"]["jumps"] for s in summaries if "jumps" in s.get("analyses", {})]
    if per_run and len(per_run) == len(summaries):
        comb = summarize_runs(per_run, labels)
        write_json(out / "jumps_summary.json", comb)
        keys = ("n_intf", "n_shell", "n_kick", "n_octa", "n_tetra", "n_other", "kick_ratio")
        write_csv(out / "jumps_runs.csv", {"run": np.array(labels + ["total", "mean", "sem"], dtype=object),
                                            **{k: np.array([comb["runs"][r][k] for r in labels]
                                                           + [comb["total"].get(k, float("nan")),
                                                              comb["mean"][k], comb["sem"][k]], float)
                                               for k in keys}})
        combined["jumps"] = {"kick_ratio_mean": comb["mean"]["kick_ratio"],
                             "kick_ratio_sem": comb["sem"]["kick_ratio"], "total": comb["total"]}
        combined["outputs"] += ["jumps_summary.json", "jumps_runs.csv"]
    D, E, T = [], [], []
    for s, t in zip(summaries, temperatures_K or [None] * len(summaries)):
        d = s.get("analyses", {}).get("msd", {}).get("diffusion", {})
        if "D_cm2_per_s" in d and t is not None:
            D.append(d["D_cm2_per_s"])
            E.append(d.get("D_err_cm2_per_s") or float("nan"))
            T.append(float(t))
    fit = None
    if len(D) >= 2:
        try:
            fit = arrhenius_fit(T, D, E)
        except AnalysisError as exc:
            combined["arrhenius"] = {"error": str(exc), "T_K": T, "D_cm2_per_s": D}
    if fit is not None:
        write_csv(out / "arrhenius.csv", {"T_K": np.array(T), "D_cm2_per_s": np.array(D),
                                          "D_err_cm2_per_s": np.array(E, float)})
        combined["arrhenius"] = {**fit.as_dict(), "D0_unit": "cm^2/s", "T_K": T, "D_cm2_per_s": D}
        write_json(out / "arrhenius.json", combined["arrhenius"])
        combined["outputs"] += ["arrhenius.csv", "arrhenius.json"]
        if plots:
            from matplotlib.figure import Figure

            from omm_cx.analysis import plots as P
            from omm_cx.analysis.io import save_figure

            fig = Figure(figsize=(5.0, 3.6))
            P.plot_arrhenius(T, D, E, fit, ax=fig.subplots())
            save_figure(fig, out / "arrhenius.png")
            combined["outputs"].append("arrhenius.png")
    elif temperatures_K is not None and "arrhenius" not in combined:
        combined["arrhenius"] = {"error": "needs the msd analysis and a temperature for two runs or more"}
    write_json(out / "summary.json", combined)
    return combined
