"""omm-cx path --swap I,J: the two atoms exchange along the minimum image of their
separation (across the periodic boundary when that is shorter)."""

from __future__ import annotations

import numpy as np

from omm_cx.energy.path import swap_moves
from omm_cx.io.pdb import Structure


def test_swap_across_the_boundary_takes_the_short_way():
    box = np.diag([20.0, 20.0, 20.0])
    s = Structure(["Cu", "Cd"], np.array([[0.5, 10.0, 10.0], [19.0, 10.0, 10.0]]), box)
    moves = swap_moves(s, 0, 1)
    assert np.allclose(moves[0], [-1.0, 10.0, 10.0]) and np.allclose(moves[1], [20.5, 10.0, 10.0])
    vacuum = Structure(["Cu", "Cd"], s.positions_A, None)
    moves = swap_moves(vacuum, 0, 1)  # no box: the direct line
    assert np.allclose(moves[0], [19.0, 10.0, 10.0]) and np.allclose(moves[1], [0.5, 10.0, 10.0])
