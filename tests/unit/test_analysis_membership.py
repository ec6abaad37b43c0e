"""Geometry helpers and NC membership on hand-built configurations with known answers."""

import numpy as np
import pytest

from omm_cx.periodic import NeighborSearch, Unwrapper, cluster_centre, minimum_image, wrap
from omm_cx.analysis.groups import groups_from_geometry
from omm_cx.analysis.membership import (MembershipCriterion, compute_membership, frame_membership,
                                        nearest_anion_distance_A)

from analysis_helpers import make_groups, make_traj, rocksalt_sites

A = 6.0  # rocksalt lattice parameter of the hand-built NCs (Å)


def test_cluster_centre_across_the_boundary_is_exact():
    rng = np.random.default_rng(3)
    box = np.diag([30.0, 40.0, 50.0])
    pts = rng.normal(scale=4.0, size=(200, 3))
    true = np.array([1.0, 39.0, 25.0])  # near the x and y faces: the cluster is cut by them
    centre, unwrapped = cluster_centre(wrap(pts + true, box), box)
    assert np.allclose(centre, wrap((pts + true).mean(axis=0)[None], box)[0], atol=1e-9)
    assert np.allclose(unwrapped - centre, pts - pts.mean(axis=0), atol=1e-9)


def test_triclinic_neighbour_search_matches_orthorhombic_images():
    rng = np.random.default_rng(0)
    box = np.array([[20.0, 0, 0], [5.0, 18.0, 0], [3.0, 4.0, 22.0]])
    pts = rng.random((80, 3)) @ box
    ns = NeighborSearch(pts, box)
    # brute force over 27 images
    shifts = np.array([[i, j, k] for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)]) @ box
    d = np.linalg.norm(pts[:, None, None, :] + shifts[None, None] - pts[None, :, None, :], axis=-1).min(axis=2)
    np.fill_diagonal(d, np.inf)
    assert np.array_equal(ns.count_within(pts, 6.0) - 1, (d <= 6.0).sum(axis=1))
    assert len(ns.pairs(6.0)) == (d < 6.0).sum() // 2
    dist, _ = ns.nearest(pts, 2)
    assert np.allclose(dist[:, 1], d.min(axis=1))


def test_unwrapper_follows_atoms_through_the_box():
    box = np.eye(3) * 10.0
    v = np.array([[3.0, -4.0, 0.5]])
    un = Unwrapper()
    for t in range(20):
        u = un(wrap(np.array([[1.0, 1.0, 1.0]]) + v * t, box), box)
    assert np.allclose(u, [[1.0, 1.0, 1.0]] + v * 19)
    assert np.allclose(minimum_image(np.array([6.0, -6.0, 4.0]), box), [-4.0, 4.0, 4.0])


def _nc_in_box(extra_species=(), extra_pos=()):
    """Rocksalt PbSe sphere (r < 9 Å, centred on a Pb site) in a 60 Å box, plus extras."""
    cat, an = rocksalt_sites(A, 9.0)
    c0 = np.array([30.0, 30.0, 30.0])
    species = ["Pb"] * len(cat) + ["Se"] * len(an) + list(extra_species)
    pos = np.vstack([cat + c0, an + c0] + ([np.asarray(extra_pos, float)] if len(extra_pos) else []))
    return species, pos, len(cat), len(an)


