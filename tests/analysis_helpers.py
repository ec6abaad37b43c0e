"""Hand-built trajectories for the analysis tests (positions in Å, converted to mdtraj's
nm here); checked by tests/unit/test_analysis_helpers.py."""

from __future__ import annotations

import numpy as np

from omm_cx.analysis.groups import AnalysisGroups, DEFAULT_ROLES


def make_traj(species, frames_A, box_A=None, dt_ps: float = 2.0, t0_ps: float = 0.0):
    """mdtraj Trajectory with one atom per residue named by species. ``frames_A`` (n, N, 3)
    Å; ``box_A`` (3, 3) Å (same for every frame), (n, 3, 3), or None."""
    import mdtraj as md

    frames_A = np.asarray(frames_A, float)
    if frames_A.ndim == 2:
        frames_A = frames_A[None]
    top = md.Topology()
    chain = top.add_chain()
    for s in species:
        res = top.add_residue(s.upper()[:3], chain)
        try:
            el = md.element.get_by_symbol(s)
        except KeyError:
            el = md.element.virtual
        top.add_atom(s, el, res)
    n = len(frames_A)
    traj = md.Trajectory(frames_A / 10.0, top, time=t0_ps + np.arange(n) * dt_ps)
    if box_A is not None:
        box = np.asarray(box_A, float)
        if box.ndim == 2:
            box = np.repeat(box[None], n, axis=0)
        traj.unitcell_vectors = box / 10.0
    return traj


def make_groups(species, original=(), original_anions=(), in_going=(), roles=None) -> AnalysisGroups:
    role_of = {s: DEFAULT_ROLES.get(s, "cation") for s in set(species)}
    role_of.update(roles or {})
    return AnalysisGroups(np.array(species, dtype=object), role_of, list(original),
                          list(original_anions), list(in_going), "test")


def rocksalt_sites(a_A: float, radius_A: float, centre_on: str = "cation"):
    """Cation and anion sites (Å) of a rocksalt lattice within ``radius_A`` of the
    origin, which is a cation site (``centre_on='cation'``)."""
    n = int(np.ceil(radius_A / a_A)) + 1
    g = np.arange(-2 * n, 2 * n + 1)
    pts = np.array(np.meshgrid(g, g, g, indexing="ij")).reshape(3, -1).T * (a_A / 2)
    parity = (np.round(pts / (a_A / 2)).astype(int).sum(axis=1)) % 2
    r = np.linalg.norm(pts, axis=1)
    keep = r < radius_A
    cat = pts[keep & (parity == 0)]
    an = pts[keep & (parity == 1)]
    return cat, an


def fibonacci_sphere(n: int, radius_A: float) -> np.ndarray:
    """n points spread on a sphere of ``radius_A`` about the origin."""
    k = np.arange(n) + 0.5
    phi = np.arccos(1 - 2 * k / n)
    theta = np.pi * (1 + 5 ** 0.5) * k
    return radius_A * np.stack([np.cos(theta) * np.sin(phi), np.sin(theta) * np.sin(phi),
                                np.cos(phi)], axis=1)
