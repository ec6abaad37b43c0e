"""The one periodic neighbour search (omm_cx.periodic.NeighborSearch) against brute force
in triclinic and orthorhombic boxes, and the structure checks built on it."""

import numpy as np
import pytest

from omm_cx.io.pdb import closest_pair
from omm_cx.periodic import NeighborSearch

TRICLINIC = np.array([[20.0, 0, 0], [5.0, 18.0, 0], [3.0, 4.0, 22.0]])
ORTHO = np.diag([19.0, 21.0, 23.0])


def _brute(a, b, box):
    """Exact minimum-image distances (len(a), len(b)) over 125 images."""
    if box is None:
        return np.linalg.norm(a[:, None] - b[None], axis=-1)
    r = range(-2, 3)
    shifts = np.array([[i, j, k] for i in r for j in r for k in r], float) @ box
    d = b[None, :, None, :] + shifts[None, None] - a[:, None, None, :]
    return np.linalg.norm(d, axis=-1).min(axis=2)


@pytest.mark.parametrize("box", [TRICLINIC, ORTHO, None], ids=["triclinic", "ortho", "open"])
def test_pair_distances_and_within_match_brute_force(box):
    rng = np.random.default_rng(7)
    cell = TRICLINIC if box is None else box
    pts = rng.random((70, 3)) @ cell
    query = rng.random((25, 3)) @ cell - 5.0  # outside the box too: wrapped by the search
    ns = NeighborSearch(pts, box)
    ref = _brute(query, pts, box)
    iq, ip, d = ns.pair_distances(query, 6.0)
    want = np.argwhere(ref <= 6.0)
    got = np.stack([iq, ip], axis=1)
    assert sorted(map(tuple, got)) == sorted(map(tuple, want))
    assert np.allclose(d, ref[iq, ip], atol=1e-9)  # nearest image, not the first found
    for k, js in enumerate(ns.within(query, 6.0)):
        assert set(js.tolist()) == set(np.flatnonzero(ref[k] <= 6.0).tolist())
    dist, idx = ns.nearest(query, 3)
    assert np.allclose(dist, np.sort(ref, axis=1)[:, :3], atol=1e-9)
    assert np.allclose(ref[np.arange(len(query))[:, None], idx], dist, atol=1e-9)


@pytest.mark.parametrize("box", [TRICLINIC, ORTHO], ids=["triclinic", "ortho"])
def test_pairs_of_the_points_match_brute_force(box):
    rng = np.random.default_rng(11)
    pts = rng.random((60, 3)) @ box
    ref = _brute(pts, pts, box)
    np.fill_diagonal(ref, np.inf)
    pairs = NeighborSearch(pts, box).pairs(5.0)
    assert sorted(map(tuple, pairs)) == sorted(map(tuple, np.argwhere(np.triu(ref < 5.0))))


@pytest.mark.parametrize("box", [TRICLINIC, ORTHO, None], ids=["triclinic", "ortho", "open"])
def test_closest_pair_matches_brute_force(box):
    rng = np.random.default_rng(5)
    cell = TRICLINIC if box is None else box
    pts = rng.random((50, 3)) @ cell
    pts[17] = pts[4] + (cell[0] if box is not None else 0) + [0.31, 0.0, 0.0]  # an image apart
    ref = _brute(pts, pts, box)
    np.fill_diagonal(ref, np.inf)
    i, j = np.unravel_index(np.argmin(ref), ref.shape)
    hit = closest_pair(pts, box, 1.0)
    assert hit is not None
    assert hit[:2] == (min(i, j), max(i, j)) and hit[2] == pytest.approx(ref[i, j])
    assert closest_pair(pts, box, 0.9 * ref[i, j]) is None
