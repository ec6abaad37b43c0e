"""g(r) and running coordination numbers of ideal lattices: peaks at the right
distances, rocksalt coordination 6 at a/2 and 12 at a/sqrt2, in orthorhombic and
triclinic boxes; the normalisation integrates back to the coordination number."""

import numpy as np
import pytest

from omm_cx.analysis.rdf import RDFAccumulator, compute_rdf

from analysis_helpers import make_groups, make_traj

A = 6.0


def _rocksalt_periodic(n=4):
    base_c = np.array([[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    cells = np.array([[i, j, k] for i in range(n) for j in range(n) for k in range(n)])
    cat = (cells[:, None, :] + base_c[None]).reshape(-1, 3) * A
    an = cat + [A / 2, 0, 0]
    species = ["Pb"] * len(cat) + ["Se"] * len(an)
    return species, np.vstack([cat, an]), np.eye(3) * n * A


def _bin_of(res, r):
    return int(np.searchsorted(res.r_edges_A, r) - 1)


def test_rocksalt_rdf_peaks_and_coordination_numbers():
    species, pos, box = _rocksalt_periodic()
    rng = np.random.default_rng(1)
    frames = np.stack([pos, pos + rng.normal(scale=0.05, size=pos.shape)])
    traj = make_traj(species, frames, box)
    g = make_groups(species)
    res = compute_rdf(traj, g, pairs=[("Pb", "Se"), ("Pb", "Pb"), ("Se", "Se")], r_max_A=8.0, bin_A=0.07)
    # first peaks: Pb-Se at a/2, Pb-Pb and Se-Se at a/sqrt2 (within half a bin)
    assert abs(res.first_peak("Pb-Se")[0] - A / 2) <= 0.035
    assert abs(res.first_peak("Pb-Pb")[0] - A / np.sqrt(2)) <= 0.035
    assert abs(res.first_peak("Se-Se")[0] - A / np.sqrt(2)) <= 0.035
    # g is zero below the first shell (no pair closer than 2.5 Å)
    assert not res.g["Pb-Se"][res.r_edges_A[1:] < 2.5].any()
    # running coordination numbers between shells: exactly 6 and 12
    assert res.cn["Pb-Se"][_bin_of(res, 4.0)] == 6
    assert res.cn["Pb-Pb"][_bin_of(res, 5.0)] == 12
    assert res.cn["Se-Se"][_bin_of(res, 5.0)] == 12
    # second shells: 8 anions at a*sqrt(3)/2, 6 cations at a
    assert res.cn["Pb-Se"][_bin_of(res, 5.8)] == 6 + 8
    assert res.cn["Pb-Pb"][_bin_of(res, 6.5)] == 12 + 6
    assert res.first_peak("Pb-Se")[1] == 6 and res.first_peak("Pb-Pb")[1] == 12
    # normalisation: sum over bins of g * ideal pair count per A atom = coordination number
    n_pb, n_se = 256, 256
    V = np.linalg.det(box)
    shell = 4 / 3 * np.pi * (res.r_edges_A[1:] ** 3 - res.r_edges_A[:-1] ** 3)
    assert np.sum(res.g["Pb-Se"] * n_se / V * shell) == pytest.approx(res.cn["Pb-Se"][-1])
    assert np.sum(res.g["Pb-Pb"] * (n_pb - 1) / V * shell) == pytest.approx(res.cn["Pb-Pb"][-1])


def test_rdf_in_a_triclinic_cell_gives_the_same_shells():
    import mdtraj as md

    # rocksalt in its rhombohedral primitive cell, 6 x 6 x 6 (60 degree angles)
    n = 6
    L = n * A / np.sqrt(2)
    box = np.asarray(md.utils.lengths_and_angles_to_box_vectors(L, L, L, 60.0, 60.0, 60.0))
    cells = np.array([[i, j, k] for i in range(n) for j in range(n) for k in range(n)], float)
    cat = cells / n @ box
    an = (cells + 0.5) / n @ box
    species = ["Pb"] * len(cat) + ["Se"] * len(an)
    traj = make_traj(species, np.vstack([cat, an]), box)
    res = compute_rdf(traj, make_groups(species), pairs=[("Pb", "Se"), ("Pb", "Pb")], r_max_A=8.0, bin_A=0.1)
    assert res.cn["Pb-Se"][_bin_of(res, 4.0)] == 6
    assert res.cn["Pb-Pb"][_bin_of(res, 5.0)] == 12
    assert res.cn["Pb-Se"][_bin_of(res, 5.8)] == 14


def test_rdf_normalises_by_each_frames_box_volume():
    """A lattice and the same lattice expanded by 10 % (NPT-like): the ideal count uses
    each frame's own volume."""
    species, pos, box = _rocksalt_periodic(3)
    acc1 = RDFAccumulator({"Pb": np.arange(108)}, [("Pb", "Pb")], r_max_A=8.0, bin_A=0.5)
    acc1.add(pos, box)
    acc2 = RDFAccumulator({"Pb": np.arange(108)}, [("Pb", "Pb")], r_max_A=8.0, bin_A=0.5)
    acc2.add(pos, box)
    acc2.add(pos * 1.1, box * 1.1)
    r1, r2 = acc1.result(), acc2.result()
    # within 8 Å: 12 + 6 + 24 fcc neighbours (4.24, 6.00, 7.35 Å); at 1.1x the 24 are out
    assert r1.cn["Pb-Pb"][-1] == 42
    assert r2.cn["Pb-Pb"][-1] == pytest.approx((42 + 18) / 2)
    # g = observed / ideal with each frame's own volume
    V1, V2 = np.linalg.det(box), np.linalg.det(box * 1.1)
    shell = 4 / 3 * np.pi * (r2.r_edges_A[1:] ** 3 - r2.r_edges_A[:-1] ** 3)
    ideal = 107 * 108 * shell * (1 / V1 + 1 / V2)
    assert np.sum(r2.g["Pb-Pb"] * ideal) == pytest.approx(108 * (42 + 18))
    k = int(4.25 / 0.5)  # bin (4.0, 4.5]: frame 1's first shell only
    assert r2.g["Pb-Pb"][k] == pytest.approx(108 * 12 / (107 * 108 * shell[k] * (1 / V1 + 1 / V2)))


def test_rdf_without_box_gives_coordination_only():
    species, pos, _ = _rocksalt_periodic(2)
    res = compute_rdf(make_traj(species, pos, None), make_groups(species), pairs=[("Pb", "Se")],
                      r_max_A=4.0, bin_A=0.5)
    assert np.isnan(res.g["Pb-Se"]).all()
    assert res.cn["Pb-Se"][-1] > 0
