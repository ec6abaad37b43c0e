"""Lattice statics (like GULP) in numpy: lattice energies, relaxed structures, elastic
constants and bulk moduli of periodic crystals, and validation of force fields against
the published lattice statics.

Modules: :mod:`.lattice_sums` (Ewald + short-range sums), :mod:`.relax` (relaxation over
a, c, u), :mod:`.relax_cell`
(every position and the cell), :mod:`.elastic` (c_ij, B), :mod:`.validate` (comparison with the papers).
"""

from omm_cx._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "UnstableStructureError": "elastic",
    "bulk_modulus_reuss": "elastic",
    "bulk_modulus_voigt": "elastic",
    "elastic_constants": "elastic",
    "independent_constants": "elastic",
    "LatticeSum": "lattice_sums",
    "ewald_energy": "lattice_sums",
    "ewald_parameters": "lattice_sums",
    "lattice_energy": "lattice_sums",
    "RelaxationError": "relax",
    "RelaxedStructure": "relax",
    "relax_phase": "relax",
    "relax_structure": "relax",
    "RelaxedCell": "relax_cell",
    "relax_cell": "relax_cell",
    "transition_pressure": "transitions",
    "format_validation_table": "validate",
    "phase_properties": "validate",
    "validate_forcefield": "validate",
})
