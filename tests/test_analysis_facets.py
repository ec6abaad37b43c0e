"""Exchange per facet family: direction classes, hand-placed cations with exact counts,
the orientation recorded at build time, and the pipeline on a real short run."""

import numpy as np
import pytest

from omm_cx.analysis.facets import (FAMILIES, FacetAccumulator, facet_directions, facet_family,
                                    rotation_from_build_info)
from omm_cx.analysis.groups import groups_from_build_info
from omm_cx.errors import AnalysisError
from omm_cx.analysis.membership import FrameMembership
from omm_cx.systems.recipes import build_recipe
from omm_cx.systems.record import BuildRecord


def test_directions_and_families():
    d, fam = facet_directions()
    assert len(d) == 26 and np.allclose(np.linalg.norm(d, axis=1), 1)
    assert [int((fam == k).sum()) for k in range(3)] == [6, 12, 8]
    v = np.array([[3, 0, 0], [1, 1, 0], [1, -1, 1], [-2, 0.1, 0], [0.1, 1, 0.9], [1, 1, 0.55]])
    np.testing.assert_array_equal(facet_family(v), [0, 1, 2, 0, 1, 2])
    # a crystal whose [111] is the lab z axis: lab z belongs to {111}
    z = np.array([1, 1, 1]) / np.sqrt(3)
    x = np.array([1, -1, 0]) / np.sqrt(2)
    rot = np.array([x, np.cross(z, x), z])  # rows: lab axes in crystal coordinates; rot @ [111] = z
    assert facet_family(np.array([[0, 0, 5.0]]), rot)[0] == 2
    assert facet_family(np.array([[0, 0, 5.0]]))[0] == 0


def _groups_for(species, in_going):
    info = {"forcefield": "test", "n_atoms": len(species), "groups": {
        "nc_cations": [i for i, s in enumerate(species) if s == "Pb"],
        "nc_anions": [i for i, s in enumerate(species) if s == "Se"],
        "solution_cations": in_going, "solution_anions": [], "ligands": []}}
    return groups_from_build_info(info, species)


def test_hand_placed_outer_layer_counts():
    # cations at 9 Å along chosen directions (outer layer of a radius-10 NC), one deep
    # inside (excluded), one Cd adsorbed at 11 Å along <111>
    dirs = {0: [1, 0, 0], 1: [0, -1, 0], 2: [1, 1, 0], 3: [1, 1, 1], 4: [-1, 1, -1], 5: [0, 0, 1],
            6: [1, 0, 1], 7: [-1, -1, 1]}
    xyz = np.zeros((10, 3))
    for i, v in dirs.items():
        xyz[i] = 9.0 * np.array(v, float) / np.linalg.norm(v)
    xyz[8] = [0.5, 0.2, 0.1]  # deep cation: ignored
    xyz[9] = 11.0 * np.array([1, -1, -1]) / np.sqrt(3)  # in-going Cd on {111}
    species = ["Pb"] * 9 + ["Cd"]
    species[6] = "Cd"  # an in-going cation that already sits on a {110} site
    groups = _groups_for(species, [6, 9])
    m = FrameMembership(np.array([], int), np.array([], int), np.arange(10), np.zeros(3), 10.0)
    acc = FacetAccumulator(groups, None, shell_A=6.0)
    acc.add(0.0, xyz, None, m)
    r = acc.result()
    assert [int(r[f"n_cations_{f}"][0]) for f in FAMILIES] == [3, 2, 4]
    assert [int(r[f"n_in_going_{f}"][0]) for f in FAMILIES] == [0, 1, 1]
    assert r["rho_110"][0] == pytest.approx(0.5) and r["rho_111"][0] == pytest.approx(0.25)
    assert r["rho_100"][0] == 0.0


def test_rotation_recorded_at_build_time():
    tip = build_recipe("pbse-cdse-dumbbell-2")
    rots = [np.asarray(c["rotation"]) for c in tip.info["crystals"]]
    axes = [tuple(c["axis"]) for c in tip.info["crystals"]]
    for rot, axis in zip(rots, axes):
        a = np.asarray(axis, float) / np.linalg.norm(axis)
        np.testing.assert_allclose(rot @ a, [0, 0, 1], atol=1e-12)  # the axis points along z
    assert np.allclose(rotation_from_build_info(build_recipe("demo-pbse-cd-psl").info), np.eye(3))
    with pytest.raises(AnalysisError, match="no crystal"):
        rotation_from_build_info(BuildRecord(forcefield="test"))
    with pytest.raises(AnalysisError, match="key 'forcefield'"):  # a dict is validated
        rotation_from_build_info({})
