"""Crystal structure types (:mod:`.structures`) and the published phases with their
reference values (:mod:`.phases`): data shared by lattice statics, fitting and the
builders. Imports numpy only."""

from omm_cx.crystals.phases import (ALL_PHASES, LJ003_PHASES, PHASES, REFERENCE_SETS, SULFIDE_PHASES,
                                    TRANSITIONS, Phase, get_phase)
from omm_cx.crystals.structures import (ROLES, STRUCTURES, CrystalCell, CrystalStructure, Site,
                                        get_structure)

__all__ = ["ALL_PHASES", "LJ003_PHASES", "PHASES", "REFERENCE_SETS", "SULFIDE_PHASES", "TRANSITIONS", "Phase", "get_phase",
           "ROLES", "STRUCTURES", "CrystalCell", "CrystalStructure", "Site", "get_structure"]
