"""LAMMPS layouts of the benchmark (omm_cx.bench.lammps_run.Layout): labels, precision and
the command-line arguments of each accelerator package."""

from omm_cx.bench.lammps_configs import layouts
from omm_cx.bench.lammps_run import Layout


def test_layouts_without_and_with_the_intel_package():
    plain = layouts(2)
    assert [lay.label for lay in plain] == [
        "2 MPI ranks x 1 OpenMP thread (-sf omp)", "2 MPI ranks (no OPENMP package)",
        "1 MPI rank x 2 OpenMP threads (-sf omp)"]
    every = layouts(2, intel=True)
    assert every[:3] == plain
    intel = every[3:]
    assert [(lay.ranks, lay.threads, lay.intel) for lay in intel] == [
        (2, 1, "mixed"), (1, 2, "mixed"), (2, 1, "double"), (1, 2, "double")]
    assert [lay.precision for lay in intel] == ["mixed", "mixed", "double", "double"]
    assert all(lay.precision == "double" for lay in plain)


def test_suffix_arguments():
    assert Layout(2, 1).suffix_args() == ["-sf", "omp", "-pk", "omp", "1"]
    assert Layout(2, 1, omp=False).suffix_args() == []
    assert Layout(1, 2, intel="mixed").suffix_args() == [
        "-sf", "intel", "-pk", "intel", "0", "mode", "mixed", "omp", "2"]
    assert Layout(1, 2, intel="mixed").label == "1 MPI rank x 2 threads (-sf intel, mixed)"


def _row(engine, precision, ns_per_day, ensemble="NVT", error=5e-5):
    from omm_cx.bench.results import EngineResult

    return EngineResult(engine, "CPU", precision, 100, 2, "s", error, 1.0 / ns_per_day,
                        ns_per_day, ensemble=ensemble)


def test_the_ratio_is_against_lammps_of_the_same_precision_class_or_a_stricter_one():
    from omm_cx.bench.benchmark import _fastest

    rows = [_row("omm_cx", "mixed", 10.0), _row("lammps", "mixed", 3.0),
            _row("lammps", "double", 5.0), _row("lammps", "double", 50.0, error=2e-4),
            _row("lammps", "double", 40.0, ensemble="NPT")]
    best, ratio = _fastest(rows, 1e-4)
    assert ratio == 2.0  # mixed omm_cx against the faster double LAMMPS (stricter class)
    assert best["lammps_mixed"]["ns_per_day"] == 3.0 and best["lammps_double"]["ns_per_day"] == 5.0
    best, ratio = _fastest([_row("omm_cx", "double", 10.0), *rows[1:]], 1e-4)
    assert ratio == 2.0 and "lammps_mixed" not in best  # double omm_cx: double LAMMPS only
    best, ratio = _fastest([_row("omm_cx", "double", 10.0), rows[1]], 1e-4)
    assert ratio is None  # LAMMPS has only mixed rows: no ratio for a double omm_cx
    _, ratio = _fastest(rows + [_row("omm_cx", "mixed", 8.0, ensemble="NPT")], 1e-4, "NPT")
    assert ratio == 0.2
