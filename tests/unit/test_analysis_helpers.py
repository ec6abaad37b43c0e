"""The hand-built trajectories of tests/analysis_helpers.py make what they say."""

import numpy as np

from analysis_helpers import fibonacci_sphere, make_traj, rocksalt_sites


def test_helpers_make_what_they_say():
    cat, an = rocksalt_sites(6.0, 6.5)
    # origin cation, 6 anions at a/2, 12 cations at a/sqrt2 (r < 6.5 also keeps 6 cations at a)
    assert len(an) == 6 + 8  # a/2 and a*sqrt(3)/2
    assert len(cat) == 1 + 12 + 6
    t = make_traj(["Pb"] * len(cat), cat + 30, np.eye(3) * 60)
    assert np.allclose(t.xyz[0] * 10, cat + 30, atol=1e-4)
    assert np.allclose(np.linalg.norm(fibonacci_sphere(50, 7.0), axis=1), 7.0)
