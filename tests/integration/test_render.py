"""Cross-section pictures (``omm-cx render``) on a real small core/shell build and a run
folder in which that particle turns rigidly by a known rotation: the slab's ions against
an independent count, the slab following the particle's crystal axes, PNGs and a GIF
opened with Pillow, and the MP4 error without ffmpeg."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from omm_cx.analysis.render.movie import follow_frames, open_render_input, render_picture, write_movie
from omm_cx.analysis.render import render_slab, select_slab, slab_axes
from omm_cx.errors import AnalysisError

CORE_SHELL = {"name": "small-core-shell", "forcefield": "pbcdse", "seed": 1,
              "nanocrystal": {"shape": "core_shell", "diameter_nm": 3.2,
                              "crystal": {"structure": "rocksalt", "cation": "Pb", "anion": "Se"},
                              "shell": {"cation": "Cd", "structure": "zincblende"},
                              "exchanged_fraction": 0.5}}
N_FRAMES = 7
AXIS = np.array([1.0, 2.0, 3.0]) / np.sqrt(14.0)
STEP_DEG = 5.0  # rotation per frame about AXIS: 30 degrees at the last frame
THICK_A = 4.5


def _rotation(deg: float) -> np.ndarray:
    """Rodrigues' rotation about AXIS (independent of omm_cx)."""
    t = np.radians(deg)
    k = np.array([[0, -AXIS[2], AXIS[1]], [AXIS[2], 0, -AXIS[0]], [-AXIS[1], AXIS[0], 0]])
    return np.eye(3) + np.sin(t) * k + (1 - np.cos(t)) * k @ k


def _write_dcd(path, top_pdb, frames_A):
    import openmm.app as app
    import openmm.unit as u

    pdb = app.PDBFile(str(top_pdb))
    with open(path, "wb") as fh:
        dcd = app.DCDFile(fh, pdb.topology, 0.002 * u.picoseconds, firstStep=0, interval=500)
        for f in frames_A:
            dcd.writeModel(f * 0.1 * u.nanometer)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """(build folder, run folder): the run's frames turn the particle by k * 5 degrees
    about (1, 2, 3) and move it by k * (0.4, -0.3, 0.2) Å."""
    from omm_cx.systems.recipes import build_recipe

    built = build_recipe(CORE_SHELL)
    base = tmp_path_factory.mktemp("render")
    build = built.write(base / "build")
    run = built.write(base / "run")
    x0 = built.structure.positions_A
    c = x0.mean(axis=0)
    frames = [(x0 - c) @ _rotation(k * STEP_DEG).T + c + k * np.array([0.4, -0.3, 0.2])
              for k in range(N_FRAMES)]
    _write_dcd(run / "traj.dcd", run / "structure.pdb", frames)
    return build, run, built, frames


def _slab_counts(xyz, species, normal, thick):
    """Ions per species within thick/2 of the plane through the mean anion position
    (the NC centre; vacuum)."""
    d = (xyz - xyz[np.asarray(species) == "Se"].mean(axis=0)) @ normal
    out = {}
    for s in np.asarray(species)[np.abs(d) <= thick / 2]:
        out[s] = out.get(s, 0) + 1
    return out


def _legend(ax) -> dict[str, int]:
    return {t.get_text().rsplit(" ", 1)[0]: int(t.get_text().rsplit(" ", 1)[1])
            for t in ax.get_legend().get_texts()}


def test_slab_axes_are_right_handed_and_follow_the_rotation():
    R = _rotation(40.0)
    for normal, h in (("[001]", (0, 0, 1)), ("[011]", (0, 1, 1)), ("[111]", (1, 1, 1)),
                      ("1-10", (1, -1, 0))):
        n, u, v, _ = slab_axes(normal, R)
        assert np.allclose(n, R @ np.array(h) / np.linalg.norm(h), atol=1e-12)
        assert abs(n @ u) < 1e-12 and np.allclose(np.cross(n, u), v) and np.isclose(u @ u, 1)
    n, u, v, label = slab_axes("y", R)  # a lab axis ignores the rotation
    assert label == "y" and np.allclose(n, [0, 1, 0]) and np.allclose(np.cross(u, v), n)
    with pytest.raises(AnalysisError, match="crystal direction"):
        slab_axes("[0a1]")


