"""003's paths with their sites found automatically: interstitial sites of the built
wires, the adsorption site above one, the kick-off partner; 003's barrier reading; the
jitter of the moving ion only."""

from __future__ import annotations

import numpy as np
import pytest

from omm_cx.energy.path import PathProfile, straight_path, swap_moves
from omm_cx.energy.sites import auto_path, default_ion, holes, nc_indices
from omm_cx.errors import StructureError
from omm_cx.forcefield import load_forcefield
from omm_cx.periodic import minimum_image
from omm_cx.systems.recipes import build_recipe
from structures import rocksalt


@pytest.fixture(scope="module")
def wires():
    return {name: build_recipe(name) for name in ("cdse-nanowire-cu", "cdse-nanowire-zb-cu")}


@pytest.mark.parametrize("name, shell, per_pair", [("cdse-nanowire-cu", 6, 1.0),
                                                   ("cdse-nanowire-zb-cu", 4, 2.0)])
def test_interstitial_sites_of_the_wires(wires, name, shell, per_pair):
    """Wurtzite: one octahedral cage per CdSe pair; zinc blende: two tetrahedral cages per
    pair (cation- and anion-centred); minus the sites cut by the surface."""
    b = wires[name]
    nc = nc_indices(b.info)
    found = holes(b.structure, nc, wire=True)
    assert {len(h.shell) for h in found} == {shell}
    n_pairs = b.info["nc_counts"]["Cd"]
    assert 0.6 * per_pair * n_pairs < len(found) <= per_pair * n_pairs  # a 4.5 nm wire: ~25 % surface
    for h in found[:50]:  # every shell atom at the site's empty radius (within 10 %)
        d = np.linalg.norm(minimum_image(b.structure.positions_A[list(h.shell)] - h.position_A,
                                         b.structure.box_A), axis=1)
        assert d.max() <= 1.1 * h.radius_A + 1e-9 and d.min() == pytest.approx(h.radius_A, abs=1e-6)


def test_entry_and_kickoff_sites(wires):
    b = wires["cdse-nanowire-cu"]
    s, info = b.structure, b.info
    cu = default_ion(s, info, "Cu")
    assert s.species[cu] == "Cu"
    entry = auto_path("entry", s, info, cu)
    d = entry.description
    hole, site = np.array(d["hole_A"]), np.array(d["adsorption_site_A"])
    assert np.allclose(entry.structure.positions_A[cu], site) and np.allclose(entry.moves[cu], hole)
    # the adsorption site lies 1.8 Å beyond the NC atom that covers the hole, radially
    assert np.linalg.norm(site - hole) == pytest.approx(d["cover_A"] + 1.8, abs=1e-9)
    assert d["cover_A"] >= 1.0 and entry.jitter_atoms == [cu]
    nc = nc_indices(info)
    r_nc = np.linalg.norm(s.positions_A[nc, :2] - s.positions_A[nc, :2].mean(axis=0), axis=1)
    assert d["hole_radial_A"] < r_nc.max()
    kick = auto_path("kickoff", s, info, cu)
    partner = kick.description["partner"]
    assert s.species[partner] == "Cd" and set(kick.moves) == {cu, partner}
    assert np.allclose(kick.structure.positions_A[cu], hole)
    assert np.linalg.norm(kick.moves[cu] - hole) == pytest.approx(kick.description["partner_distance_A"])
    assert np.allclose(minimum_image(kick.moves[cu] - s.positions_A[partner], s.box_A), 0, atol=1e-9)
    assert kick.jitter_atoms == [cu]
    # the Cd is kicked on to a cage on its far side, not back through the incoming Cu
    out = kick.moves[partner] - s.positions_A[partner]
    assert out @ minimum_image(hole - s.positions_A[partner], s.box_A) < 0
    assert 2.0 < np.linalg.norm(out) == pytest.approx(kick.description["partner_path_A"])
    cds = [i for i in nc if s.species[i] == "Cd"]
    dist = np.linalg.norm(minimum_image(s.positions_A[cds] - hole, s.box_A), axis=1)
    assert kick.description["partner_distance_A"] == pytest.approx(dist.min())
    with pytest.raises(StructureError, match="no Pb"):
        default_ion(s, info, "Pb")
    with pytest.raises(StructureError, match="entry or kickoff"):
        auto_path("hop", s, info, cu)


def test_barrier_as_003_reads_it():
    """The point before the steepest drop minus the start; the maximum where it never drops."""
    e = np.array([[0.0, 0.2, 0.5, 0.1, 0.0], [0.0, 0.1, 0.2, 0.3, 0.4], [0.0, 0.6, 0.55, 0.5, -0.4]])
    p = PathProfile(np.linspace(0, 1, 5), e, np.zeros(3), np.array([0]), np.zeros((3, 1, 3)),
                    np.zeros((1, 3)), "none")
    np.testing.assert_allclose(p.barrier_003_eV, [0.5, 0.4, 0.5])
    np.testing.assert_allclose(p.barrier_eV, [0.5, 0.4, 0.6])
    assert p.summary()["barrier_003_eV"] == pytest.approx(np.mean([0.5, 0.4, 0.5]))


def test_swap_jitters_only_the_chosen_atom():
    ff = load_forcefield("pbcdse")
    s = rocksalt(6.08, 4, "Pb", "Se")
    pb, se = s.species.index("Pb"), s.species.index("Se")
    moves = swap_moves(s, pb, se)
    prof = straight_path(ff, s, moves, n_points=2, samples=3, jitter_A=0.5, seed=3,
                         platform="Reference", jitter_atoms=[pb])
    k_pb, k_se = list(prof.moving).index(pb), list(prof.moving).index(se)
    assert np.all(prof.start_A[:, k_se] == s.positions_A[se])  # the partner starts on its site
    assert np.all(np.abs(prof.start_A[:, k_pb] - s.positions_A[pb]) <= 0.5)
    assert np.abs(prof.start_A[:, k_pb] - s.positions_A[pb]).max() > 0.0


def test_paths_start_from_a_finished_run_folder(wires, tmp_path):
    """A run folder (final.pdb + build/build.json, e.g. a wire annealed by MD) is a path
    input; an unfinished one is refused with the fix."""
    import shutil

    from omm_cx.energy.path import load_path_inputs
    from omm_cx.simulation.rundir import RunFolder

    b = wires["cdse-nanowire-cu"]
    b.write(tmp_path / "run" / "build")
    run = RunFolder(tmp_path / "run")
    assert run.is_run()
    with pytest.raises(StructureError, match="without final.pdb"):
        run.final_structure()
    shutil.copy(tmp_path / "run" / "build" / "structure.pdb", tmp_path / "run" / "final.pdb")
    pdb, build = run.final_structure()
    ff, s, info = load_path_inputs(pdb, build=build)
    assert ff.name == "cdse-cu-lj" and len(s.species) == b.info["n_atoms"]
    assert info["groups"]["nc_cations"] == b.info["groups"]["nc_cations"]
