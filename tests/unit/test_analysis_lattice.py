"""The lattice analysis (a(T), c(T) of a bulk crystal in an NPT box): a trajectory whose
box is scaled by known factors in its second half gives the build's lattice times those
factors; a build without one crystal cannot run it."""

from __future__ import annotations

import json

import mdtraj as md
import numpy as np
import pytest

from omm_cx.analysis.driver import analyze_trajectory
from omm_cx.studies.tasks import bulk_crystal_cell


def _scaled_trajectory(build, tmp_path, scale_second_half, n_frames=10):
    top = md.load(str(build / "structure.pdb"))
    box0 = np.asarray(json.loads((build / "build.json").read_text())["box_A"]) / 10.0
    frac = top.xyz[0] @ np.linalg.inv(box0)
    xyz, boxes = [], []
    for k in range(n_frames):
        s = np.ones(3) if k < n_frames // 2 else np.asarray(scale_second_half, float)
        box = box0 * s[:, None]
        xyz.append(frac @ box)
        boxes.append(box)
    traj = md.Trajectory(np.array(xyz, np.float32), top.topology, time=np.arange(n_frames) * 0.1)
    lengths = np.linalg.norm(np.array(boxes), axis=2)
    cosang = lambda i, j: np.sum(np.array(boxes)[:, i] * np.array(boxes)[:, j], axis=1) / (lengths[:, i] * lengths[:, j])  # noqa: E731
    angles = np.degrees(np.arccos(np.stack([cosang(1, 2), cosang(0, 2), cosang(0, 1)], axis=1)))
    traj.unitcell_lengths, traj.unitcell_angles = lengths, angles
    path = tmp_path / "traj.dcd"
    traj.save_dcd(str(path))
    return path


@pytest.mark.parametrize("structure, cation, reps, scale", [
    ("rocksalt", "Pb", [4, 4, 4], [1.02, 1.02, 1.02]),
    ("wurtzite", "Cd", [7, 7, 4], [1.01, 1.01, 1.03]),
])
def test_lattice_from_the_mean_box_of_the_second_half(tmp_path, structure, cation, reps, scale):
    build = bulk_crystal_cell(tmp_path / "build", structure, cation, "Se", "pbcdse", reps)
    rec = json.loads((build / "build.json").read_text())
    a0, c0 = rec["crystals"][0]["a_A"], rec["crystals"][0]["c_A"]
    traj = _scaled_trajectory(build, tmp_path, scale)
    s = analyze_trajectory(traj, build / "structure.pdb", tmp_path / "out", build / "build.json",
                           what="lattice", dt_ps=0.1, strict=True)["analyses"]["lattice"]
    assert s["frames_averaged"] == 5
    assert s["a_A"] == pytest.approx(a0 * scale[0], rel=2e-6)
    if c0 is None:
        assert s["c_A"] is None
    else:
        assert s["c_A"] == pytest.approx(c0 * scale[2], rel=2e-6)
    assert s["volume_ratio"] == pytest.approx(np.prod(scale), rel=1e-5)


def test_host_order_counts_the_cations_still_on_their_sites(tmp_path):
    """A perfect rocksalt cell whose Pb are moved off their sites in the second half of
    the trajectory: 3 of 32 Pb by 2 Å (off), 5 by 1 Å (still on); the whole crystal also
    drifts by 7 Å, which must not count."""
    build = bulk_crystal_cell(tmp_path / "build", "rocksalt", "Pb", "Se", "pbcdse", [4, 4, 4])
    top = md.load(str(build / "structure.pdb"))
    box = np.asarray(json.loads((build / "build.json").read_text())["box_A"]) / 10.0
    pb = np.array([i for i, a in enumerate(top.topology.atoms) if a.name == "Pb"])
    xyz = []
    for k in range(10):
        x = top.xyz[0].copy() + k * 0.07 * np.array([1.0, 0.0, 0.0])  # drift, nm
        if k >= 5:
            x[pb[:3], 0] += 0.2
            x[pb[3:8], 1] += 0.1
        xyz.append(x)
    traj = md.Trajectory(np.array(xyz, np.float32), top.topology, time=np.arange(10) * 0.1)
    traj.unitcell_vectors = np.repeat(box[None].astype(np.float32), 10, axis=0)
    path = tmp_path / "traj.dcd"
    traj.save_dcd(str(path))
    s = analyze_trajectory(path, build / "structure.pdb", tmp_path / "out", build / "build.json",
                           what="host_order", dt_ps=0.1, strict=True)["analyses"]["host_order"]
    n = len(pb)
    assert s["frames_averaged"] == 5
    # the drift removal uses the mean of the Pb, which the moved ones shift slightly
    assert s["on_site_fraction"] == pytest.approx((n - 3) / n, abs=1e-9)
