"""Benchmarks: omm_cx against LAMMPS at equal force accuracy (:mod:`.benchmark`),
concurrent replicas on one device (:mod:`.replicas`) and the LAMMPS bridge
(:mod:`.lammps`, also used by the LAMMPS reference tests)."""
