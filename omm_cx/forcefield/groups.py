"""Force groups of the systems omm_cx builds, and the context parameter of the merged
Lennard-Jones force: the names every reader of energies per part relies on."""

COULOMB_GROUP = 0
SHORT_RANGE_GROUP = 1
GUARD_GROUP = 2
#: Force groups whose energies make up the short-range part (pair terms + guard).
SHORT_RANGE_GROUPS = frozenset({SHORT_RANGE_GROUP, GUARD_GROUP})
#: Context parameter that scales the LJ part of the merged NonbondedForce (encoding
#: "nonbonded"): 1 in every simulation; 0 only to split the energy (energy_split_kjmol).
LJ_SCALE = "omm_cx_lj_scale"
