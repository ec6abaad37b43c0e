"""An isolated particle (000's dumbbells, in vacuum): the two fast paths and the check
of their force error against all pairs.

All pairs with no cutoff for every term (what 000 did) costs O(N^2) per step, mostly in
the short-range terms: 8.6 s per step for the ~12,000-ion dumbbells on 2 CPU cores.

* ``vacuum_method: short-range-cutoff`` (the dumbbell recipes use it): Coulomb over all
  pairs, with exact forces, and the short-range terms within the force field's 12 Å
  cutoff (:mod:`omm_cx.forcefield.vacuum_forces`). Its only approximation is the -C/r^6
  tails beyond 12 Å: 7e-4 eV/Å RMS on ``pbse-cdse-dumbbell-1``
  (``benchmarks/vacuum_path.json``).
* ``vacuum_padding_nm``: a periodic box with that much vacuum on every side, PME and the
  12 Å cutoff. PME sums the images with conducting ("tin-foil") boundaries; the field of
  the image dipoles of a cubic lattice then vanishes at the particle (adding the
  vacuum-boundary term 2 pi |M|^2 / 3V made the error 30 times larger in a test on a
  dipolar 3 nm PbSe sphere). In a non-cubic box a particle with a dipole still feels a
  uniform image field, and a long polar particle (a wurtzite rod with a Cd and a Se end)
  interacts with the charged ends of its images across the padding: for
  ``pbse-cdse-dumbbell-1`` (20.7 nm long) the RMS force error against all pairs is
  0.27 eV/Å with 2 nm of padding and 0.14 eV/Å with 3 nm (falling as 1/V), far above
  1e-3; subtracting the image dipole field (the dipolar Ewald lattice sum) made it worse.
  Use it for compact, weakly polar particles and read the recorded error. The padding
  must exceed half the cutoff so that no atom sees an image within the cutoff.

Both paths measure their force error at build time against all pairs
(:func:`force_error_vs_all_pairs`) and record it in build.json's ``vacuum``.
"""

from __future__ import annotations

import numpy as np

from omm_cx import units

#: Atoms on which the force error against all pairs is measured at build time.
SAMPLE_ATOMS = 2000

METHOD = ("periodic box around the isolated particle (vacuum padding on every side), PME "
          "(tin-foil boundaries) and the short-range cutoff; error measured against all pairs "
          "with no cutoff")

SHORT_RANGE_CUTOFF_METHOD = ("no box; Coulomb over every pair (reaction field with dielectric 1 "
                             "and a cutoff beyond the particle's largest pair distance: exact "
                             "forces, energy offset added back), short-range terms within the "
                             "force field's cutoff; error measured against all pairs with no "
                             "cutoff")


def vacuum_box(positions_A: np.ndarray, padding_nm: float) -> tuple[np.ndarray, np.ndarray]:
    """(box (3, 3) Å, shift (3,) Å): an orthorhombic box ``padding_nm`` wider than the
    particle's extent on every side, and the translation that centres the particle in it."""
    pos = np.asarray(positions_A, float)
    lo, hi = pos.min(axis=0), pos.max(axis=0)
    lengths = hi - lo + 2.0 * units.nm_to_angstrom(float(padding_nm))
    return np.diag(lengths), lengths / 2.0 - (lo + hi) / 2.0


def force_error_vs_all_pairs(ff, species, positions_A: np.ndarray, system,
                             platform: str | None = "CPU", sample: int = SAMPLE_ATOMS,
                             seed: int = 0) -> dict:
    """RMS and largest force error (eV/Å) of ``system`` (the periodic box or the
    short-range-cutoff path) against all pairs with no cutoff, and the RMS force, over
    ``sample`` atoms drawn at random (all atoms when there are fewer).

    The all-pairs forces come from :func:`all_pairs_forces` (NumPy, double precision,
    independent of OpenMM): for the sampled atoms only, so the check costs about a second
    for a 12,000-ion dumbbell where an all-pairs OpenMM evaluation takes ~10 s.
    """
    pos = np.asarray(positions_A, float)
    n = len(pos)
    rng = np.random.default_rng(seed)
    idx = np.arange(n) if n <= sample else np.sort(rng.choice(n, sample, replace=False))
    ref = all_pairs_forces(ff, species, pos, idx)
    got = _forces(system, pos, platform)[idx]
    err = np.linalg.norm(got - ref, axis=1)
    return {"rms_force_error_eV_per_A": float(np.sqrt(np.mean(err ** 2))),
            "max_force_error_eV_per_A": float(err.max()),
            "rms_force_eV_per_A": float(np.sqrt(np.mean(np.sum(ref ** 2, axis=1)))),
            "reference": f"all pairs, no cutoff (as 000), same positions; NumPy, double "
                         f"precision, on {len(idx)} of {n} atoms drawn at random"}


def all_pairs_forces(ff, species, positions_A: np.ndarray, idx: np.ndarray,
                     block: int = 128) -> np.ndarray:
    """Forces (len(idx), 3; eV/Å) on atoms ``idx`` from every other atom, no cutoff, no
    box: Coulomb, A exp(-r/rho) + B/r^12 - C/r^6 and the catastrophe walls of
    :mod:`omm_cx.forcefield.guard` (as OpenMM's all-pairs system has them)."""
    from omm_cx.forcefield.guard import WALL_EXPONENT
    from omm_cx.forcefield.openmm_forces import short_range_tables

    tab = short_range_tables(ff, species)
    index = {s: i for i, s in enumerate(tab.species)}
    t = np.array([index[s] for s in species])
    q = np.array([ff.charge(s) for s in species])
    pos = np.asarray(positions_A, float)
    r_wall, d_wall = tab.r_wall_A, tab.D_eV
    out = np.zeros((len(idx), 3))
    for start in range(0, len(idx), block):
        ii = np.asarray(idx[start:start + block])
        d = pos[ii, None, :] - pos[None, :, :]
        r = np.linalg.norm(d, axis=2)
        r[np.arange(len(ii)), ii] = np.inf  # no self-interaction
        ti, tj = t[ii][:, None], t[None, :]
        A, rho, B, C = (x[ti, tj] for x in (tab.A_eV, tab.rho_A, tab.B_eVA12, tab.C_eVA6))
        # -dE/dr of each term (eV/Å)
        f = units.COULOMB_EV_ANGSTROM * q[ii][:, None] * q[None, :] / r**2
        f += A / rho * np.exp(-r / rho) + 12.0 * B / r**13 - 6.0 * C / r**7
        rw, dw = r_wall[ti, tj], d_wall[ti, tj]
        inside = r < rw
        if inside.any():
            x = (rw[inside] / r[inside]) ** WALL_EXPONENT
            f[inside] += 2.0 * dw[inside] * WALL_EXPONENT * x * (x - 1.0) / r[inside]
        out[start:start + len(ii)] = np.einsum("ij,ijk->ik", f / r, d)
    return out


def _forces(system, positions_A: np.ndarray, platform: str | None) -> np.ndarray:
    import openmm as mm

    from omm_cx.platforms import get_platform

    plat, props = get_platform(platform, None)
    ctx = mm.Context(system, mm.VerletIntegrator(0.001), plat, props)
    ctx.setPositions(units.angstrom_to_nm(np.asarray(positions_A, float)))
    f = ctx.getState(getForces=True).getForces(asNumpy=True)
    return units.force_kjmol_nm_to_ev_angstrom(
        np.asarray(f.value_in_unit(mm.unit.kilojoule_per_mole / mm.unit.nanometer)))