def test_membership_counts_adsorbed_cations_and_drops_dissolved_anions():
    species, pos, nc, na = _nc_in_box()
    an = pos[nc:nc + na]
    c0 = np.array([30.0, 30.0, 30.0])
    # an outermost anion and the outward direction
    far = int(np.argmax(np.linalg.norm(an - c0, axis=1)))
    out = (an[far] - c0) / np.linalg.norm(an[far] - c0)
    extras = ["Cd", "Cd", "Cd", "Se", "PSL"]
    extra_pos = [an[far] + 2.8 * out,       # adsorbed on the surface anion: in the NC
                 an[far] + 3.59 * out,      # just inside the 3.6 Å cutoff: in
                 an[far] + 6.0 * out,       # second layer, no anion within 3.6 Å: out
                 c0 + [22.0, 0, 0],         # dissolved anion far from the NC: out
                 an[far] + 3.0 * out + [0, 0, 0.0]]  # a ligand is never in the NC
    extra_pos[4] = c0 + [0, 22.0, 0]
    species, pos, nc, na = _nc_in_box(extras, extra_pos)
    box = np.eye(3) * 60.0
    g = make_groups(species)
    crit = MembershipCriterion().resolved(pos, box, g.anions)
    assert crit.framework_cutoff_A == pytest.approx(1.2 * A / np.sqrt(2))
    m = frame_membership(pos, box, g.cations, g.anions, crit)
    n0 = nc + na
    assert list(m.nc_anions) == list(range(nc, nc + na))  # the dissolved Se (n0 + 3) is out
    assert set(m.nc_cations) == set(range(nc)) | {n0, n0 + 1}
    assert np.allclose(m.centre_A, c0, atol=1e-9)  # the anion framework is symmetric about c0
    mask = m.mask(len(species))
    assert not mask[n0 + 2] and not mask[n0 + 3] and not mask[n0 + 4]
    # min_anions = 2: the singly bonded adsorbed Cd ions are out, surface Pb (>= 3 bonds) in
    m2 = frame_membership(pos, box, g.cations, g.anions, MembershipCriterion(min_anions=2).resolved(pos, box, g.anions))
    assert set(m2.nc_cations) == set(range(nc))


def test_membership_radius_rule_and_wrapped_nc():
    species, pos, nc, na = _nc_in_box(["Cd", "Cd"], [[30.0 + 9.5, 30, 30], [30.0 + 16.0, 30, 30]])
    box = np.eye(3) * 60.0
    g = make_groups(species)
    # move the whole system so the NC straddles the periodic boundary
    shifted = wrap(pos + np.array([-30.0, 28.0, 0.0]), box)
    crit = MembershipCriterion(method="radius", radius_margin_A=1.0).resolved(shifted, box, g.anions)
    m = frame_membership(shifted, box, g.cations, g.anions, crit)
    an = pos[nc:nc + na] - 30.0
    r_eq = np.sqrt(5 / 3) * np.sqrt(np.mean(np.sum(an ** 2, axis=1)))
    assert m.radius_A == pytest.approx(r_eq)
    assert np.allclose(minimum_image(m.centre_A - np.array([0.0, 58.0, 30.0]), box), 0, atol=1e-9)
    expect = {i for i in range(nc) if np.linalg.norm(pos[i] - 30.0) < r_eq + 1.0}
    if 9.5 < r_eq + 1.0:
        expect.add(nc + na)
    assert set(m.nc_cations) == expect
    assert nc + na + 1 not in set(m.nc_cations)


def test_compute_membership_over_frames_and_geometric_groups():
    species, pos, nc, na = _nc_in_box(["Cd"], [[30.0, 30.0, 50.0]])
    box = np.eye(3) * 60.0
    frames = np.stack([pos, pos])
    frames[1, -1] = pos[nc + int(np.argmax(pos[nc:nc + na, 2]))] + [0, 0, 2.7]  # Cd adsorbs
    traj = make_traj(species, frames, box)
    g = make_groups(species, original=range(nc), original_anions=range(nc, nc + na),
                    in_going=[len(species) - 1])
    mem = compute_membership(traj, g)
    assert mem.in_nc.shape == (2, len(species))
    assert not mem.in_nc[0, -1] and mem.in_nc[1, -1]
    assert mem.in_nc[:, :nc + na].all()
    assert mem.time_ps.tolist() == [0.0, 2.0]
    # geometric fallback: the NC cations of frame 0 are the original ones; Cd is in-going
    fb = groups_from_geometry(species, frames[0], box)
    assert list(fb.original) == list(range(nc))
    assert list(fb.in_going) == [len(species) - 1]
    assert list(fb.original_anions) == list(range(nc, nc + na))
    assert "geometric fallback" in fb.source
    assert fb.leaving_species == "Pb" and fb.in_going_species == ("Cd",)


def test_nearest_anion_distance_of_rocksalt():
    cat, an = rocksalt_sites(A, 12.0)
    assert nearest_anion_distance_A(an, None, np.arange(len(an))) == pytest.approx(A / np.sqrt(2))
