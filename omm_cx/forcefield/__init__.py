"""Force-field layer: parameter files -> validated parameters -> OpenMM forces."""

from omm_cx._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "ForceField": "params",
    "PairTerm": "params",
    "Species": "params",
    "available_forcefields": "params",
    "load_forcefield": "params",
})
