"""The NC's orientation: Kabsch rotations, the cubic orientation fitted from an fcc anion
sublattice (rocksalt, zincblende; wurtzite and random points refused), and the tracker
that follows a rotating particle across periodic boundaries."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from omm_cx.analysis.orientation import (OrientationTracker, cubic_fit, fit_cubic_orientation,
                                         kabsch_rotation, rotation_angle_deg)
from omm_cx.errors import AnalysisError
from omm_cx.systems.lattice import Crystal

#: The 24 proper rotations of the cube (independent of the module's own table).
CUBE = [m for m in (np.array(p) for p in Rotation.create_group("O").as_matrix())]
BOX = np.diag([50.0, 50.0, 50.0])


def cubic_error_deg(R_fit, R_true):
    """Angle between two crystal -> lab rotations modulo the cube's symmetry."""
    return min(rotation_angle_deg(R_fit.T @ R_true @ S) for S in CUBE)


def anions_of(structure, a_A, radius_A=16.0, **kw):
    c = Crystal.make(structure, "Cd", "Se", a_A, **kw)
    atoms = c.points(radius_A)
    return c, atoms.positions_A[np.array(atoms.roles) == "anion"]


def test_kabsch_and_angle():
    rng = np.random.default_rng(0)
    ref = rng.normal(0, 5, (30, 3))
    R = Rotation.from_rotvec(np.radians(70) * np.array([0.6, 0.0, 0.8])).as_matrix()
    cur = ref @ R.T + [3.0, -1.0, 7.0]
    np.testing.assert_allclose(kabsch_rotation(ref, cur), R, atol=1e-10)
    assert rotation_angle_deg(R) == pytest.approx(70.0, abs=1e-9)
    assert rotation_angle_deg(np.eye(3)) == 0.0
    assert rotation_angle_deg(np.diag([-1.0, -1.0, 1.0])) == pytest.approx(180.0)
    # a mirror image gets the best proper rotation, never the reflection that fits it exactly
    Rm = kabsch_rotation(ref, ref * [1, 1, -1])
    assert np.linalg.det(Rm) == pytest.approx(1.0)
    with pytest.raises(AnalysisError, match="same n >= 3"):
        kabsch_rotation(ref[:2], cur[:2])


@pytest.mark.parametrize("structure,a_A", [("rocksalt", 6.12), ("zincblende", 6.08)])
def test_fit_cubic_orientation_random_rotations(structure, a_A):
    """A crystal built with a known random rotation, 0.15 Å noise, cut by the periodic
    box: the fitted orientation is the applied one within 1 degree (modulo the cube)."""
    crystal, an = anions_of(structure, a_A)
    np.testing.assert_allclose(crystal.rotation, np.eye(3), atol=1e-12)  # built unrotated
    rng = np.random.default_rng(42)
    for R_true in Rotation.random(4, random_state=rng).as_matrix():
        x = an @ R_true.T + rng.normal(0, 0.15, an.shape) + [48.0, 2.0, 25.0]  # crosses x, y
        x %= 50.0
        R = fit_cubic_orientation(x, BOX)
        assert np.linalg.det(R) == pytest.approx(1.0) and np.allclose(R @ R.T, np.eye(3))
        assert cubic_error_deg(R, R_true) < 1.0
        # the representative returned is the cubic equivalent closest to the identity
        assert np.trace(R) >= max(np.trace(R @ S) for S in CUBE) - 1e-9


def test_fit_matches_the_builders_orientation():
    """[111] along z, [1-10] along x (the builder's rotation): recovered within 1 degree."""
    crystal, an = anions_of("rocksalt", 6.12, axis=(1, 1, 1), x_axis=(1, -1, 0))
    rng = np.random.default_rng(3)
    fit = cubic_fit(an + rng.normal(0, 0.15, an.shape))
    assert cubic_error_deg(fit.rotation, crystal.rotation) < 1.0
    assert fit.rms_deg < 6.0 and fit.misfit_fraction < 0.01 and fit.is_fcc


