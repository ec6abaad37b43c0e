"""Per-atom RMSD with drift and rotation removed, MSD of ballistic and random-walk
trajectories across periodic boundaries, the Einstein fit and the Arrhenius fit."""

import numpy as np
import pytest

from omm_cx.analysis.diffusion import (MSDAccumulator, MSDResult, arrhenius_fit, compute_msd,
                                       fit_diffusion)
from omm_cx.periodic import wrap
from omm_cx.analysis.rmsd import kabsch_rotation, mobile_atoms, per_atom_rmsd
from omm_cx.units import BOLTZMANN_EV_PER_K

from analysis_helpers import make_traj, rocksalt_sites


def _rotation(axis, angle):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k


def test_kabsch_recovers_a_rotation():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 3))
    x -= x.mean(axis=0)
    R = _rotation([1, 2, 3], 0.7)
    assert np.allclose(x @ R @ kabsch_rotation(x @ R, x), x)


@pytest.mark.parametrize("fit", ["rigid", "translation"])
def test_per_atom_rmsd_is_the_planted_vibration_amplitude(fit):
    cat, an = rocksalt_sites(6.0, 9.0)
    n_c, n_a = len(cat), len(an)
    x0 = np.vstack([cat, an])
    amp = np.zeros(len(x0))
    amp[:n_c] = np.linspace(0.1, 1.2, n_c)  # cations vibrate, anions (the reference) do not
    direction = np.random.default_rng(2).normal(size=(len(x0), 3))
    direction /= np.linalg.norm(direction, axis=1)[:, None]
    box = np.eye(3) * 40.0
    frames = []
    for t in range(40):
        s = 1.0 if t % 2 == 0 else -1.0
        x = x0 + s * amp[:, None] * direction
        if fit == "rigid":
            x = x @ _rotation([1, 1, 0], 0.05 * t).T  # the NC rotates ...
        x = x + np.array([5.0, 20.0, 39.0]) + np.array([0.7, -0.4, 0.3]) * t  # ... and drifts
        frames.append(wrap(x, box))  # across the periodic boundaries
    traj = make_traj(["Pb"] * n_c + ["Se"] * n_a, np.stack(frames), box)
    res = per_atom_rmsd(traj, atoms=np.arange(len(x0)), reference=np.arange(n_c, n_c + n_a), fit=fit)
    assert np.allclose(res.rmsd_A, amp, atol=2e-4)
    assert res.n_frames == 40
    assert np.array_equal(res.mobile(), amp > 0.84)
    assert np.array_equal(mobile_atoms(res.rmsd_A, 0.5), amp > 0.5)
    # mean positions: the lattice about the reference centroid (frame-0 orientation)
    assert np.allclose(res.mean_position_A, x0 - x0[n_c:].mean(axis=0), atol=2e-4)


def test_msd_of_ballistic_motion_across_the_box():
    box = np.eye(3) * 20.0
    v = np.array([[3.0, -2.0, 1.0], [0.5, 0.5, -4.0]])  # Å/ps
    x0 = np.array([[1.0, 2.0, 3.0], [10.0, 10.0, 10.0]])
    dt = 0.5
    frames = [wrap(x0 + v * k * dt, box) for k in range(60)]
    traj = make_traj(["Cu", "Cu"], np.stack(frames), box, dt_ps=dt)
    msd = compute_msd(traj, np.arange(2), max_lag_ps=20.0, n_blocks=1)
    v2 = np.mean(np.sum(v ** 2, axis=1))
    assert np.allclose(msd.msd_A2, v2 * msd.lag_ps ** 2, rtol=1e-5, atol=1e-5)
    assert msd.lag_ps[-1] == 20.0
    assert msd.n_origins[0] == 60 and msd.n_origins[-1] == 60 - 40


