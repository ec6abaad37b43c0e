"""Coulomb's real space moved into the native kernel (encoding ``"native-coulomb"``).

LAMMPS's ``buck/coul/long`` computes the Buckingham terms and the real-space Ewald sum in
one pair loop. The same here: the native force takes ``k q_i q_j erfc(alpha r)/r`` for
every pair within the Coulomb cutoff, and the PME ``NonbondedForce`` keeps its reciprocal
part only (``setIncludeDirectSpace(False)``, with alpha and the grid made explicit: the
values OpenMM's tolerance rule gave): every pair is counted once. The energy of the real
space then sits in the short-range force group, so per-group energy splits
(``omm-cx energy``) use the other encodings. An OpenMM without that switch cannot split
the force this way (:func:`supported`); the native kernel then leaves Coulomb alone.
"""

from __future__ import annotations


def supported() -> bool:
    """True when this OpenMM's NonbondedForce can leave out its direct space."""
    import openmm as mm

    return hasattr(mm.NonbondedForce, "setIncludeDirectSpace")


def fused(system) -> bool:
    """True when ``system``'s native force computes Coulomb's real space
    (``native-coulomb``): its PME NonbondedForce leaves out the direct space."""
    import openmm as mm

    return supported() and any(isinstance(f, mm.NonbondedForce) and not f.getIncludeDirectSpace()
                               for f in system.getForces())


def pme_parameters(nb, box_vectors) -> tuple[float, int, int, int]:
    """(alpha 1/nm, nx, ny, nz) the PME ``NonbondedForce`` ``nb`` runs with: its explicit
    ones, or those OpenMM derives from its tolerance (read from a Reference context of a
    system holding only a copy of ``nb``)."""
    import openmm as mm
    import openmm.unit as u

    alpha, nx, ny, nz = nb.getPMEParameters()
    alpha = alpha.value_in_unit(u.nanometer**-1) if hasattr(alpha, "value_in_unit") else float(alpha)
    if alpha > 0:
        return alpha, nx, ny, nz
    probe = mm.System()
    for _ in range(nb.getNumParticles()):
        probe.addParticle(1.0)
    probe.setDefaultPeriodicBoxVectors(*box_vectors)
    probe.addForce(mm.XmlSerializer.clone(nb))
    ctx = mm.Context(probe, mm.VerletIntegrator(1e-3), mm.Platform.getPlatformByName("Reference"))
    alpha, nx, ny, nz = probe.getForce(0).getPMEParametersInContext(ctx)
    return (alpha.value_in_unit(u.nanometer**-1) if hasattr(alpha, "value_in_unit") else float(alpha),
            nx, ny, nz)


def take_real_space(nb, box_vectors) -> dict:
    """Make ``nb`` keep only the reciprocal part; returns the native force's Coulomb
    settings (charges in e, ``alpha_per_nm``, ``cutoff_nm``). ValueError where ``nb`` is
    not a plain PME Coulomb force (exceptions or Lennard-Jones terms) or this OpenMM
    cannot leave out the direct space."""
    import openmm as mm
    import openmm.unit as u

    from omm_cx.forcefield.charges import nonbonded_charges_e

    if not supported():
        raise ValueError("this OpenMM's NonbondedForce has no setIncludeDirectSpace")
    if nb.getNonbondedMethod() != mm.NonbondedForce.PME:
        raise ValueError("the Coulomb force is not PME")
    if nb.getNumExceptions() or nb.getNumGlobalParameters() or nb.getNumParticleParameterOffsets():
        raise ValueError("the Coulomb force has exceptions or parameter offsets")
    if any(nb.getParticleParameters(i)[2].value_in_unit(u.kilojoule_per_mole) != 0
           for i in range(nb.getNumParticles())):
        raise ValueError("the Coulomb force carries Lennard-Jones terms")
    charges = nonbonded_charges_e(nb)
    alpha, nx, ny, nz = pme_parameters(nb, box_vectors)
    cutoff = nb.getCutoffDistance().value_in_unit(u.nanometer)
    nb.setPMEParameters(alpha, nx, ny, nz)
    nb.setIncludeDirectSpace(False)
    return {"charges": charges, "alpha_per_nm": alpha, "cutoff_nm": cutoff}
