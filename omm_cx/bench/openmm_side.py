"""The OpenMM side of the benchmark: each platform and short-range encoding at the
cheapest PME tolerance that meets the target, with PME alpha and grid tuned for it, the
fastest once more in NPT, and each row's ``retime`` for the interleaved repeats."""

from __future__ import annotations

import os

import numpy as np

from omm_cx.bench.results import EngineResult, frames_of, openmm_error
from omm_cx.bench.timing import ns_per_day, time_openmm

OPENMM_TOLERANCES = (1e-3, 5e-4, 3e-4, 2e-4, 1.5e-4, 1.2e-4, 1e-4, 8e-5, 6e-5, 4e-5, 2e-5)


def _openmm_system(ff, species, box_A, tolerance, encoding="auto"):
    from omm_cx.forcefield.openmm_forces import CoulombSettings, create_system

    return create_system(ff, species, box_A, coulomb=CoulombSettings(ewald_error_tolerance=tolerance),
                         encoding=encoding)


def platform_encoding(encoding: str, platform_name: str, ff, species, box_A) -> str:
    """The concrete encoding a run would use on ``platform_name`` for ``encoding``: "auto"
    is "native-coulomb" on the CPU platform where the compiled kernel applies and builds
    (as ``short_range_kernel: auto`` in runs), else what ``create_system`` picks."""
    if encoding != "auto":
        return encoding
    from omm_cx.forcefield.native.swap import choose_kernel
    from omm_cx.forcefield.openmm_forces import create_system

    from omm_cx.forcefield.native.coulomb import supported

    probe = create_system(ff, species, box_A, encoding="auto")
    if box_A is not None and choose_kernel("auto", platform_name, probe) == "native":
        return "native-coulomb" if supported() else "native"
    return _encoding_of(probe)


def _encoding_of(system) -> str:
    """'tables', 'onehot', 'nonbonded' or 'native': how the system holds its short-range
    pair values."""
    import openmm as mm

    from omm_cx.forcefield.openmm_forces import LJ_SCALE

    for f in system.getForces():
        if f.getName() == "ShortRange" and not isinstance(f, mm.CustomNonbondedForce):
            from omm_cx.forcefield.native.coulomb import fused

            return "native-coulomb" if fused(system) else "native"
        if isinstance(f, mm.NonbondedForce) and f.getNumGlobalParameters() and \
                f.getGlobalParameterName(0) == LJ_SCALE:
            return "nonbonded"
        if isinstance(f, mm.CustomNonbondedForce) and f.getForceGroup() == 1:
            return "tables" if f.getNumTabulatedFunctions() else "onehot"
    return "n/a"


def bench_openmm(ff, built, positions_A, ref, platform_name, *, steps, temperature_K,
                 target, encoding="auto", log=print):
    """(EngineResult, the timed openmm.System) at the cheapest PME tolerance that meets
    ``target`` (RMS force error, eV/Å; the worst frame's when ``positions_A`` and ``ref``
    hold several frames, :func:`~omm_cx.bench.results.frames_of`; the MD starts from the
    first)."""
    from omm_cx.platforms import get_platform

    platform, props = get_platform(platform_name)
    species, box = built.structure.species, built.structure.box_A
    encoding = platform_encoding(encoding, platform_name, ff, species, box)
    chosen = None
    for tol in OPENMM_TOLERANCES:
        system = _openmm_system(ff, species, box, tol, encoding)
        err = openmm_error(system, positions_A, ref, platform, props)
        log(f"  OpenMM {platform_name} ({_encoding_of(system)}): ewald tolerance {tol:g} -> "
            f"RMS force error {err:.2e} eV/Å")
        chosen = (tol, err, system)
        if err <= target:
            break
    tol, err, system = chosen
    start = frames_of(positions_A, ref)[0][0]
    dt, device = time_openmm(system, start, platform, props, steps, temperature_K)
    on_cpu = platform_name in ("CPU", "Reference") or _opencl_on_cpu_or_cpu(platform_name)
    threads = (os.cpu_count() or 1) if on_cpu else 0
    precision = props.get("Precision", "mixed" if platform_name == "CPU" else
                          "double" if platform_name == "Reference" else "default")
    return EngineResult("omm_cx", platform_name, precision, len(species), threads,
                        f"PME ewald_error_tolerance={tol:g}, {_encoding_of(system)}", err,
                        dt * 1e3, ns_per_day(dt), device,
                        retime=_openmm_timer(system, start, platform, props, steps, temperature_K)
                        ), system


def _openmm_timer(system, positions_A, platform, props, steps, temperature_K):
    """A ``retime`` of :class:`EngineResult`: ms per step of one more timing."""
    return lambda: 1e3 * time_openmm(system, positions_A, platform, props, steps, temperature_K)[0]