def test_slab_holds_the_independently_counted_ions_and_shades_by_depth(folders):
    _, _, built, _ = folders
    s = built.structure
    se = [i for i, x in enumerate(s.species) if x == "Se"]
    ax = render_slab(s.positions_A, s.species, None, normal="[001]", thickness_A=THICK_A,
                     centre_atoms=se)
    want = _slab_counts(s.positions_A, s.species, np.array([0, 0, 1.0]), THICK_A)
    assert _legend(ax) == want and set(want) == {"Pb", "Cd", "Se"}
    assert [t.get_text().split()[0] for t in ax.get_legend().get_texts()] == ["Pb", "Cd", "Se"]
    slab = select_slab(s.positions_A, None, normal="[001]", thickness_A=THICK_A, centre_atoms=se)
    assert np.all(np.diff(slab.depth_A) >= 0)  # deepest first, nearest drawn on top
    faces = ax.collections[0].get_facecolors()[:, :3]
    cd = np.array([s.species[i] == "Cd" for i in slab.indices])  # zincblende layers at +-1.5 Å
    near, far = cd & (slab.depth_A > 1.0), cd & (slab.depth_A < -1.0)
    assert near.any() and far.any()
    assert faces[near].sum(axis=1).min() > faces[far].sum(axis=1).max()  # deeper is darker


def test_cli_render_build_folder_writes_a_png_with_the_legend(folders, tmp_path, capsys):
    from omm_cx.cli.main import main

    build, _, built, _ = folders
    out = tmp_path / "slab.png"
    assert main(["render", str(build), "-o", str(out), "--normal", "[001]",
                 "--thickness-A", str(THICK_A), "--dpi", "200"]) == 0
    assert "wrote" in capsys.readouterr().out
    with Image.open(out) as im:
        w, h = im.size
        panels = json.loads(im.info["Description"])
        px = np.asarray(im.convert("RGB"), float)
    assert 500 <= w <= 900 and 550 <= h <= 1100  # 3.4 in panel at 200 dpi, cropped tight
    dark = (px.sum(axis=2) < 600).mean()
    assert 0.1 < dark < 0.8  # discs drawn, not blank and not a filled square
    r, g, b = px[..., 0], px[..., 1], px[..., 2]
    blue = (b > 100) & (b > 2 * r)  # Pb: the core
    red = (r > 90) & (r > 2.5 * g) & (r > 2.5 * b)  # Cd (depth-shaded): the shell
    assert blue.mean() > 0.005 and red.mean() > 0.005
    s = built.structure
    assert panels[0]["legend"] == _slab_counts(s.positions_A, s.species, np.array([0, 0, 1.0]),
                                               THICK_A)


def test_run_first_and_last_side_by_side_follow_the_particle(folders, tmp_path):
    _, run, built, frames = folders
    inp = open_render_input(run)
    assert inp.n_frames == N_FRAMES and inp.species == built.structure.species
    res = render_picture(inp, tmp_path / "fl.png", "first,last", normal="[011]",
                         thickness_A=THICK_A, dpi=100)
    first, last = res["panels"]
    assert (first["frame"], last["frame"]) == (0, N_FRAMES - 1)
    assert last["time_ps"] == pytest.approx(6.0, rel=1e-5)  # 500 steps of 2 fs per frame
    n011 = np.array([0, 1, 1]) / np.sqrt(2)
    assert first["legend"] == _slab_counts(frames[0], built.structure.species, n011, THICK_A)
    assert last["legend"] == first["legend"]  # the slab turned with the particle
    lab = render_picture(inp, tmp_path / "lab.png", "first,last", normal="z", thickness_A=THICK_A,
                         dpi=100)["panels"]
    assert lab[1]["legend"] != lab[0]["legend"]  # a lab-fixed slab cuts another plane
    with Image.open(tmp_path / "fl.png") as a, Image.open(tmp_path / "lab.png") as b:
        assert a.size[0] > 1.6 * a.size[1] and b.size[0] > 1.6 * b.size[1]  # two panels
    (fr, rot, centre), = follow_frames(inp, [N_FRAMES - 1], "[001]")
    applied = _rotation((N_FRAMES - 1) * STEP_DEG)
    assert np.degrees(np.arccos(np.clip((rot @ [0, 0, 1]) @ (applied @ [0, 0, 1]), -1, 1))) < 0.1
    assert np.allclose(centre, frames[-1][inp.anions].mean(axis=0), atol=1e-3)


def test_movie_gif_has_one_frame_per_stride(folders, tmp_path, capsys):
    from omm_cx.cli.main import main

    _, run, _, _ = folders
    gif = tmp_path / "slab.gif"
    assert main(["render", str(run), "--movie", str(gif), "--stride", "2", "--fps", "5"]) == 0
    assert "4 frames" in capsys.readouterr().out
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames == 4  # frames 0, 2, 4, 6
        sizes = set()
        for k in range(im.n_frames):
            im.seek(k)
            sizes.add(im.size)
    assert len(sizes) == 1
    assert not (run / "slab.png").exists()  # --movie alone writes no picture


