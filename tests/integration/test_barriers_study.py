"""Study 003-barriers (omm_cx.studies.barriers): casu2023's step-d swap picks the Cd
closest to the interstitial Cu and exchanges exactly those two atoms (across the periodic
boundary too), the closest approach of two moving ions, a path's record with the
configuration at its highest point, and the study's plan (30 starts = 30 seeds per
phase)."""

from __future__ import annotations

import numpy as np
import pytest

from omm_cx.energy.path import PathProfile, straight_path, swap_moves
from omm_cx.forcefield import load_forcefield
from omm_cx.io.pdb import Structure
from omm_cx.studies.barriers import _pair_min_A, closest_swap, path_record
from omm_cx.studies.plan import plan_runs


def _cluster(box=None):
    # 0 Cu (interstitial), 1 Se closer than any Cd, 2 Cd at 2.9 Å (the closest NC Cd),
    # 3 Cd at 3.5 Å, 4 Cd at 2.0 Å but not in the NC (a bath ion), 5 Se
    species = ["Cu", "Se", "Cd", "Cd", "Cd", "Se"]
    pos = np.array([[10.0, 10, 10], [11.5, 10, 10], [10, 12.9, 10], [10, 10, 13.5],
                    [8.0, 10, 10], [12, 12, 12]])
    return Structure(species, pos, box)


def test_swap_picks_the_closest_nc_cd_and_exchanges_exactly_those_two():
    s = _cluster()
    nc = np.array([1, 2, 3, 5])  # atom 4 is not in the NC
    partner, moves = closest_swap(s, nc, 0)
    assert partner == 2
    assert sorted(moves) == [0, 2]
    np.testing.assert_allclose(moves[0], s.positions_A[2])
    np.testing.assert_allclose(moves[2], s.positions_A[0])
    ref = swap_moves(s, 0, 2)  # the same end points as the CLI's --swap
    for i in (0, 2):
        np.testing.assert_allclose(moves[i], ref[i])


def test_swap_across_the_periodic_boundary_takes_the_nearest_image():
    box = np.diag([20.0, 20.0, 20.0])
    pos = np.array([[1.0, 10, 10], [19.0, 10, 10], [1.0, 15, 10]])  # Cd 1 is 2 Å away via x
    s = Structure(["Cu", "Cd", "Cd"], pos, box)
    partner, moves = closest_swap(s, np.array([1, 2]), 0)
    assert partner == 1
    np.testing.assert_allclose(moves[0], [-1.0, 10, 10])  # 2 Å, not 18 Å, along -x
    np.testing.assert_allclose(moves[1], [21.0, 10, 10])


def _profile(start, end, energy, positions=None):
    n = len(energy)
    return PathProfile(np.linspace(0, 1, n), np.asarray([energy], float), np.zeros(1),
                       np.arange(len(end)), np.asarray([start], float), np.asarray(end, float),
                       "none", positions)


def test_closest_approach_of_two_crossing_ions():
    # two ions exchanging places with a 0.6 Å lateral offset pass within 0.3 Å, about half way
    prof = _profile([[0, 0.6, 0], [3, 0, 0]], [[3, 0, 0], [0, 0, 0]], [0, 1, 0])
    s = np.linspace(0, 1, 100001)
    d = np.hypot(6 * s - 3, 0.6 * (1 - s))  # the separation along the lines, by hand
    assert _pair_min_A(prof, None) == pytest.approx(d.min(), abs=1e-6)
    assert 0.29 < _pair_min_A(prof, None) < 0.3
    # the same pair with one ion stored a periodic image away (box 20 Å along x)
    box = np.diag([20.0, 20.0, 20.0])
    far = _profile([[0, 0.6, 0], [23, 0, 0]], [[3, 0, 0], [20, 0, 0]], [0, 1, 0])
    assert _pair_min_A(far, box) == pytest.approx(d.min(), abs=1e-6)
    one = _profile([[0, 0, 0]], [[1, 0, 0]], [0, 1, 0])
    assert _pair_min_A(one, None) is None


def test_record_has_both_readings_and_the_highest_point_s_neighbours():
    ff = load_forcefield("pbcdse")
    s = Structure(["Pb", "Se", "Se"], np.array([[0, 0, 0], [3.0, 0, 0], [-6.0, 0, 0]]), None)
    prof = straight_path(ff, s, {1: np.array([4.0, 3.0, 0.0])}, n_points=5,
                         platform="Reference", keep_positions=True)
    assert prof.positions_A.shape == (1, 5, 3, 3)
    np.testing.assert_allclose(prof.positions_A[0, -1, 1], [4.0, 3.0, 0.0])
    rec = path_record(prof, s)
    assert rec["barrier_eV"] == pytest.approx(prof.barrier_eV[0])
    assert rec["barrier_003_eV"] == pytest.approx(prof.barrier_003_eV[0])
    assert rec["reaction_eV"] == pytest.approx(prof.energy_eV[0, -1])
    top = int(np.argmax(prof.energy_eV[0]))
    assert rec["max_fraction"] == pytest.approx(prof.fraction[top])
    assert rec["closest_pair"] == ["Se", "Pb"] and rec["closest_A"] == pytest.approx(3.0, abs=1e-6)
    assert rec["closest_fraction"] == 0.0 and "pair_at_max_A" not in rec
    near = rec["at_max"]["1"]
    assert near["species"] == "Se" and near["neighbours"][0][0] == "Pb"
    d = np.linalg.norm(prof.positions_A[0, top, 1] - prof.positions_A[0, top, 0])
    assert near["neighbours"][0][1] == pytest.approx(d, abs=1e-3)


def test_study_plans_30_starts_per_phase_on_the_two_wires():
    plans = plan_runs("003-barriers", "small")
    assert len(plans) == 60
    by_phase = {}
    for p in plans:
        by_phase.setdefault(p.params["phase"], []).append(p)
    assert {k: len(v) for k, v in by_phase.items()} == {"wurtzite": 30, "zincblende": 30}
    assert {p.params["recipe"] for p in by_phase["wurtzite"]} == {"cdse-nanowire-cu"}
    assert {p.params["recipe"] for p in by_phase["zincblende"]} == {"cdse-nanowire-zb-cu"}
    assert sorted(p.params["seed"] for p in by_phase["zincblende"]) == list(range(1, 31))
    assert all(p.params["jitter_A"] == 1.0 and p.params["relax"] == "others" for p in plans)


def test_record_of_two_moving_ions_gives_their_distance_at_the_top():
    ff = load_forcefield("pbcdse")
    s = Structure(["Pb", "Se", "Se"], np.array([[0, 0, 0], [3.0, 0, 0], [-6.0, 0, 0]]), None)
    moves = {0: np.array([0.0, 2.0, 0.0]), 1: np.array([3.5, 2.0, 0.0])}
    prof = straight_path(ff, s, moves, n_points=5, platform="Reference", keep_positions=True)
    rec = path_record(prof, s)
    top = int(np.argmax(prof.energy_eV[0]))
    assert rec["pair_min_A"] == pytest.approx(3.0)
    assert rec["pair_at_max_A"] == pytest.approx(3.0 + 0.5 * prof.fraction[top])
    assert set(rec["at_max"]) == {"0", "1"}
