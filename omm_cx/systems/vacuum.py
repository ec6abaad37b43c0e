"""An isolated particle (000's dumbbells, in vacuum) simulated in a periodic box.

All pairs with no cutoff (what 000 did) costs O(N^2) per step: 0.14 ns/day for the
~12,000-ion dumbbells on 2 CPU cores. Instead, a recipe with ``vacuum_padding_nm`` puts
the particle in an orthorhombic box with that much vacuum on every side, and the system
is computed like every periodic one: PME for the Coulomb sum and the 12 Å cutoff for the
short-range terms. PME sums the images with conducting ("tin-foil") boundaries, which is
what an isolated particle needs: the field of the image dipoles of a cubic lattice then
vanishes at the particle (adding the vacuum-boundary term 2 pi |M|^2 / 3V made the error
30 times larger in a test on a dipolar 3 nm PbSe sphere: it is the spherical vacuum sum
whose images act on the particle). In a non-cubic box a particle with a dipole still
feels a uniform image field, and a long polar particle (a wurtzite rod with a Cd and a Se
end) interacts with the charged ends of its images across the padding: for
``pbse-cdse-dumbbell-1`` (20.7 nm long) the RMS force error against all pairs is
0.27 eV/Å with 2 nm of padding and 0.14 eV/Å with 3 nm (falling as 1/V), far above 1e-3;
subtracting the image dipole field (the dipolar Ewald lattice sum) made it worse, since at
this padding the images are not dipoles to each other. Use this path for compact,
weakly polar particles and read the recorded error. Two approximations follow, both measured at build time against the
all-pairs reference (no cutoff, no box; :func:`force_error_vs_all_pairs`) and recorded in
build.json's ``vacuum``: the interaction with the periodic images (it falls with the
padding; a particle with a dipole, such as a polar wurtzite rod, feels it most) and the
short-range terms beyond 12 Å (the -C/r^6 tails). The padding must exceed half the cutoff
so that no atom sees an image within the cutoff; the particle may drift, but it crosses
no boundary harmfully: the box is periodic and the analyses unwrap it.
"""

from __future__ import annotations

import numpy as np

from omm_cx import units

METHOD = ("periodic box around the isolated particle (vacuum padding on every side), PME "
          "(tin-foil boundaries) and the short-range cutoff; error measured against all pairs "
          "with no cutoff")


def vacuum_box(positions_A: np.ndarray, padding_nm: float) -> tuple[np.ndarray, np.ndarray]:
    """(box (3, 3) Å, shift (3,) Å): an orthorhombic box ``padding_nm`` wider than the
    particle's extent on every side, and the translation that centres the particle in it."""
    pos = np.asarray(positions_A, float)
    lo, hi = pos.min(axis=0), pos.max(axis=0)
    lengths = hi - lo + 2.0 * units.nm_to_angstrom(float(padding_nm))
    return np.diag(lengths), lengths / 2.0 - (lo + hi) / 2.0


def force_error_vs_all_pairs(ff, species, positions_A: np.ndarray, box_A: np.ndarray,
                             platform: str | None = "CPU") -> dict:
    """RMS and largest force error (eV/Å) of the periodic system (box ``box_A``) against
    all pairs with no cutoff, for the given positions; and the RMS force."""
    from omm_cx.forcefield.openmm_forces import create_system

    ref = _forces(create_system(ff, species, None), positions_A, platform)
    boxed = _forces(create_system(ff, species, box_A), positions_A, platform)
    err = np.linalg.norm(boxed - ref, axis=1)
    return {"rms_force_error_eV_per_A": float(np.sqrt(np.mean(err ** 2))),
            "max_force_error_eV_per_A": float(err.max()),
            "rms_force_eV_per_A": float(np.sqrt(np.mean(np.sum(ref ** 2, axis=1)))),
            "reference": "all pairs, no cutoff (as 000), same positions"}


def _forces(system, positions_A: np.ndarray, platform: str | None) -> np.ndarray:
    import openmm as mm

    from omm_cx.platforms import get_platform

    plat, props = get_platform(platform, None)
    ctx = mm.Context(system, mm.VerletIntegrator(0.001), plat, props)
    ctx.setPositions(units.angstrom_to_nm(np.asarray(positions_A, float)))
    f = ctx.getState(getForces=True).getForces(asNumpy=True)
    return units.force_kjmol_nm_to_ev_angstrom(
        np.asarray(f.value_in_unit(mm.unit.kilojoule_per_mole / mm.unit.nanometer)))