def test_not_fcc_is_refused():
    rng = np.random.default_rng(5)
    _, wz = anions_of("wurtzite", 4.30, c_A=7.01, u=0.375)
    fit = cubic_fit(wz + rng.normal(0, 0.15, wz.shape))
    assert 0.2 < fit.misfit_fraction < 0.3  # a quarter of hcp's bonds are ~34 degrees off <110>
    with pytest.raises(AnalysisError, match="not form an fcc sublattice"):
        fit_cubic_orientation(wz)
    with pytest.raises(AnalysisError, match="fcc"):
        fit_cubic_orientation(rng.uniform(0, 30, (400, 3)), np.diag([30.0] * 3))
    with pytest.raises(AnalysisError, match="at least 13 anions"):
        fit_cubic_orientation(wz[:5])


def _rotating_frames(xyz0, angles_deg, axis, rng, centre=(47.0, 25.0, 1.0), noise_A=0.15):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    for ang in angles_deg:
        R = Rotation.from_rotvec(np.radians(ang) * axis).as_matrix()
        x = (xyz0 + rng.normal(0, noise_A, xyz0.shape)) @ R.T + centre
        yield R, x % 50.0


@pytest.mark.parametrize("given", [False, True])
def test_tracker_follows_a_rotating_particle(given):
    """Rigid rotation by known angles about a tilted axis, 0.15 Å noise, the particle
    cut by the box boundary, some anions leaving the NC: the tracked angle is the
    applied one within 0.5 degree and the crystal frame turns with the particle."""
    rng = np.random.default_rng(7)
    _, an = anions_of("rocksalt", 6.12)
    R0 = Rotation.random(random_state=rng).as_matrix()
    xyz0 = an @ R0.T
    angles = [0.0, 20.0, 45.0, 90.0, 150.0]
    frames = list(_rotating_frames(xyz0, angles, [1.0, -2.0, 0.5], rng))
    idx = np.arange(len(an))
    tr = OrientationTracker(frames[0][1], idx, BOX, R0 if given else None)
    assert tr.source == ("build record" if given else "fitted")
    assert (tr.fit is None) == given
    for k, (R, x) in enumerate(frames):
        nc = idx[5 * k:]  # anions dissolve over time: only those still in the NC are fitted
        crys = tr.update(x, BOX, nc)
        assert tr.n_used == len(idx) - 5 * k
        assert tr.angle_deg == pytest.approx(angles[k], abs=0.5)
        assert rotation_angle_deg(tr.rotation_since_first.T @ R) < 0.5
        assert cubic_error_deg(crys, R @ R0) < 1.0
    with pytest.raises(AnalysisError, match="dissolved"):
        tr.update(frames[0][1], BOX, idx[:2])


def test_tracker_rejects_a_non_rotation():
    _, an = anions_of("rocksalt", 6.12, radius_A=10.0)
    with pytest.raises(AnalysisError, match="rotation matrix"):
        OrientationTracker(an, np.arange(len(an)), None, np.diag([1.0, 1.0, 2.0]))


def test_cubic_misorientation():
    from omm_cx.analysis.orientation import cubic_misorientation_deg

    rng = np.random.default_rng(9)
    for R1, R2 in zip(Rotation.random(5, random_state=rng).as_matrix(),
                      Rotation.random(5, random_state=rng).as_matrix()):
        assert cubic_misorientation_deg(R1, R2) == pytest.approx(cubic_error_deg(R1, R2), abs=1e-9)
        assert cubic_misorientation_deg(R1, R1 @ CUBE[7]) == pytest.approx(0.0, abs=1e-6)
    tilt = Rotation.from_rotvec(np.radians(5.0) * np.array([0.0, 0.0, 1.0])).as_matrix()
    assert cubic_misorientation_deg(np.eye(3), tilt) == pytest.approx(5.0)