def test_msd_of_a_random_walk_gives_d():
    rng = np.random.default_rng(11)
    n_atoms, n_steps, step, dt = 1500, 200, 0.5, 2.0  # ±0.5 Å per axis per 2 ps
    steps = rng.choice([-step, step], size=(n_steps, n_atoms, 3))
    x = np.cumsum(steps, axis=0) + rng.random((n_atoms, 3)) * 30
    box = np.eye(3) * 30.0
    frames = np.stack([wrap(f, box) for f in x])
    traj = make_traj(["Cu"] * n_atoms, frames, box, dt_ps=dt)
    msd = compute_msd(traj, np.arange(n_atoms), max_lag_ps=100.0, origin_stride=5)
    D_true = step ** 2 / (2 * dt)  # per axis: <dx^2> = step^2 per frame = 2 D dt
    fit = fit_diffusion(msd)
    assert fit.window_ps == (10.0, 50.0)
    assert fit.D_A2_per_ps == pytest.approx(D_true, rel=0.03)
    assert fit.D_cm2_per_s == pytest.approx(fit.D_A2_per_ps * 1e-4)
    assert 0 < fit.D_err_A2_per_ps < 0.03 * D_true
    assert "5 independent atom groups" in fit.error_method
    assert fit.intercept_A2 == pytest.approx(0.0, abs=0.5)


def test_msd_unwraps_with_a_changing_box():
    """NPT-like: the box changes every frame; each frame's wrapped positions are the
    previous ones plus known displacements, wrapped into the new box. The unwrapped
    positions are the sums of the displacements (von Bülow et al. 2020), so the MSD is
    the MSD of the summed displacements."""
    rng = np.random.default_rng(5)
    steps = rng.normal(scale=1.5, size=(30, 10, 3))
    x = np.cumsum(steps, axis=0)
    acc = MSDAccumulator(np.arange(10), max_lag=10, origin_stride=1, n_blocks=1)
    w = np.zeros((10, 3))
    for k in range(30):
        box = np.eye(3) * (15.0 + 0.3 * np.sin(k))
        w = wrap((w if k else x[0] * 0) + steps[k], box)
        acc.add(w, box)
    res = acc.result(dt_ps=1.0)
    expect = [np.mean(np.sum((x[lag:] - x[:30 - lag]) ** 2, axis=2)) for lag in range(11)]
    assert np.allclose(res.msd_A2, expect)
    assert res.msd_A2[-1] > (15.0 / 2) ** 2 / 4  # atoms did travel across the box


def test_einstein_fit_of_an_exact_line():
    lag = np.arange(0, 101, 1.0)
    msd = MSDResult(lag, 6 * 0.25 * lag + 1.5, np.ones_like(lag, int), (6 * 0.25 * lag + 1.5)[None], 1)
    fit = fit_diffusion(msd, (20.0, 80.0))
    assert fit.D_A2_per_ps == pytest.approx(0.25)
    assert fit.intercept_A2 == pytest.approx(1.5)
    assert fit.n_points == 61
    assert fit.D_err_A2_per_ps == pytest.approx(0.0, abs=1e-12)


def test_arrhenius_fit_recovers_the_planted_migration_energy():
    T = np.array([600.0, 800.0, 1000.0, 1400.0, 2000.0])
    Ea, D0 = 0.29, 3.0e-3  # eV, cm^2/s (003: wz CdSe Cu interstitial, 0.29 eV)
    D = D0 * np.exp(-Ea / (BOLTZMANN_EV_PER_K * T))
    fit = arrhenius_fit(T, D)
    assert fit.Ea_eV == pytest.approx(Ea, rel=1e-10)
    assert fit.D0 == pytest.approx(D0, rel=1e-10)
    assert fit.Ea_err_eV == pytest.approx(0.0, abs=1e-10)
    # with 5 % errors on D: weighted fit, Ea within 3 standard errors, error ~ the expected
    rng = np.random.default_rng(4)
    noisy = D * (1 + 0.05 * rng.normal(size=len(D)))
    fit = arrhenius_fit(T, noisy, 0.05 * noisy)
    assert fit.weighted
    assert abs(fit.Ea_eV - Ea) < 3 * fit.Ea_err_eV
    x = 1 / (BOLTZMANN_EV_PER_K * T)
    assert fit.Ea_err_eV == pytest.approx(0.05 / np.sqrt(np.sum((x - x.mean()) ** 2)), rel=1e-6)
    # two points: exact line, no error estimate
    two = arrhenius_fit(T[:2], D[:2])
    assert two.Ea_eV == pytest.approx(Ea) and np.isnan(two.Ea_err_eV)


