"""Pb jumps by the 004 criteria on a hand-built PbSe/CdSe core/shell crystal where chosen
Pb ions are moved by chosen amounts at chosen frames: exact interface, shell and
kick-out counts, octa/tetra classes, r_a and r_c."""

import numpy as np
import pytest

from omm_cx.errors import AnalysisError
from omm_cx.analysis.jumps import (JumpCriteria, find_jumps, frame_stride_for, summarize_jumps,
                                   summarize_runs)

from analysis_helpers import make_groups, make_traj

A = 6.0
H = A / 2  # lattice positions below are in units of a/2 = 3 Å
C0 = np.array([40.0, 40.0, 40.0])
BOX = np.eye(3) * 80.0
R_NC, R_CORE = 14.0, 8.0


def _site(ijk):
    return C0 + H * np.asarray(ijk, float)


def _build():
    """Rocksalt sphere (r < 14 Å) about a cation site: Pb core (r < 8 Å), Cd shell; plus
    the special ions of the scenario. Returns species, positions, name -> index."""
    g = np.arange(-5, 6)
    ijk = np.array(np.meshgrid(g, g, g, indexing="ij")).reshape(3, -1).T
    r = np.linalg.norm(ijk * H, axis=1)
    keep = r < R_NC
    even = ijk.sum(axis=1) % 2 == 0
    cat, an = ijk[keep & even], ijk[keep & ~even]
    vacant = {(-3, -1, -2), (1, -3, 0)}  # target sites of jumps B and D (Cd removed)
    isolated_pb = {(0, 4, 0), (0, -4, 0), (4, 0, 0), (4, 1, 1)}  # C, D and the pair of G
    species, pos, names = [], [], {}
    for c in cat:
        t = tuple(int(x) for x in c)
        if t in vacant:
            continue
        names[t] = len(species)
        species.append("Pb" if (np.linalg.norm(c * H) < R_CORE or t in isolated_pb) else "Cd")
        pos.append(_site(c))
    names["cd_interstitial"] = len(species)  # an exchanged Cd in the core, next to P_A
    species.append("Cd")
    pos.append(_site((1.5, 0.5, 0.5)))
    names["far_pb"] = len(species)  # a Pb 22 Å from the centre, in the solution
    species.append("Pb")
    pos.append(C0 + [22.0, 0, 0])
    first_anion = len(species)
    for a in an:
        species.append("Se")
        pos.append(_site(a))
    return species, np.array(pos), names, first_anion


def _scenario():
    species, pos, names, first_anion = _build()
    n = len(species)
    pb = [i for i in range(n) if species[i] == "Pb"]
    cd = [i for i in range(n) if species[i] == "Cd"]
    groups = make_groups(species, original=pb, original_anions=range(first_anion, n), in_going=cd)
    P = {"A": names[(2, 1, 1)], "B": names[(-2, -1, -1)], "C": names[(0, 4, 0)],
         "D": names[(0, -4, 0)], "E": names[(1, -2, 1)], "G": names[(4, 0, 0)], "H": names["far_pb"]}
    moves = {  # even step k -> {ion: new position}; applied between step k-1 and k
        1: {"A": _site((2.5, 1.5, 1.5))},          # interface, outward, to a tetrahedral site, kick-out
        2: {"B": _site((-3, -1, -2))},             # interface, outward, into a vacancy (octahedral)
        3: {"C": _site((0.5, 3.5, 0.5))},          # shell, inward, to a tetrahedral site
        4: {"D": _site((1, -3, 0))},               # shell, into a vacancy (octahedral)
        5: {"E": _site((0.5, -1.5, 0.5)),          # interface Pb moving inward: criterion 3 fails
            "C": _site((0.5, 3.5, 0.5)) + [0, 1.9, 0],  # 1.9 Å: criterion 1 fails
            "G": _site((4.5, 0.5, 0.5)),           # one Pb neighbour: neither 4 nor 5
            "H": C0 + [22.0, 3.0, 0.0]},           # 22 Å from the centre: criterion 2 fails
    }
    frames, cur = [], pos.copy()
    for k in range(7):
        for key, x in moves.get(k, {}).items():
            cur[P[key]] = x
        frames.append(cur.copy())  # frame 2k
        odd = cur.copy()
        odd[names[(0, 0, 0)]] += [3.0, 0, 0]  # frame 2k+1: a 3 Å excursion the 2 ps grid never sees
        frames.append(odd)
    traj = make_traj(species, np.stack(frames[:-1]), BOX, dt_ps=1.0)
    return traj, groups, P, species


