"""Energy along straight paths: a hand-computed pair, relaxation of the other atoms with
the path's atoms held, the kick-off swap's end points, jittered starts, the CLI."""

import subprocess
import sys

import numpy as np
import pytest

from omm_cx.energy.path import straight_path, swap_moves
from omm_cx.errors import OmmCxError
from omm_cx.forcefield import load_forcefield
from omm_cx.io.pdb import Structure
from omm_cx.io.tables import read_json
from omm_cx.systems.record import read_build_record
from structures import rocksalt

KE = 14.3996454  # e^2 / (4 pi eps0), eV Å


def test_pair_path_is_the_pair_potential():
    ff = load_forcefield("pbcdse")
    s = Structure(["Pb", "Se"], np.array([[0, 0, 0], [3.0, 0, 0.0]]), None)
    prof = straight_path(ff, s, {1: np.array([4.0, 3.0, 0.0])}, n_points=7, platform="Reference")
    end = np.array([4.0, 3.0, 0.0])
    r = np.linalg.norm(np.array([3.0, 0, 0]) + prof.fraction[:, None] * (end - [3.0, 0, 0]), axis=1)
    u = KE * 0.8 * -0.8 / r + 4.88e6 * np.exp(-r / 0.173) - 211 / r**6  # 000 Table S7, Pb-Se
    # 1e-8 relative: OpenMM's Coulomb constant and DOMAIN.md's e^2/(4 pi eps0) differ there
    np.testing.assert_allclose(prof.energy_eV[0], u - u[0], rtol=1e-8, atol=1e-9)
    assert prof.start_energy_eV[0] == pytest.approx(u[0], rel=1e-8)
    assert prof.barrier_eV[0] == pytest.approx(max(u - u[0]), rel=1e-8)


def _pbse_512():
    return rocksalt(6.08, 4, "Pb", "Se")  # 4x4x4 cells: 24.3 Å box, twice the cutoff


def test_relaxing_the_others_lowers_every_point_and_holds_the_path_atom():
    ff = load_forcefield("pbcdse")
    s = _pbse_512()
    assert len(s.species) == 512
    i = s.species.index("Pb")
    end = s.positions_A[i] + np.array([0.8, 0.0, 0.0])
    fixed = straight_path(ff, s, {i: end}, n_points=4, platform="CPU")
    relaxed = straight_path(ff, s, {i: end}, n_points=4, relax="others", platform="CPU")
    # start: a perfect crystal, force-free by symmetry, so relaxing changes nothing
    assert relaxed.start_energy_eV[0] == pytest.approx(fixed.start_energy_eV[0], abs=1e-3)
    e_fixed = fixed.start_energy_eV[0] + fixed.energy_eV[0]
    e_relaxed = relaxed.start_energy_eV[0] + relaxed.energy_eV[0]
    assert np.all(e_relaxed <= e_fixed + 1e-4)
    assert e_relaxed[-1] < e_fixed[-1] - 0.05  # the lattice gives way around the displaced Pb
    assert np.all(np.diff(fixed.energy_eV[0]) > 0)  # pushed off its site: uphill all the way


def test_swap_of_two_like_atoms_ends_where_it_started():
    ff = load_forcefield("pbcdse")
    s = _pbse_512()
    se = [k for k, sp in enumerate(s.species) if sp == "Se"]
    moves = swap_moves(s, se[0], se[5])
    np.testing.assert_array_equal(moves[se[0]], s.positions_A[se[5]])
    prof = straight_path(ff, s, moves, n_points=2, platform="Reference")
    assert prof.reaction_eV[0] == pytest.approx(0.0, abs=1e-8)
    with pytest.raises(OmmCxError, match="two different atoms"):
        swap_moves(s, 3, 3)
    with pytest.raises(OmmCxError, match="outside 0..511"):
        swap_moves(s, 0, 512)


def test_jittered_starts_are_reproducible_and_bounded():
    ff = load_forcefield("pbcdse")
    s = Structure(["Pb", "Se"], np.array([[0, 0, 0], [3.0, 0, 0.0]]), None)
    kw = dict(n_points=3, samples=4, jitter_A=0.5, seed=3, platform="Reference")
    a = straight_path(ff, s, {1: np.array([5.0, 0, 0])}, **kw)
    b = straight_path(ff, s, {1: np.array([5.0, 0, 0])}, **kw)
    np.testing.assert_array_equal(a.energy_eV, b.energy_eV)
    d = a.start_A[:, 0, :] - s.positions_A[1]
    assert np.all(np.abs(d) <= 0.5) and np.ptp(d[:, 0]) > 0.05
    assert a.summary()["barrier_sd_eV"] > 0


def test_cli_path_writes_profile_and_rejects_bad_input(tmp_path):
    exe = [sys.executable, "-m", "omm_cx"]
    b = subprocess.run([*exe, "build", "cd-psl-liquid", "-o", str(tmp_path / "b")],
                       capture_output=True, text=True, timeout=300)
    assert b.returncode == 0, b.stderr
    cd = read_build_record(tmp_path / "b" / "build.json").groups["solution_cations"][0]
    r = subprocess.run([*exe, "path", str(tmp_path / "b"), "--move", f"{cd}:1.0,1.0,1.0",
                        "--points", "3", "--platform", "CPU", "-o", str(tmp_path / "p")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = read_json(tmp_path / "p" / "path.json")
    assert out["moving_atoms"] == [cd] and out["n_points"] == 3
    assert "barrier" in r.stdout and (tmp_path / "p" / "path.png").is_file()
    bad = subprocess.run([*exe, "path", str(tmp_path / "b"), "-o", str(tmp_path / "q")],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "--move" in bad.stderr
