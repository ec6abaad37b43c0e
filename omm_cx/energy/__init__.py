"""Energies of fixed structures: single points (:mod:`.single_point`) and straight paths
with the other atoms relaxed (:mod:`.path`)."""

from omm_cx._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "SinglePoint": "single_point",
    "single_point": "single_point",
    "straight_path": "path",
    "load_path_inputs": "path",
})