def _nearest_mean(x, pts, k=4):
    d = np.sort(np.linalg.norm(pts - x, axis=1))
    return float(d[:k].mean())


def test_jumps_on_a_hand_built_core_shell_crystal():
    traj, groups, P, species = _scenario()
    jumps = find_jumps(traj, groups)
    by_atom = {j.atom: j for j in jumps}
    assert sorted(by_atom) == sorted(P[k] for k in "ABCD")
    a, b, c, d = (by_atom[P[k]] for k in "ABCD")
    assert (a.kind, a.kick, a.site, a.n_site_anions) == ("intf", True, "tetra", 4)
    assert (b.kind, b.kick, b.site, b.n_site_anions) == ("intf", False, "octa", 6)
    assert (c.kind, c.kick, c.site, c.n_site_anions) == ("shell", False, "tetra", 4)
    assert (d.kind, d.kick, d.site, d.n_site_anions) == ("shell", False, "octa", 6)
    # frames 2 ps apart on a 1 ps trajectory: pre/post frames 0->2, 2->4, 4->6, 6->8
    assert [(j.frame_pre, j.frame_post) for j in (a, b, c, d)] == [(0, 2), (2, 4), (4, 6), (6, 8)]
    assert (a.time_pre_ps, a.time_post_ps) == (0.0, 2.0)
    assert a.n_kick_partners == 1
    assert a.n_neighbors == 5 and b.n_neighbors == 5 and c.n_neighbors == 0
    assert a.displacement_A == pytest.approx(A * np.sqrt(3) / 4, abs=1e-4)
    assert b.displacement_A == pytest.approx(A / np.sqrt(2), abs=1e-4)
    assert a.r_pre_A == pytest.approx(H * np.sqrt(6), abs=1e-4)
    assert a.r_post_A == pytest.approx(H * np.sqrt(10.75), abs=1e-4)
    # r_a: 4 nearest anions, tetrahedral site a*sqrt(3)/4, octahedral a/2
    assert a.r_a_A == pytest.approx(A * np.sqrt(3) / 4, abs=1e-4)
    assert c.r_a_A == pytest.approx(A * np.sqrt(3) / 4, abs=1e-4)
    assert b.r_a_A == pytest.approx(A / 2, abs=1e-4)
    assert d.r_a_A == pytest.approx(A / 2, abs=1e-4)
    # r_c: 4 nearest other cations in the post-jump frame, by brute force
    xyz = traj.xyz * 10
    cations = np.array([i for i, s in enumerate(species) if s in ("Pb", "Cd")])
    for j in (a, b, c, d):
        others = cations[cations != j.atom]
        x = xyz[j.frame_post, j.atom]
        assert j.r_c_A == pytest.approx(_nearest_mean(x, xyz[j.frame_post, others]), abs=1e-4)

    s = summarize_jumps(jumps)
    assert {k: s[k] for k in ("n_intf", "n_shell", "n_kick", "n_octa", "n_tetra", "n_other")} == \
        {"n_intf": 2, "n_shell": 2, "n_kick": 1, "n_octa": 2, "n_tetra": 2, "n_other": 0}
    assert s["kick_ratio"] == 0.5
    assert s["classes"]["intf-tetra"]["n"] == 1
    assert s["classes"]["intf-tetra"]["rc_over_ra"] == pytest.approx(a.r_c_A / a.r_a_A)


def test_kick_out_needs_the_cd_in_the_core():
    traj, groups, P, _ = _scenario()
    # the Cd interstitial is 4.97 Å from the centre: a core radius of 4 Å puts it outside
    jumps = find_jumps(traj, groups, JumpCriteria(core_radius_A=4.0))
    assert summarize_jumps(jumps)["n_kick"] == 0
    jumps = find_jumps(traj, groups, JumpCriteria(core_radius_A=6.0))
    assert summarize_jumps(jumps)["n_kick"] == 1
    # the kick-out distance 3.6 Å: 2.6 Å away counts, with 2.5 Å it does not
    jumps = find_jumps(traj, groups, JumpCriteria(kick_cutoff_A=2.5))
    assert summarize_jumps(jumps)["n_kick"] == 0


