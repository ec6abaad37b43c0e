"""Exchange against adsorption (omm_cx.analysis.interior and the interior columns of
exchange.csv) on hand-built nanocrystals: exact counts, no MD.

The expected interior sites are found here independently of the hull rule, from the
lattice: a rocksalt cation site is interior when all 6 of its anion sites (c +- a/2 e_k)
are in the NC, a zinc-blende one when all 4 of its tetrahedral anion sites are.
"""

import numpy as np
import pytest

from omm_cx.analysis.base import AnalysisContext
from omm_cx.analysis.exchange import EXCHANGE_COLUMNS, ExchangeAnalysis, compute_exchange
from omm_cx.analysis.interior import MIN_DEPTH_A, enclosure_depth, interior_cations
from omm_cx.analysis.membership import iter_membership, resolve_criterion
from omm_cx.analysis.options import AnalysisOptions
from omm_cx.analysis.trajectory import frames_of

from analysis_helpers import make_groups, make_traj, rocksalt_sites

A_PBSE = 6.12  # rocksalt PbSe: Pb-Se 3.06 Å
A_CDSE = 6.08  # zinc-blende CdSe: Cd-Se 2.63 Å
R_NC = 12.5
C0 = np.array([30.0, 30.0, 30.0])
BOX = np.eye(3) * 60.0
OCTAHEDRON = np.vstack([np.eye(3), -np.eye(3)])
TETRAHEDRON = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], float)


def _keys(pts, step):
    return {tuple(k) for k in np.round(pts / step).astype(int)}


def _full_sites(cat, an, shell, step):
    """Boolean (len(cat),): every anion site cat + shell is in ``an`` (lattice units)."""
    have = _keys(an, step)
    return np.array([all(tuple(k) in have for k in np.round((c + shell) / step).astype(int))
                     for c in cat])


def _rocksalt_nc():
    """PbSe sphere; the expected interior Pb; empty cation sites just outside the NC with
    1-3 NC anions at a/2 (adsorption sites over the outermost Se layer)."""
    cat, an = rocksalt_sites(A_PBSE, R_NC)
    interior = _full_sites(cat, an, OCTAHEDRON * A_PBSE / 2, A_PBSE / 2)
    outer, _ = rocksalt_sites(A_PBSE, R_NC + 4.0)
    outer = outer[np.linalg.norm(outer, axis=1) >= R_NC]
    d = np.linalg.norm(outer[:, None] - an[None], axis=2)
    n_an = (d < A_PBSE / 2 + 0.01).sum(axis=1)
    adsorbed = outer[(n_an >= 1) & (n_an <= 3)]
    return cat, an, interior, adsorbed


def _system(cat, an, cd_sites, swap=()):
    """Species, positions (Å, about C0) and groups: Pb on ``cat`` (the indices in
    ``swap`` made Cd), Se on ``an``, Cd on ``cd_sites`` (in-going)."""
    n_c, n_a, n_cd = len(cat), len(an), len(cd_sites)
    species = ["Cd" if i in set(swap) else "Pb" for i in range(n_c)] + ["Se"] * n_a + ["Cd"] * n_cd
    pos = np.vstack([cat, an, np.reshape(cd_sites, (-1, 3))]) + C0
    g = make_groups(species, original=[i for i in range(n_c) if i not in set(swap)],
                    original_anions=range(n_c, n_c + n_a),
                    in_going=list(swap) + list(range(n_c + n_a, n_c + n_a + n_cd)))
    return species, pos, g


