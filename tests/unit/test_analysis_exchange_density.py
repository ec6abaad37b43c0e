"""Exchange counts with cations swapped at known frames, and radial densities of a
hand-built shell structure: exact answers."""

import numpy as np
import pytest

from omm_cx.analysis.density import (RadialDensityAccumulator, core_shell_boundary, default_r_max_A,
                                     radial_density)
from omm_cx.analysis.exchange import EXCHANGE_COLUMNS, compute_exchange

from analysis_helpers import fibonacci_sphere, make_groups, make_traj, rocksalt_sites

A = 6.0
C0 = np.array([30.0, 30.0, 30.0])
BOX = np.eye(3) * 60.0


def _swap_system():
    """PbSe sphere (r < 9 Å) + 6 Cd and 2 PSL far out in the 'solution'."""
    cat, an = rocksalt_sites(A, 9.0)
    sol = C0 + np.array([[22, 0, 0], [-22, 0, 0], [0, 22, 0], [0, -22, 0], [0, 0, 22], [0, 0, -22],
                         [15, 15, 15], [-15, -15, -15]], float)
    species = ["Pb"] * len(cat) + ["Se"] * len(an) + ["Cd"] * 6 + ["PSL"] * 2
    pos = np.vstack([cat + C0, an + C0, sol])
    nc, na = len(cat), len(an)
    g = make_groups(species, original=range(nc), original_anions=range(nc, nc + na),
                    in_going=range(nc + na, nc + na + 6))
    return species, pos, nc, na, g


def test_exchange_counts_are_exact_when_cations_swap_at_known_frames():
    species, pos, nc, na, g = _swap_system()
    cd = nc + na  # first Cd
    frames = [pos.copy()]
    f = pos.copy()
    f[[1, cd]] = f[[cd, 1]]  # frame 1: Pb 1 <-> Cd 0 (Cd on a Pb site, Pb in the solution)
    frames.append(f.copy())
    f[[2, cd + 1]] = f[[cd + 1, 2]]  # frame 2: a second swap
    frames.append(f.copy())
    f[nc + 3] = C0 + [0, 15, -15]  # frame 3: a Se dissolves (moved into the solution)
    frames.append(f.copy())
    f[[1, cd]] = f[[cd, 1]]  # frame 4: the first swap is undone
    frames.append(f.copy())
    traj = make_traj(species, np.stack(frames), BOX, dt_ps=2.0)
    ex = compute_exchange(traj, g)
    assert tuple(ex) == EXCHANGE_COLUMNS
    assert ex["time_ps"].tolist() == [0, 2, 4, 6, 8]
    assert ex["n_in_going"].tolist() == [0, 1, 2, 2, 1]
    assert ex["n_original"].tolist() == [nc, nc - 1, nc - 2, nc - 2, nc - 1]
    assert ex["n_anions"].tolist() == [na, na, na, na - 1, na - 1]
    assert ex["n_anions_lost"].tolist() == [0, 0, 0, 1, 1]
    assert ex["n_cations"].tolist() == [nc] * 5
    assert np.allclose(ex["rho"], np.array([0, 1, 2, 2, 1]) / nc)


def test_reverse_exchange_rho_counts_the_in_going_species():
    """Cd -> Pb: the NC is CdSe, the solution holds Pb; rho is rho_Pb."""
    species, pos, nc, na, _ = _swap_system()
    species = ["Cd" if s == "Pb" else "Pb" if s == "Cd" else s for s in species]
    g = make_groups(species, original=range(nc), original_anions=range(nc, nc + na),
                    in_going=range(nc + na, nc + na + 6))
    f1 = pos.copy()
    for k in range(3):
        f1[[k, nc + na + k]] = f1[[nc + na + k, k]]
    ex = compute_exchange(make_traj(species, np.stack([pos, f1]), BOX), g)
    assert ex["n_in_going"].tolist() == [0, 3]
    assert ex["rho"][1] == pytest.approx(3 / nc)
    assert g.leaving_species == "Cd" and g.in_going_species == ("Pb",)


