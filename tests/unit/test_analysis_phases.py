"""The phase analysis: phase boundaries of hand-built rocksalt/zincblende slabs on one fcc
anion sublattice ({100} and both kinds of {111} interface; family and layer width against
an independent layer count of the known construction), the per-ion phase file, phase
counts, and the ``phases`` analysis through the driver on a core/shell particle."""

import json

import numpy as np
import pytest

from omm_cx.analysis.phase_boundary import phase_boundary, width_layers
from omm_cx.analysis.phases import (PHASES_NPZ, PhaseCodes, phase_columns, read_phase_codes,
                                    write_phase_codes)
from omm_cx.analysis.structure_id import NOT_CLASSIFIED, PHASES, identify_phases
from omm_cx.errors import AnalysisError
from omm_cx.io.tables import read_csv

A_A = 6.1  # common lattice constant of the commensurate PbSe/CdSe model, Å
RS, ZB = PHASES.index("rocksalt"), PHASES.index("zincblende")
#: crystal -> lab rotation (rows: lab axes in crystal coordinates) with [111] along z
R111 = np.array([np.array([1, -1, 0]) / np.sqrt(2), np.array([1, 1, -2]) / np.sqrt(6),
                 np.array([1, 1, 1]) / np.sqrt(3)])


def _fcc(a, n):
    base = np.array([[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    cells = np.array([[i, j, k] for i in range(-n, n) for j in range(-n, n) for k in range(-n, n)])
    return (cells[:, None] + base[None]).reshape(-1, 3) * a


def slab(family, cells, rs_below=True, noise_A=0.0, vacuum_A=20.0, seed=0):
    """A rocksalt PbSe / zincblende CdSe bilayer on one fcc Se sublattice with one flat
    interface normal to z ({100} or {111}); periodic in x, y, free surfaces in z
    (vacuum). Every Se owns one cation: octahedral at -a/2 [100] (rocksalt) or
    tetrahedral at -a/4 [111] (zincblende), as in 001's commensurate model.
    Returns xyz (Å), species, box (Å), crystal->lab rotation, Se layer index along z."""
    a = A_A
    if family == "100":
        rot, period = np.eye(3), np.array(cells, float) * a
        spacing = a / 2
    else:
        rot = R111
        period = np.array(cells, float) * [a / np.sqrt(2), a * np.sqrt(6) / 2, a * np.sqrt(3)]
        spacing = a / np.sqrt(3)
    pts = _fcc(a, int(np.ceil(period.max() / a)) + 2) @ rot.T + 1e-3
    se = pts[np.all((pts >= 0) & (pts < period - 1e-6), axis=1)]
    rs = (se[:, 2] < period[2] / 2) == rs_below
    octa, tetra = rot @ [-a / 2, 0, 0], rot @ (np.array([-1, -1, -1]) * a / 4)
    cat = np.where(rs[:, None], se + octa, se + tetra)
    cat[:, :2] %= period[:2]
    xyz = np.vstack([cat, se]) + [0, 0, vacuum_A / 2]
    xyz += np.random.default_rng(seed).normal(scale=noise_A, size=xyz.shape)
    species = np.array(["Pb" if r else "Cd" for r in rs] + ["Se"] * len(se), dtype=object)
    layer = np.rint((se[:, 2] - 1e-3) / spacing).astype(int)
    return xyz, species, np.diag(period + [0, 0, vacuum_A]), rot, layer


def _reference_width(codes_se, layer, inner, outer):
    """Width in layers from the known Se layers (independent of phase_boundary): the
    step from the last layer >= 90 % inner to the first layer after it >= 90 % outer,
    walking from the inner side."""
    ks = np.unique(layer)
    f_in = np.array([np.mean(codes_se[layer == k] == inner) for k in ks])
    f_out = np.array([np.mean(codes_se[layer == k] == outer) for k in ks])
    if np.mean(np.flatnonzero(f_in >= 0.9)) > np.mean(np.flatnonzero(f_out >= 0.9)):
        ks, f_in, f_out = ks[::-1], f_in[::-1], f_out[::-1]  # walk from the inner side
    j = np.flatnonzero(f_out >= 0.9)
    j = j[j > np.flatnonzero(f_in >= 0.9)[0]][0]
    return float(j - np.flatnonzero(f_in[:j] >= 0.9)[-1])


def _boundary_of(xyz, species, box, rot):
    codes = identify_phases(xyz, species, box)
    se = np.flatnonzero(species == "Se")
    return codes, phase_boundary(xyz, box, codes, np.arange(len(species)), se, xyz.mean(axis=0), rot)


@pytest.mark.parametrize("rs_below", [True, False])
def test_111_interfaces_family_and_width(rs_below):
    xyz, species, box, rot, layer = slab("111", (3, 2, 5), rs_below, noise_A=0.15)
    codes, b = _boundary_of(xyz, species, box, rot)
    assert {PHASES[b.inner], PHASES[b.outer]} == {"rocksalt", "zincblende"}
    assert b.family == "111" and b.fractions["111"] >= 0.9
    assert b.spacing_A == pytest.approx(A_A / np.sqrt(3), rel=0.02)
    ref = _reference_width(codes[species == "Se"], layer, b.inner, b.outer)
    assert b.width == ref
    assert b.width <= 2  # 001: a sharp {111} boundary, within one anion layer
    # the crystal frame matters: in the lab frame, z is a <100> direction
    _, b_lab = _boundary_of(xyz, species, box, None)
    assert b_lab.family == "100"


def test_100_interface_family_and_width():
    xyz, species, box, rot, layer = slab("100", (3, 3, 8), noise_A=0.15)
    codes, b = _boundary_of(xyz, species, box, rot)
    assert b.family == "100" and b.fractions["100"] >= 0.9
    assert b.spacing_A == pytest.approx(A_A / 2, rel=0.02)
    assert b.width == _reference_width(codes[species == "Se"], layer, b.inner, b.outer)
    # the normals point from the inner phase to the outer one, along +-z
    inner_z = xyz[codes == b.inner, 2].mean()
    outer_z = xyz[codes == b.outer, 2].mean()
    assert np.sign(np.mean(b.normals[:, 2])) == np.sign(outer_z - inner_z)


def test_width_definition():
    k = np.arange(-3, 4)
    sharp_in, sharp_out = np.array([1, 1, 1, 1, 0, 0, 0.0]), np.array([0, 0, 0, 0, 1, 1, 1.0])
    assert width_layers(sharp_in, sharp_out, k) == 1
    mixed_in, mixed_out = np.array([1, 1, 1, 0.5, 0, 0, 0]), np.array([0, 0, 0, 0.5, 1, 1, 1])
    assert width_layers(mixed_in, mixed_out, k) == 2
    other_in, other_out = np.array([1, 1, 0.95, 0, 0, 0, 0]), np.array([0, 0, 0, 0, 0, 1, 1])
    assert width_layers(other_in, other_out, k) == 3  # two disordered layers
    assert np.isnan(width_layers(np.ones(7), np.zeros(7), k))
    gap = np.array([1, np.nan, 0, 0, 0, 0, 0.0])  # an empty layer is skipped
    assert width_layers(gap, 1 - gap, k) == 2


def test_single_phase_has_no_boundary():
    xyz, species, box, rot, _ = slab("100", (3, 3, 4), noise_A=0.1)
    codes = identify_phases(xyz, species, box)
    codes[codes == ZB] = RS  # one crystalline phase only
    b = phase_boundary(xyz, box, codes, np.arange(len(species)), np.flatnonzero(species == "Se"),
                       xyz.mean(axis=0), rot)
    assert b.inner == -1 and b.n_boundary == 0 and b.family is None and np.isnan(b.width)


def test_phase_columns_counts():
    species = np.array(["Pb", "Pb", "Cd", "Cd", "Se", "Se", "PSL"], dtype=object)
    codes = np.array([RS, RS, ZB, 0, RS, ZB, NOT_CLASSIFIED], dtype=np.uint8)
    cols = phase_columns(codes, species, np.arange(6), ["Pb", "Cd", "Se"])
    assert cols["n_Pb"] == 2 and cols["n_Pb_rocksalt"] == 2 and cols["f_Pb_rocksalt"] == 1.0
    assert cols["n_Cd_zincblende"] == 1 and cols["n_Cd_other"] == 1 and cols["f_Cd_other"] == 0.5
    assert cols["f_Se_rocksalt"] == 0.5 and cols["f_Se_wurtzite"] == 0.0
    assert set(cols) == {f"{k}_{s}" for s in ("Pb", "Cd", "Se") for k in ("n",)} | {
        f"{k}_{s}_{p}" for s in ("Pb", "Cd", "Se") for p in PHASES for k in ("n", "f")}
    empty = phase_columns(codes, species, np.array([0]), ["Cd"])
    assert empty["n_Cd"] == 0 and np.isnan(empty["f_Cd_rocksalt"])


def test_per_ion_file_round_trip(tmp_path):
    rng = np.random.default_rng(3)
    n_frames, n_atoms = 4, 1001  # not a multiple of 8: the packed bits are cut right
    pc = PhaseCodes(rng.integers(0, 5, (n_frames, n_atoms)).astype(np.uint8),
                    rng.random((n_frames, n_atoms)) < 0.5, np.arange(n_frames) * 2.0,
                    np.arange(n_frames) * 10, np.array(["Pb"] * 500 + ["Se"] * 501))
    pc.codes[:, -3:] = NOT_CLASSIFIED
    path = write_phase_codes(tmp_path / PHASES_NPZ, pc)
    back = read_phase_codes(path)
    np.testing.assert_array_equal(back.codes, pc.codes)
    np.testing.assert_array_equal(back.in_nc, pc.in_nc)
    np.testing.assert_array_equal(back.time_ps, pc.time_ps)
    np.testing.assert_array_equal(back.frame, pc.frame)
    assert back.phases == PHASES and back.codes.dtype == np.uint8
    assert list(back.species[:2]) == ["Pb", "Pb"]
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(AnalysisError, match="bad.npz"):
        read_phase_codes(tmp_path / "bad.npz")


CORE_SHELL = {"name": "cs", "forcefield": "pbcdse", "seed": 1, "box_nm": 5.0,
              "nanocrystal": {"shape": "core_shell", "diameter_nm": 3.0,
                              "crystal": {"structure": "rocksalt", "cation": "Pb", "anion": "Se"},
                              "shell": {"cation": "Cd", "structure": "zincblende"},
                              "exchanged_fraction": 0.5}}


@pytest.fixture(scope="module")
def core_shell_run(tmp_path_factory):
    """A 3 nm PbSe-core/CdSe-shell build and a 4-frame DCD (0.1 Å noise per frame; in
    frames 2-3 the particle is rotated by 30 degrees about z)."""
    import openmm.app as app
    import openmm.unit as u

    from omm_cx.systems.recipes import build_recipe

    built = build_recipe(CORE_SHELL)
    out = tmp_path_factory.mktemp("phases") / "run"
    built.write(out)
    x0, box = built.structure.positions_A, built.structure.box_A
    c = x0.mean(axis=0)
    th = np.radians(30)
    rz = np.array([[np.cos(th), -np.sin(th), 0], [np.sin(th), np.cos(th), 0], [0, 0, 1]])
    rng = np.random.default_rng(0)
    pdb = app.PDBFile(str(out / "structure.pdb"))
    with open(out / "traj.dcd", "wb") as fh:
        dcd = app.DCDFile(fh, pdb.topology, 0.002 * u.picoseconds, firstStep=1000, interval=1000)
        for k in range(4):
            x = x0 if k < 2 else (x0 - c) @ rz.T + c
            x = x + rng.normal(scale=0.1, size=x.shape)
            dcd.writeModel(x * 0.1 * u.nanometer, periodicBoxVectors=box * 0.1 * u.nanometer)
    return out, built


def test_phases_through_the_driver(core_shell_run):
    from omm_cx.analysis.driver import analyze_run_dir

    run, built = core_shell_run
    s = analyze_run_dir(run, what=["phases"])
    out = run / "analysis"
    for name in ("phases.csv", "phases.png", "phase_profile.csv", "phase_profile.png",
                 "phase_boundary.csv", "phase_boundary.json", PHASES_NPZ):
        assert (out / name).is_file(), name
    tab = read_csv(out / "phases.csv")
    assert np.allclose(tab["time_ps"], [2, 4, 6, 8])
    n_core = len(built.groups["nc_core"]) // 2  # formula units: one cation + one anion
    n_shell = len(built.groups["nc_shell"]) // 2
    assert (tab["n_Pb"] == n_core).all() and (tab["n_Cd"] == n_shell).all()
    # the core is rocksalt, the shell zincblende or surface (a 3 nm particle is mostly surface)
    assert (tab["n_Pb_rocksalt"] >= 0.6 * n_core).all()
    assert (tab["n_Cd_rocksalt"] == 0).all() and (tab["n_Pb_zincblende"] == 0).all()
    assert (tab["n_Cd_zincblende"] > 0).all()
    for sp in ("Pb", "Cd", "Se"):
        total = sum(tab[f"f_{sp}_{p}"] for p in PHASES)
        assert np.allclose(total, 1.0)
    pc = read_phase_codes(out / PHASES_NPZ)
    assert pc.codes.shape == (4, len(built.structure.species))
    for k in range(4):  # the per-ion file holds what phases.csv counts
        assert int(np.sum(pc.codes[k][np.asarray(pc.species) == "Pb"] == RS)) == tab["n_Pb_rocksalt"][k]
    assert pc.in_nc.all()
    prof = read_csv(out / "phase_profile.csv")
    last = prof["frame"] == 3
    r, f_rs = prof["r_lo_A"][last], prof["f_Pb_rocksalt"][last]
    assert f_rs[r < 4].min() >= 0.9  # Pb at the centre is rocksalt
    x0 = built.structure.positions_A
    centre = x0[built.groups["nc_anions"]].mean(axis=0)
    r_core = np.linalg.norm(x0[built.groups["nc_core"]] - centre, axis=1).max()
    outside = r > r_core + 0.5  # shells beyond the core as built
    assert prof["n_Pb"][last][outside].sum() == 0 and prof["n_Cd"][last][outside].sum() > 0
    assert sum(prof["n_Se"][last]) == len(built.groups["nc_anions"])
    b = json.loads((out / "phase_boundary.json").read_text(encoding="utf-8"))
    assert b["last"]["inner"] == "rocksalt" and b["last"]["outer"] == "zincblende"
    bt = read_csv(out / "phase_boundary.csv")
    assert (bt["n_boundary"] > 0).all()
    assert bt["rotation_deg"][3] == pytest.approx(30, abs=2) and bt["rotation_deg"][0] == pytest.approx(0, abs=2)
    entry = s["analyses"]["phases"]
    assert entry["frames_classified"] == 4 and entry["rotation_source"] == "build record"
    assert entry["fractions_last"]["Cd"]["rocksalt"] == 0.0
