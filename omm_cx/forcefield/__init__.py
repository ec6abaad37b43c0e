"""Force-field layer: parameter files -> validated parameters -> OpenMM forces."""

from omm_cx.forcefield.params import (
    ForceField,
    PairTerm,
    Species,
    available_forcefields,
    load_forcefield,
)

__all__ = ["ForceField", "PairTerm", "Species", "available_forcefields", "load_forcefield"]