def bench_openmm_tuned(ff, built, positions_A, ref, platform_name, *, steps, temperature_K,
                       target, encoding="auto", log=print):
    """(EngineResult, system) with PME alpha and grid tuned for ``target`` by measurement
    (:mod:`omm_cx.bench.pme_tuning`); (None, None) when no setting meets it."""
    from omm_cx.bench.pme_tuning import coulomb, openmm_force_error, tune_pme
    from omm_cx.forcefield.openmm_forces import create_system
    from omm_cx.platforms import get_platform

    platform, props = get_platform(platform_name)
    species, box = built.structure.species, built.structure.box_A
    encoding = platform_encoding(encoding, platform_name, ff, species, box)
    best = tune_pme(openmm_force_error(ff, species, box, positions_A, ref, platform, props, encoding),
                    target, log=log)
    if best is None:
        return None, None
    system = create_system(ff, species, box, encoding=encoding,
                           coulomb=coulomb(best.alpha_per_nm, best.grid, box))
    start = frames_of(positions_A, ref)[0][0]
    dt, device = time_openmm(system, start, platform, props, steps, temperature_K)
    threads = (os.cpu_count() or 1) if _opencl_on_cpu_or_cpu(platform_name) else 0
    precision = props.get("Precision", "mixed" if platform_name == "CPU" else "default")
    return EngineResult("omm_cx", platform_name, precision, len(species), threads,
                        f"{best.describe()}, {_encoding_of(system)}",
                        best.rms_force_error_eV_per_A, dt * 1e3, ns_per_day(dt), device,
                        retime=_openmm_timer(system, start, platform, props, steps, temperature_K)
                        ), system


def openmm_results(ff, built, pos, ref, names, *, encodings, steps, temperature_K, target,
                   tune, profile, replicas, log=print):
    """(rows, {id(row): (System, platform)}, profiles, replica rows) of every OpenMM platform
    in ``names`` and encoding (:func:`~omm_cx.bench.benchmark.run_benchmark` says what
    each argument asks for)."""
    results: list[EngineResult] = []
    systems: dict[int, tuple] = {}  # id(row) -> (its timed System, its platform)
    replica_rows: list[dict] = []
    profiles: dict[str, dict[str, float]] = {}
    for name in names:
        resolved = list(dict.fromkeys(  # each concrete encoding once per platform
            platform_encoding(e, name, ff, built.structure.species, built.structure.box_A)
            for e in encodings))
        for enc in resolved:
            res, system = bench_openmm(ff, built, pos, ref, name, steps=steps, encoding=enc,
                                       temperature_K=temperature_K, target=target, log=log)
            results.append(res)
            systems[id(res)] = (system, name)
            if tune:
                tuned, tuned_system = bench_openmm_tuned(
                    ff, built, pos, ref, name, steps=steps, encoding=enc,
                    temperature_K=temperature_K, target=target, log=log)
                if tuned is not None:
                    results.append(tuned)
                    systems[id(tuned)] = (tuned_system, name)
                    if tuned.ms_per_step < res.ms_per_step:
                        system = tuned_system
            if profile:
                profiles[f"{name} ({enc})" if len(resolved) > 1 else name] = _profile(
                    system, pos[0], name, temperature_K)
            if replicas and not replica_rows:
                from omm_cx.bench.replicas import run_replicas

                replica_rows = run_replicas(system, pos[0], name, replicas, steps=steps,
                                            temperature_K=temperature_K, log=log)
    return results, systems, profiles, replica_rows


def _profile(system, positions_A, platform_name: str, temperature_K: float) -> dict:
    from omm_cx.bench.profile import profile_forces
    from omm_cx.platforms import get_platform

    plat, props = get_platform(platform_name)
    return profile_forces(system, positions_A, plat, props, temperature_K=temperature_K)


#: The Monte Carlo barostat of the NPT rows: 1 bar, a move every 25 steps.
NPT_BAROSTAT_FREQUENCY = 25


def _openmm_npt(results, systems, positions_A, steps, temperature_K, log) -> list[EngineResult]:
    """The fastest omm_cx CPU-side NVT row once more in NPT (OpenMM's Monte Carlo barostat,
    1 bar, every :data:`NPT_BAROSTAT_FREQUENCY` steps); [] when there is none."""
    import openmm as mm

    from omm_cx.platforms import get_platform

    rows = [r for r in results if r.engine == "omm_cx" and id(r) in systems
            and _opencl_on_cpu_or_cpu(r.platform) and np.isfinite(r.ns_per_day)]
    if not rows:
        return []
    best = max(rows, key=lambda r: r.ns_per_day)
    system, name = systems[id(best)]
    npt = mm.XmlSerializer.clone(system)
    npt.addForce(mm.MonteCarloBarostat(1.0, temperature_K, NPT_BAROSTAT_FREQUENCY))
    plat, props = get_platform(name)
    timer = _openmm_timer(npt, positions_A, plat, props, steps, temperature_K)
    ms = timer()
    log(f"  OpenMM {name} NPT (Monte Carlo barostat every {NPT_BAROSTAT_FREQUENCY} steps), "
        f"{best.setting}: {ms:.2f} ms/step")
    return [EngineResult("omm_cx", best.platform, best.precision, best.particles, best.threads,
                         f"{best.setting}, MC barostat 1 bar every {NPT_BAROSTAT_FREQUENCY} steps",
                         best.rms_force_error_eV_per_A, ms, ns_per_day(ms * 1e-3), best.device,
                         ensemble="NPT", retime=timer)]


def _opencl_on_cpu_or_cpu(name: str) -> bool:
    from omm_cx.platforms import opencl_is_cpu_only

    return name == "CPU" or opencl_is_cpu_only()