def test_kick_out_core_from_the_density_boundary_or_local_pb_count():
    traj, groups, P, _ = _scenario()
    # with a 4.4 Å kick-out distance, A's partners include the Cd of the first shell layer
    # (4.31 Å away, 8.6-10.6 Å from the centre, several with >= 3 Pb within 4.5 Å): the
    # local rule takes those as "core"; the density rule's boundary (between the last core
    # Pb at 7.5 Å and the first shell Cd at 8.6 Å) keeps only the interstitial at 5.0 Å
    wide = {"kick_cutoff_A": 4.4}
    dens = {j.atom: j for j in find_jumps(traj, groups, JumpCriteria(**wide))}
    local = {j.atom: j for j in find_jumps(traj, groups, JumpCriteria(kick_core="local", **wide))}
    assert dens[P["A"]].n_kick_partners == 1
    assert local[P["A"]].n_kick_partners > 1
    with pytest.raises(AnalysisError, match="kick_core"):
        JumpCriteria(kick_core="radius")


def test_neighbour_criteria_after_the_jump():
    traj, groups, P, _ = _scenario()
    jumps = find_jumps(traj, groups, JumpCriteria(neighbors_frame="post"))
    kinds = {j.atom: j.kind for j in jumps}
    # A's tetrahedral target has no Pb within 4.5 Å (its 4 cation neighbours are Cd and
    # its own vacated site): read after the jump, A becomes a shell jump
    assert kinds[P["A"]] == "shell"
    assert kinds[P["C"]] == "shell"
    # D's target vacancy has 2 Pb neighbours (sites (0,-2,0) and (1,-2,1)): neither kind
    assert P["D"] not in kinds


def test_site_classes_and_interval_checks():
    c = JumpCriteria(site_rule="strict")
    assert [c.site_of(n) for n in (6, 4, 5, 3, 0)] == ["octa", "tetra", "other", "other", "other"]
    with pytest.raises(AnalysisError, match="site_rule"):
        JumpCriteria(site_rule="three")
    assert frame_stride_for(2.0, 2.0) == 1
    assert frame_stride_for(2.0, 0.5) == 4
    with pytest.raises(AnalysisError, match="every 2 ps"):
        frame_stride_for(2.0, 4.0)
    with pytest.raises(AnalysisError):
        frame_stride_for(2.0, 0.75)


def test_summary_over_runs_reproduces_004_table_2():
    runs = [(1188, 498, 563), (1258, 684, 516), (1731, 650, 848), (1585, 1128, 715), (1215, 756, 661)]
    per = [{"n_intf": i, "n_shell": s, "n_kick": k, "n_octa": 0, "n_tetra": 0, "n_other": 0,
            "kick_ratio": k / i} for i, s, k in runs]
    out = summarize_runs(per)
    assert out["total"]["n_intf"] == 6977 and out["total"]["n_shell"] == 3716
    assert out["total"]["n_kick"] == 3303
    assert round(out["mean"]["kick_ratio"], 3) == 0.474
    assert round(out["sem"]["kick_ratio"], 3) == 0.022
    assert [round(r["kick_ratio"], 3) for r in out["runs"].values()] == [0.474, 0.410, 0.490, 0.451, 0.544]


@pytest.mark.parametrize("n, two_class, strict", [(3, "tetra", "other"), (4, "tetra", "tetra"),
                                                  (5, "octa", "other"), (6, "octa", "octa"),
                                                  (7, "octa", "other")])
def test_site_classes_with_hand_placed_anions(n, two_class, strict):
    """n anions 3.0 Å from the target (inside the 4.1 Å of 004) and two at 4.5 Å (outside):
    the count is n; 004's two classes by default (octa + tetra = every jump), the strict
    6/4 rule as an option."""
    from omm_cx.periodic import NeighborSearch

    rng = np.random.default_rng(n)
    target = np.array([10.0, 10.0, 10.0])
    v = rng.normal(size=(n + 2, 3))
    v /= np.linalg.norm(v, axis=1)[:, None]
    anions = target + v * np.r_[np.full(n, 3.0), 4.5, 4.5][:, None]
    count = int(NeighborSearch(anions, np.eye(3) * 20.0).count_within(target[None], 4.1)[0])
    assert count == n
    assert JumpCriteria().site_of(count) == two_class
    assert JumpCriteria(site_rule="strict").site_of(count) == strict


def test_two_classes_cover_every_jump():
    traj, groups, _, _ = _scenario()
    s = summarize_jumps(find_jumps(traj, groups))
    assert s["n_octa"] + s["n_tetra"] == s["n_intf"] + s["n_shell"] and s["n_other"] == 0
