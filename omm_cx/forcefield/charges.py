"""The charges of an OpenMM ``NonbondedForce`` as plain numbers."""

from __future__ import annotations


def nonbonded_charges_e(nb) -> list[float]:
    """Every particle's charge in ``nb`` (an ``openmm.NonbondedForce``), in e."""
    import openmm.unit as u

    return [nb.getParticleParameters(i)[0].value_in_unit(u.elementary_charge)
            for i in range(nb.getNumParticles())]


__all__ = ["nonbonded_charges_e"]