def test_cu_crossing_a_hexagonal_box_many_times_has_the_msd_of_its_unwrapped_path():
    """003's cells are hexagonal: one Cu drifting and hopping through a wurtzite-like
    (non-orthogonal) box crosses its faces many times; the trajectory holds only wrapped
    positions (in nm, as a DCD does), and compute_msd must give the MSD of the unwrapped
    path with the same time origins."""
    import mdtraj as md

    a, c = 30.0, 28.0  # Å, both wider than twice any single hop
    box = np.array([[a, 0, 0], [-a / 2, a * np.sqrt(3) / 2, 0], [0, 0, c]])
    rng = np.random.default_rng(11)
    n = 400
    steps = rng.normal(scale=1.2, size=(n, 3)) + np.array([1.5, 0.7, -1.0])  # Å per frame
    path = np.cumsum(steps, axis=0)
    frac = path @ np.linalg.inv(box)
    wrapped = (frac - np.floor(frac)) @ box
    crossings = int(np.abs(np.diff(np.floor(frac), axis=0)).sum())
    assert crossings >= 30  # it really crosses the faces, many times
    top = md.Topology()
    top.add_atom("Cu", md.element.copper, top.add_residue("CU", top.add_chain()))
    traj = md.Trajectory(wrapped[:, None, :] / 10.0, top, time=np.arange(n, dtype=float))
    traj.unitcell_vectors = np.repeat(box[None] / 10.0, n, axis=0)
    res = compute_msd(traj, np.array([0]), max_lag_ps=100.0, n_blocks=1)
    expect = [np.mean(np.sum((path[lag:] - path[:n - lag]) ** 2, axis=1)) for lag in range(101)]
    assert np.allclose(res.msd_A2, expect, rtol=1e-5, atol=1e-3)
    assert res.msd_A2[-1] > a ** 2  # far beyond the box: no wrap-limited plateau


def test_interface_rmsd_of_a_hand_built_pbse_cdse_junction():
    """A PbSe block (x < 0) against a CdSe block (x > 0) on a 3 Å grid: the CdSe atoms
    within 6 Å of a Pb are the interface ones; their mean RMSD and counts are checked
    against a count made independently from the grid."""
    from omm_cx.analysis.interface_rmsd import interface_rmsd

    pts, sp = [], []
    for i in range(-4, 6):
        for j in range(4):
            for k in range(4):
                cation = (i + j + k) % 2 == 0
                pts.append((3.0 * i + (0.0 if i < 0 else 1.0), 3.0 * j, 3.0 * k))
                sp.append(("Pb" if cation else "Se") if i < 0 else ("Cd" if cation else "Se"))
    pts, sp = np.array(pts), np.array(sp)
    # the CdSe column at x = 1 Å lies 4 Å from the last Pb column (x = -3 Å); the next one,
    # at x = 4 Å, lies 7 Å from it: only the first column is "near the interface"
    rmsd = np.where((pts[:, 0] > 0) & (pts[:, 0] < 3), 1.0, 0.2)
    out = interface_rmsd(sp, pts, rmsd)
    iface_cd = int(((sp == "Cd") & (pts[:, 0] < 3)).sum())
    iface_se = int(((sp == "Se") & (pts[:, 0] > 0) & (pts[:, 0] < 3)).sum())
    assert iface_cd == iface_se == 8
    assert out["n_interface_by_species"] == {"Cd": iface_cd, "Se": iface_se}
    assert out["mean_rmsd_interface_by_species_A"] == {"Cd": 1.0, "Se": 1.0}
    assert out["mean_rmsd_interface_cdse_A"] == 1.0
    others = rmsd[~((sp == "Cd") & (pts[:, 0] < 3))]
    assert out["mean_rmsd_all_but_interface_Cd_A"] == pytest.approx(others.mean())
    assert interface_rmsd(sp[sp != "Pb"], pts[sp != "Pb"], rmsd[sp != "Pb"]) == {}
