"""Lattice statics (like GULP) in numpy: lattice energies, relaxed structures, elastic
constants and bulk moduli of periodic crystals, and validation of force fields against
the published lattice statics.

Modules: :mod:`.lattice_sums` (Ewald + short-range sums), :mod:`.relax` (relaxation over
a, c, u), :mod:`.elastic` (c_ij, B), :mod:`.validate` (comparison with the papers).
"""

from omm_cx.lattice_statics.elastic import (
    UnstableStructureError,
    bulk_modulus_reuss,
    bulk_modulus_voigt,
    elastic_constants,
    independent_constants,
)
from omm_cx.lattice_statics.lattice_sums import (
    LatticeSum,
    ewald_energy,
    ewald_parameters,
    lattice_energy,
)
from omm_cx.lattice_statics.relax import (
    RelaxationError,
    RelaxedStructure,
    relax_phase,
    relax_structure,
)
from omm_cx.lattice_statics.transitions import transition_pressure
from omm_cx.lattice_statics.validate import (
    format_validation_table,
    phase_properties,
    validate_forcefield,
)

__all__ = [
    "LatticeSum", "RelaxationError", "RelaxedStructure", "UnstableStructureError",
    "bulk_modulus_reuss", "bulk_modulus_voigt", "elastic_constants", "ewald_energy",
    "ewald_parameters", "format_validation_table", "independent_constants",
    "lattice_energy", "phase_properties", "relax_phase", "relax_structure",
    "transition_pressure", "validate_forcefield",
]