def test_depth_of_ideal_sites():
    d_pb, d_cd = 3.06, 2.63
    octa = OCTAHEDRON * d_pb
    tet = TETRAHEDRON / np.sqrt(3) * d_cd
    hollow = np.array([[1, 0, -0.6], [-1, 0, -0.6], [0, 1, -0.6], [0, -1, -0.6]]) * d_pb
    cases = [octa, tet, octa[[0, 1, 2, 3, 5]], tet[:3], hollow, octa[:2]]
    k = 8
    vec = np.zeros((len(cases), k, 3))
    mask = np.zeros((len(cases), k), bool)
    for i, v in enumerate(cases):
        vec[i, :len(v)], mask[i, :len(v)] = v, True
    depth = enclosure_depth(vec, mask)
    assert depth[0] == pytest.approx(d_pb / np.sqrt(3))  # octahedral: 1.77 Å
    assert depth[1] == pytest.approx(d_cd / 3)  # tetrahedral: 0.88 Å
    assert depth[2] == pytest.approx(0.0, abs=1e-12)  # {100} surface site: on the face
    assert depth[3] == pytest.approx(-d_cd / 3)  # three-fold hollow: outside
    assert depth[4] == pytest.approx(-0.6 * d_pb)  # four-fold hollow: above 4 coplanar Se
    assert depth[5] == -np.inf  # two anions: no face
    assert d_cd / 3 > MIN_DEPTH_A > 0


def test_adsorbed_cd_counts_in_rho_but_not_in_rho_interior():
    cat, an, interior, ads = _rocksalt_nc()
    assert len(ads) > 20 and interior.sum() > 40
    species, pos, g = _system(cat, an, ads)
    ex = compute_exchange(make_traj(species, pos, BOX), g)
    assert tuple(ex) == EXCHANGE_COLUMNS
    n_cat = len(cat) + len(ads)
    assert ex["n_in_going"].tolist() == [len(ads)]  # every adsorbed Cd is in the NC ...
    assert ex["rho"][0] == len(ads) / n_cat > 0.1
    assert ex["n_in_going_interior"].tolist() == [0]  # ... and none is interior
    assert ex["n_cations_interior"].tolist() == [int(interior.sum())]
    assert ex["rho_interior"][0] == 0.0
    assert ex["n_original_in_solution"].tolist() == [0]


def test_interior_pb_replaced_by_cd_gives_k_over_interior_sites():
    cat, an, interior, ads = _rocksalt_nc()
    inner = np.flatnonzero(interior)
    swap = inner[::9]  # k interior Pb -> Cd
    k, n_int = len(swap), len(inner)
    surface_pb = np.flatnonzero(~interior)[:4]  # Cd on 5-/4-coordinated surface sites
    species, pos, g = _system(cat, an, ads, swap=list(swap) + list(surface_pb))
    ex = compute_exchange(make_traj(species, pos, BOX), g)
    assert k >= 4
    assert ex["n_in_going_interior"].tolist() == [k]
    assert ex["n_cations_interior"].tolist() == [n_int]
    assert ex["rho_interior"][0] == k / n_int
    n_in = k + len(surface_pb) + len(ads)
    assert ex["n_in_going"].tolist() == [n_in]
    assert ex["rho"][0] == n_in / (len(cat) + len(ads))


def test_pb_moved_into_solution_counts_as_original_in_solution():
    cat, an, interior, _ = _rocksalt_nc()
    species, pos, g = _system(cat, an, np.zeros((0, 3)))
    inner, outer = np.flatnonzero(interior), np.flatnonzero(~interior)
    f1 = pos.copy()
    f1[inner[0]] = C0 + [0.0, 0.0, 26.0]  # an interior Pb leaves: a vacancy inside
    f2 = f1.copy()
    f2[outer[0]] = C0 + [0.0, 26.0, 0.0]  # and a surface Pb
    ex = compute_exchange(make_traj(species, np.stack([pos, f1, f2]), BOX), g)
    assert ex["n_original_in_solution"].tolist() == [0, 1, 2]
    assert ex["n_original"].tolist() == [len(cat), len(cat) - 1, len(cat) - 2]
    n_int = int(interior.sum())
    assert ex["n_cations_interior"].tolist() == [n_int, n_int - 1, n_int - 1]
    assert ex["rho_interior"].tolist() == [0.0, 0.0, 0.0]


