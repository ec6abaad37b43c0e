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
