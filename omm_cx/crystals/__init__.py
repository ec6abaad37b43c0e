"""Crystal structure types (:mod:`.structures`) and the published phases with their
reference values (:mod:`.phases`) and a
rocksalt / zinc-blende {111} superlattice (:mod:`.interface_stack`): data shared by lattice statics, fitting and the
builders. Imports numpy only."""

from omm_cx._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "ALL_PHASES": "phases",
    "LJ003_PHASES": "phases",
    "PHASES": "phases",
    "REFERENCE_SETS": "phases",
    "SULFIDE_PHASES": "phases",
    "TRANSITIONS": "phases",
    "Phase": "phases",
    "get_phase": "phases",
    "ROLES": "structures",
    "STRUCTURES": "structures",
    "CrystalCell": "structures",
    "CrystalStructure": "structures",
    "Site": "structures",
    "get_structure": "structures",
    "rocksalt_zincblende_stack": "interface_stack",
    "InterfaceStack": "interface_stack",
})