def _zincblende_nc(a_A, radius_A):
    """Cation and anion sites of a zinc-blende sphere (cation at the origin)."""
    n = int(np.ceil(radius_A / a_A)) + 1
    g = np.arange(-n, n + 1)
    cells = np.array(np.meshgrid(g, g, g, indexing="ij")).reshape(3, -1).T
    fcc = np.array([[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
    cat = ((cells[:, None] + fcc[None]).reshape(-1, 3)) * a_A
    an = cat + a_A / 4
    return cat[np.linalg.norm(cat, axis=1) < radius_A], an[np.linalg.norm(an, axis=1) < radius_A]


def test_reverse_exchange_pb_on_tetrahedral_cd_sites():
    """Cd -> Pb: a zinc-blende CdSe NC; Pb on k interior Cd sites and Pb adsorbed over
    surface Se (on top, at the empty cation site above it) give rho_interior k / n."""
    cat, an = _zincblende_nc(A_CDSE, R_NC)
    interior = _full_sites(cat, an, TETRAHEDRON * A_CDSE / 4, A_CDSE / 4)
    inner = np.flatnonzero(interior)
    swap = inner[::7]
    top = an[np.linalg.norm(an, axis=1) > R_NC - 2.0][:6]
    ads = top + 2.63 * top / np.linalg.norm(top, axis=1)[:, None]  # radially out, 1 Se
    n_c, n_a = len(cat), len(an)
    species = ["Pb" if i in set(swap) else "Cd" for i in range(n_c)] + ["Se"] * n_a + ["Pb"] * len(ads)
    pos = np.vstack([cat, an, ads]) + C0
    g = make_groups(species, original=[i for i in range(n_c) if i not in set(swap)],
                    original_anions=range(n_c, n_c + n_a),
                    in_going=list(swap) + list(range(n_c + n_a, len(species))))
    ex = compute_exchange(make_traj(species, pos, BOX), g)
    assert g.in_going_species == ("Pb",) and len(swap) >= 4
    assert ex["n_cations_interior"].tolist() == [len(inner)]
    assert ex["n_in_going_interior"].tolist() == [len(swap)]
    assert ex["rho_interior"][0] == len(swap) / len(inner)
    assert ex["n_in_going"].tolist() == [len(swap) + len(ads)]


def test_interior_across_the_periodic_boundary():
    cat, an, interior, ads = _rocksalt_nc()
    pos = np.vstack([cat, an]) + np.array([1.0, 59.0, 0.5])  # the NC spans the box faces
    pos %= 60.0
    cats = np.arange(len(cat))
    got = interior_cations(pos, BOX, cats, np.arange(len(cat), len(pos)))
    assert got.tolist() == np.flatnonzero(interior).tolist()


def test_summary_keys_and_figure_of_the_exchange_analysis():
    cat, an, interior, ads = _rocksalt_nc()
    inner = np.flatnonzero(interior)
    species, pos, g = _system(cat, an, ads, swap=inner[:3])
    f1 = pos.copy()
    f1[np.flatnonzero(~interior)[0]] = C0 + [0.0, 0.0, 26.0]
    traj = make_traj(species, np.stack([pos, f1]), BOX)
    frames = list(frames_of(traj))
    crit = resolve_criterion(None, frames[0], g)
    an_ = ExchangeAnalysis()
    an_.prepare(AnalysisContext(g, frames[0], 2, 2.0, 0.0, AnalysisOptions(), None, crit))
    for frame, m in iter_membership(frames, g, crit):
        an_.add(frame, m)
    out = an_.finish()
    s = out.summary
    assert s["rho_interior_first"] == s["rho_interior_last"] == 3 / len(inner)
    assert s["n_in_going_interior_last"] == 3
    assert s["n_original_in_solution_last"] == 1
    assert "interior" in s["interior_rule"] and "\n" not in s["interior_rule"]
    assert "rho_interior" in s["columns"]
    fig = out.figures["exchange.png"]()
    labels = [ln.get_label() for ln in fig.axes[0].get_lines()]
    assert len(labels) == 2 and labels[0].startswith("ρ:") and labels[1].startswith("ρ_interior")