def test_mp4_without_ffmpeg_is_one_clear_line(folders, tmp_path, capsys):
    try:
        import imageio_ffmpeg  # noqa: F401
        pytest.skip("imageio-ffmpeg is installed")
    except ImportError:
        pass
    if shutil.which("ffmpeg"):
        pytest.skip("ffmpeg on the PATH")
    from omm_cx.cli.main import main

    _, run, _, _ = folders
    assert main(["render", str(run), "--movie", str(tmp_path / "m.mp4")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "omm_cx[movie]" in err and ".gif" in err
    assert not (tmp_path / "m.mp4").exists()
    with pytest.raises(AnalysisError, match=r"\.gif or \.mp4"):
        write_movie(open_render_input(run), tmp_path / "m.avi")


def test_bad_inputs_are_one_line_errors(folders, tmp_path, capsys):
    from omm_cx.cli.main import main

    build, run, _, _ = folders
    assert main(["render", str(build), "--normal", "[01]", "-o", str(tmp_path / "x.png")]) == 2
    assert main(["render", str(run), "--frames", "9", "-o", str(tmp_path / "x.png")]) == 2
    assert main(["render", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and "crystal direction" in err[0] and "7 frame(s)" in err[1]
    assert not (tmp_path / "x.png").exists()


def test_phase_colours_match_identify_phases(folders):
    sid = pytest.importorskip("omm_cx.analysis.structure_id")
    _, _, built, _ = folders
    s = built.structure
    codes = sid.identify_phases(s.positions_A, s.species, None)
    ax = render_slab(s.positions_A, s.species, None, normal="[001]", thickness_A=THICK_A,
                     color_by="phase", phases=codes)
    slab = select_slab(s.positions_A, None, normal="[001]", thickness_A=THICK_A)
    want = {}
    for c in codes[slab.indices]:
        want[sid.PHASES[c]] = want.get(sid.PHASES[c], 0) + 1
    assert _legend(ax) == want
    core = set(built.info["groups"]["nc_core"])
    shell = set(built.info["groups"]["nc_shell"])
    phase = {i: sid.PHASES[c] if c < len(sid.PHASES) else "-" for i, c in enumerate(codes)}
    # ions called rocksalt lie in the build's rocksalt core, most zincblende ones in its
    # shell (Se of the core/shell interface may count as either; the classifier's own
    # accuracy is tested in its module's tests)
    assert want.get("rocksalt", 0) > 10
    assert all(i in core for i in slab.indices if phase[i] == "rocksalt")
    zb = [i in shell for i in slab.indices if phase[i] == "zincblende"]
    assert sum(zb) >= 0.7 * len(zb)
    blue = np.array([0x2f, 0x5f, 0xd0]) / 255  # PHASE_COLORS["rocksalt"], before shading
    faces = ax.collections[0].get_facecolors()[:, :3]
    rs = np.array([phase[i] == "rocksalt" for i in slab.indices])
    ratio = faces[rs] / blue
    assert np.allclose(ratio, ratio[:, :1], atol=1e-6) and (ratio <= 1 + 1e-9).all()


def test_pdb_without_build_record_fits_the_crystal_axes(folders, tmp_path, capsys):
    """A turned particle in a bare PDB: the orientation is fitted from the Se sublattice
    (up to the cubic symmetry), so a [011] slab holds the ions of one of the <110> slabs of
    the unturned particle."""
    from itertools import permutations

    from omm_cx.cli.main import main
    from omm_cx.io.pdb import Structure, write_pdb

    _, _, built, _ = folders
    s = built.structure
    c = s.positions_A.mean(axis=0)
    turned = (s.positions_A - c) @ _rotation(40.0).T + c
    write_pdb(tmp_path / "turned.pdb", Structure(list(s.species), turned, None))
    assert main(["render", str(tmp_path / "turned.pdb"), "--normal", "[011]",
                 "--thickness-A", str(THICK_A), "--dpi", "80"]) == 0
    assert "turned_slab.png" in capsys.readouterr().out
    with Image.open(tmp_path / "turned_slab.png") as im:
        got = json.loads(im.info["Description"])[0]["legend"]
    dirs = {p for p in permutations((0, 1, 1))} | {p for p in permutations((0, 1, -1))}
    options = [_slab_counts(s.positions_A, s.species, np.array(d) / np.sqrt(2), THICK_A)
               for d in dirs]
    assert got in options


def test_movie_mp4_with_imageio_ffmpeg(folders, tmp_path):
    """Runs where the 'movie' extra is installed (pip install 'omm_cx[movie]')."""
    ffmpeg = pytest.importorskip("imageio_ffmpeg")
    _, run, _, _ = folders
    res = write_movie(open_render_input(run), tmp_path / "slab.mp4", stride=3, fps=4)
    n, secs = ffmpeg.count_frames_and_secs(str(tmp_path / "slab.mp4"))
    assert res["frames"] == n == 3 and secs == pytest.approx(0.75, abs=0.01)  # frames 0, 3, 6