def test_density_of_hand_built_shells_has_the_right_counts():
    shells = [(5.5, 10), (10.5, 40), (15.5, 90)]
    pos = np.vstack([fibonacci_sphere(n, r) for r, n in shells]) + C0
    species = ["Se"] * 10 + ["Cd"] * 40 + ["Pb"] * 90
    edges = np.arange(0.0, 20.01, 1.0)
    acc = RadialDensityAccumulator({"Se": np.arange(10), "Cd": np.arange(10, 50), "Pb": np.arange(50, 140)},
                                   edges, [0.0, 10.0], len(species))
    for t in (0.0, 2.0, 4.0):
        acc.add(t, pos, BOX, C0)
    prof = acc.result()
    vol_nm3 = 4 / 3 * np.pi * (edges[1:] ** 3 - edges[:-1] ** 3) / 1000
    for lab, (r, n) in zip(("Se", "Cd", "Pb"), shells):
        k = int(r)  # shell [r, r + 1)
        expect = np.zeros(len(edges) - 1)
        expect[k] = n
        assert np.array_equal(prof.counts[lab][0], expect)
        assert prof.density_per_nm3[lab][0][k] == pytest.approx(n / vol_nm3[k])
    assert prof.n_frames.tolist() == [3]
    # the same through the trajectory function, the centre given, windows by time
    traj = make_traj(species, np.stack([pos] * 4), BOX, dt_ps=1.0)
    g = make_groups(species)
    p2 = radial_density(traj, g, selections={"Cd": np.arange(10, 50)}, bin_A=1.0, r_max_A=20.0,
                        window_edges_ps=[0.0, 2.0, 3.0], centre_A=C0)
    assert p2.n_frames.tolist() == [2, 2]
    assert p2.counts["Cd"][1][10] == 40 and p2.counts["Cd"][1].sum() == 40


def test_core_shell_boundary_separates_core_and_shell():
    edges = np.arange(0.0, 20.01, 0.5)
    r = 0.5 * (edges[1:] + edges[:-1])
    vol = 4 / 3 * np.pi * (edges[1:] ** 3 - edges[:-1] ** 3) / 1000
    orig = np.where(r < 10, 30.0, 0.0) * vol  # ions per shell
    ing = np.where(r >= 10, 20.0, 0.0) * vol
    assert core_shell_boundary(edges, orig, ing) == pytest.approx(10.0)
    # lattice-like profiles: empty shells between planes and a lone interstitial in the
    # core do not move the boundary; a gap between core and shell gives its mid-point
    orig = np.zeros(len(r))
    orig[[0, 8, 12, 15]] = [1, 12, 6, 24]   # Pb shells at 0.25, 4.25, 6.25, 7.75 Å
    ing = np.zeros(len(r))
    ing[[5, 20, 24]] = [1, 30, 40]          # one Cd at 2.75 Å, shell from 10.25 Å
    assert core_shell_boundary(edges, orig, ing) == pytest.approx(0.5 * (8.0 + 10.0))
    assert np.isnan(core_shell_boundary(edges, np.zeros(len(r)), ing))  # no core left
    assert np.isnan(core_shell_boundary(edges, orig, np.zeros(len(r))))  # no shell
    assert default_r_max_A(np.diag([40.0, 50.0, 60.0])) == pytest.approx(20.0)


def test_density_and_exchange_agree_on_nc_members():
    species, pos, nc, na, g = _swap_system()
    f = pos.copy()
    cd = nc + na
    centre_pb = int(np.argmin(np.linalg.norm(pos[:nc] - C0, axis=1)))
    f[[centre_pb, cd]] = f[[cd, centre_pb]]
    traj = make_traj(species, np.stack([pos, f, f]), BOX, dt_ps=2.0)
    ex = compute_exchange(traj, g)
    prof = radial_density(traj, g, bin_A=0.5, window_edges_ps=[0.0, 1.0, 4.0])
    per_window = [ex["n_in_going"][:1].mean(), ex["n_in_going"][1:].mean()]
    assert np.allclose(prof.nc_counts["in_going"].sum(axis=1), per_window)
    assert np.allclose(prof.nc_counts["original"].sum(axis=1), [nc, nc - 1])
    assert np.allclose(prof.nc_counts["Se"].sum(axis=1), [na, na])
    # the Cd on the central Pb site: in-going density at r = 0 in window 1 only
    assert prof.counts["in_going"][1][0] == 1 and prof.counts["in_going"][0][0] == 0


def test_boundary_of_a_hand_built_core_shell_nc():
    """PbSe core (r < 8 Å) in a CdSe shell (r < 14 Å): the boundary lies between the
    outermost Pb (7.35 Å) and the innermost Cd (8.49 Å)."""
    cat, an = rocksalt_sites(A, 14.0)
    r = np.linalg.norm(cat, axis=1)
    pb, cd = cat[r < 8.0], cat[r >= 8.0]
    species = ["Pb"] * len(pb) + ["Cd"] * len(cd) + ["Se"] * len(an)
    pos = np.vstack([pb, cd, an]) + C0
    g = make_groups(species, original=range(len(pb)), in_going=range(len(pb), len(pb) + len(cd)),
                    original_anions=range(len(pb) + len(cd), len(species)))
    prof = radial_density(make_traj(species, pos, BOX), g, bin_A=0.25)
    b = prof.boundaries_A()[0]
    assert 7.35 < b < 8.49
    assert prof.nc_counts["in_going"][0].sum() == len(cd)
    assert prof.nc_counts["original"][0].sum() == len(pb)
