"""Fast forces for an isolated particle in vacuum (000's dumbbells): every Coulomb pair,
the short-range terms within the force field's cutoff.

All pairs for every term (what 000 did, :func:`~omm_cx.forcefield.openmm_forces.create_system`
without a box) spends almost all of its time on the short-range terms: an ``exp`` for
each of the ~73 million pairs of a 12,000-ion dumbbell, although the Buckingham terms
are negligible beyond a few Å. OpenMM cannot mix a Coulomb force without cutoff with a
short-range force with one (its CPU platform refuses: "All nonbonded Forces must agree
on whether to apply a cutoff"), so the Coulomb sum gets a cutoff too, but one longer
than every pair distance of the particle, and the reaction-field form with dielectric
1. Its pair energy is then ``k q_i q_j (1/r - 1/r_c)`` (OpenMM's k_rf = (eps_rf - 1) /
((2 eps_rf + 1) r_c^3) = 0, c_rf = 1/r_c): the force is exactly Coulomb's for every pair
inside r_c, and the energy differs from the plain sum by the constant
``-k sum_{i<j} q_i q_j / r_c``, which a constant-energy force adds back (so energies match
the all-pairs system too). The short-range force keeps its sharp cutoff (12 Å for the
published force fields); what it drops, the -C/r^6 tails beyond the cutoff, is the only
approximation, and the recipe route measures it at build time
(:func:`omm_cx.systems.vacuum.force_error_vs_all_pairs`).

Limits: a pair that moves farther apart than r_c loses its Coulomb interaction (the
recipe's margin is 3 nm beyond the particle's largest extent: a particle that does not
break up never gets there). On the CPU platform all nonbonded forces share the longest
neighbour list, so the short-range force still walks every pair (a distance test each);
it is ~10x faster than all pairs there, not more.
"""

from __future__ import annotations

import numpy as np

from omm_cx import units
from omm_cx.forcefield.charges import nonbonded_charges_e
from omm_cx.forcefield.groups import COULOMB_GROUP

#: How an isolated particle (no box) is computed.
#: "all-pairs": every term over all pairs, no cutoff (000's setting; exact, slow).
#: "short-range-cutoff": Coulomb over all pairs (exact forces), short-range terms within
#: the force field's cutoff (this module).
VACUUM_METHODS = ("all-pairs", "short-range-cutoff")
#: Margin of the Coulomb cutoff beyond the particle's largest pair distance (nm).
DEFAULT_MARGIN_NM = 3.0
#: Name of the constant-energy force that restores the plain Coulomb energy.
OFFSET_FORCE_NAME = "CoulombCutoffOffset"


def largest_pair_distance_nm(positions_A: np.ndarray) -> float:
    """An upper bound (nm) of the largest distance between two of ``positions_A`` (Å):
    the diagonal of their bounding box."""
    pos = np.asarray(positions_A, float)
    return units.angstrom_to_nm(float(np.linalg.norm(pos.max(axis=0) - pos.min(axis=0))))


def coulomb_offset_kjmol(charges_e: np.ndarray, coulomb_cutoff_nm: float) -> float:
    """``+k sum_{i<j} q_i q_j / r_c`` (kJ/mol): what the reaction-field cutoff subtracts
    from the plain Coulomb energy when every pair is inside ``r_c``."""
    q = np.asarray(charges_e, float)
    pair_sum = 0.5 * (q.sum() ** 2 - np.sum(q * q))
    return float(units.COULOMB_KJMOL_NM * pair_sum / coulomb_cutoff_nm)


def apply_short_range_cutoff(system, positions_A: np.ndarray, short_range_cutoff_A: float,
                             margin_nm: float = DEFAULT_MARGIN_NM) -> dict:
    """Turn an all-pairs system (built without a box) into the "short-range-cutoff" one,
    in place; returns {coulomb_cutoff_nm, largest_pair_distance_nm, short_range_cutoff_A,
    energy_offset_kJ_per_mol} for the build record.

    ``positions_A`` (N, 3) Å are the particle's positions (they set the Coulomb cutoff:
    their largest pair distance plus ``margin_nm``).
    """
    import openmm as mm

    if system.usesPeriodicBoundaryConditions():
        raise ValueError("apply_short_range_cutoff is for a system without a box")
    extent = largest_pair_distance_nm(positions_A)
    r_c = extent + float(margin_nm)
    charges = None
    for f in system.getForces():
        if isinstance(f, mm.NonbondedForce):
            f.setNonbondedMethod(mm.NonbondedForce.CutoffNonPeriodic)
            f.setCutoffDistance(r_c)
            f.setReactionFieldDielectric(1.0)
            charges = nonbonded_charges_e(f)
        elif isinstance(f, mm.CustomNonbondedForce):
            f.setNonbondedMethod(mm.CustomNonbondedForce.CutoffNonPeriodic)
            f.setCutoffDistance(units.angstrom_to_nm(short_range_cutoff_A))
    if charges is None:
        raise ValueError("the system has no NonbondedForce (Coulomb)")
    offset = coulomb_offset_kjmol(np.array(charges), r_c)
    const = mm.CustomExternalForce("offset")
    const.addGlobalParameter("offset", offset)
    const.addParticle(0, [])
    const.setName(OFFSET_FORCE_NAME)
    const.setForceGroup(COULOMB_GROUP)
    system.addForce(const)
    return {"coulomb_cutoff_nm": r_c, "largest_pair_distance_nm": extent,
            "short_range_cutoff_A": float(short_range_cutoff_A),
            "energy_offset_kJ_per_mol": offset}


__all__ = ["VACUUM_METHODS", "DEFAULT_MARGIN_NM", "apply_short_range_cutoff",
           "coulomb_offset_kjmol", "largest_pair_distance_nm"]
