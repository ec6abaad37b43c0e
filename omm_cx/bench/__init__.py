"""Benchmarks: omm_cx against LAMMPS at equal force accuracy (:mod:`.benchmark`),
concurrent replicas on one device (:mod:`.replicas`) and the LAMMPS bridge
(:mod:`.lammps`, also used by the LAMMPS reference tests)."""

from omm_cx._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "run_benchmark": "benchmark",
})
