"""Bad input everywhere (issue 12, item 6): every reader answers a malformed file with
exit 2 and one line naming the file and the fix, without a traceback. Trajectories (DCD,
XTC: truncated, empty, not of their format, wrong atom count, non-finite frames),
topologies with NaN coordinates, unknown species, empty YAML inputs of every kind,
damaged build.json and run.json, and a periodic ensemble without a box.

The cases tests/integration/test_cli_errors.py and tests/unit/test_yaml_inputs.py already
cover (a PDB with NaN / inf / cut-short coordinates for ``energy`` and ``path``, duplicate
and unknown YAML keys, the loader on empty text) are not repeated here. The trajectories
are a real run folder of format version 1 (tests/data/records_v1/run_quick: 216 Cd/PSL
atoms, two DCD frames) and files derived from it."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from omm_cx.cli.main import main
from omm_cx.io.pdb import Structure, write_pdb

ROOT = Path(__file__).resolve().parents[2]
QUICK = ROOT / "examples" / "quick.yaml"


def _fails(capfd, argv, *culprits) -> str:
    """``omm-cx argv`` exits 2 with one line on stderr (C libraries included) naming every
    culprit, and no traceback."""
    assert main([str(a) for a in argv]) == 2
    err = capfd.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"omm-cx {argv[0]}: error: ") and "Traceback" not in err, err
    for c in culprits:
        assert str(c) in lines[0], (c, err)
    return lines[0]


@pytest.fixture()
def run_dir(v1_run_folder) -> Path:
    """A copy of a real (version-1) run folder: start.pdb, traj.dcd, build/, run.json."""
    return v1_run_folder


def _analyze_and_xrd(capfd, run: Path, tmp_path: Path, *culprits) -> None:
    """``omm-cx analyze RUN`` and ``omm-cx xrd RUN`` both fail naming the culprits."""
    _fails(capfd, ["analyze", run, "--no-plots"], *culprits)
    _fails(capfd, ["xrd", run, "-o", tmp_path / "xrd", "--no-plot"], *culprits)


def _traj_argv(traj: Path, top: Path, out: Path, build_json: Path) -> list:
    return ["analyze", "--traj", traj, "--top", top, "-o", out, "--build-json", build_json,
            "--no-plots"]


# ------------------------------------------------------------------------------- DCD
def test_dcd_truncated_mid_frame(run_dir, tmp_path, capfd):
    traj = run_dir / "traj.dcd"
    traj.write_bytes(traj.read_bytes()[:-500])
    _analyze_and_xrd(capfd, run_dir, tmp_path, traj, "truncated mid-frame",
                     "1 complete frame", "--resume")


def test_dcd_cut_at_a_frame_boundary(run_dir, tmp_path, capfd):
    """The header records 2 frames; the file holds 1 (cut exactly after frame 1)."""
    from omm_cx.analysis.trajcheck import dcd_layout

    traj = run_dir / "traj.dcd"
    layout = dcd_layout(traj)
    assert (layout.n_atoms, layout.nset, layout.complete_frames) == (216, 2, 2)
    traj.write_bytes(traj.read_bytes()[:layout.header_bytes + layout.frame_bytes])
    _analyze_and_xrd(capfd, run_dir, tmp_path, traj, "records 2 frames", "holds 1")


def test_dcd_empty_cut_in_header_and_text_renamed(run_dir, tmp_path, capfd):
    traj = run_dir / "traj.dcd"
    data = traj.read_bytes()
    traj.write_bytes(data[:150])
    _analyze_and_xrd(capfd, run_dir, tmp_path, traj, "header is cut short")
    traj.write_bytes(b"")
    _analyze_and_xrd(capfd, run_dir, tmp_path, traj, "empty (0 bytes")
    traj.write_text("this is a text file, not a trajectory\n" * 40)
    _analyze_and_xrd(capfd, run_dir, tmp_path, traj, "not a DCD file")


def test_dcd_and_topology_of_different_systems(run_dir, tmp_path, capfd):
    lines = (run_dir / "start.pdb").read_text().splitlines()
    atoms = [i for i, line in enumerate(lines) if line.startswith(("ATOM", "HETATM"))]
    small = tmp_path / "small.pdb"
    small.write_text("\n".join(lines[:atoms[-10]] + ["END"]) + "\n")  # 10 atoms fewer
    _fails(capfd, _traj_argv(run_dir / "traj.dcd", small, tmp_path / "o",
                             run_dir / "build" / "build.json"),
           run_dir / "traj.dcd", "216 atoms per frame", small, "has 206")


def test_dcd_with_a_non_finite_frame(run_dir, tmp_path, capfd):
    import mdtraj as md

    t = md.load(str(run_dir / "traj.dcd"), top=str(run_dir / "start.pdb"))
    t.xyz[1, 5] = np.nan
    bad = tmp_path / "nan.dcd"
    t.save_dcd(str(bad))
    _fails(capfd, _traj_argv(bad, run_dir / "start.pdb", tmp_path / "o",
                             run_dir / "build" / "build.json") + ["--dt-ps", "0.1"],
           bad, "frame 2", "non-finite")


# ------------------------------------------------------------------------------- XTC
@pytest.fixture()
def xtc(run_dir, tmp_path) -> Path:
    import mdtraj as md

    path = tmp_path / "traj.xtc"
    md.load(str(run_dir / "traj.dcd"), top=str(run_dir / "start.pdb")).save_xtc(str(path))
    return path


def test_xtc_truncated_empty_and_text(run_dir, xtc, tmp_path, capfd):
    argv = lambda traj: _traj_argv(traj, run_dir / "start.pdb", tmp_path / "o",  # noqa: E731
                                   run_dir / "build" / "build.json")
    cut = tmp_path / "cut.xtc"
    cut.write_bytes(xtc.read_bytes()[:-300])
    _fails(capfd, argv(cut), cut, "truncated or damaged")
    empty = tmp_path / "empty.xtc"
    empty.write_bytes(b"")
    _fails(capfd, argv(empty), empty, "empty (0 bytes")
    text = tmp_path / "text.xtc"
    text.write_text("not a trajectory\n" * 40)
    _fails(capfd, argv(text), text, "cannot read it")


def test_xtc_and_topology_of_different_systems(run_dir, xtc, tmp_path, capfd):
    small = tmp_path / "small.pdb"
    write_pdb(small, Structure(["Cd", "PSL"], [[0, 0, 0], [4, 0, 0]], np.eye(3) * 26))
    _fails(capfd, ["analyze", "--traj", xtc, "--top", small, "-o", tmp_path / "o", "--no-plots"],
           xtc, "216 atoms per frame", small, "has 2")


# ------------------------------------------------------------------------- topologies
def test_topology_with_a_nan_coordinate(run_dir, tmp_path, capfd):
    top = run_dir / "start.pdb"
    lines = top.read_text().splitlines()
    k = next(i for i, line in enumerate(lines) if line.startswith(("ATOM", "HETATM")))
    lines[k] = lines[k][:30] + "     nan" + lines[k][38:]
    top.write_text("\n".join(lines) + "\n")
    _analyze_and_xrd(capfd, run_dir, tmp_path, top, f"line {k + 1}", "x = nan")
    _fails(capfd, ["xrd", top, "-o", tmp_path / "x2", "--no-plot"], top, "x = nan")


def test_energy_unknown_species(tmp_path, capfd):
    pdb = tmp_path / "unknown.pdb"
    write_pdb(pdb, Structure(["Pb", "Xx"], [[0, 0, 0], [3, 0, 0]], np.eye(3) * 25))
    _fails(capfd, ["energy", pdb, "-f", "pbcdse"], pdb, "atom 2", "'Xx'",
           "not a species of the force field")


def test_npt_run_of_a_structure_without_a_box(tmp_path, capfd):
    """A periodic ensemble needs CRYST1 (without one, energy and NVT run in vacuum)."""
    lines = (ROOT / "examples" / "quick" / "structure.pdb").read_text().splitlines()
    nobox = tmp_path / "nobox.pdb"
    nobox.write_text("\n".join(x for x in lines if not x.startswith("CRYST1")) + "\n")
    cfg = tmp_path / "npt.yaml"
    cfg.write_text(f"system: {{forcefield: pbcdse+psl-nonpreferential, structure: {nobox}}}\n"
                   f"temperature_K: 300\nsteps: 20\nplatform: CPU\nensemble: npt\n")
    _fails(capfd, ["run", cfg, "-o", tmp_path / "r", "-q"], "npt.yaml", "ensemble",
           "periodic box", "nobox.pdb")


# ------------------------------------------------------------------------- YAML inputs
@pytest.mark.parametrize("kind", ["forcefield", "recipe", "run", "fit"])
@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_empty_yaml_input_of_every_kind(kind, text, tmp_path, capfd):
    path = tmp_path / f"empty_{kind}.yaml"
    path.write_text(text)
    pdb = tmp_path / "s.pdb"
    write_pdb(pdb, Structure(["Pb", "Se"], [[0, 0, 0], [3, 0, 0]], np.eye(3) * 25))
    argv = {"forcefield": ["energy", pdb, "-f", path],
            "recipe": ["build", path, "-o", tmp_path / "b"],
            "run": ["run", path, "-o", tmp_path / "r"],
            "fit": ["fit", path, "-o", tmp_path / "f.yaml"]}[kind]
    _fails(capfd, argv, path, "the file is empty", f"omm-cx schema {kind}")


# ------------------------------------------------------------------------ build.json
@pytest.mark.parametrize("text, words", [
    ("", "is empty"),
    ('{"forcefield": "pbcdse+psl-nonpreferential", "counts": {"Cd"', "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"forcefield": "pbcdse+psl-nonpreferential", "counts": [108, 108]}', "key 'counts'"),
    ('{"forcefield": "pbcdse+psl-nonpreferential", "groups": {"nc_cations": "all"}}',
     "key 'groups.nc_cations'"),
])
def test_damaged_build_json(run_dir, tmp_path, capfd, text, words):
    build_json = run_dir / "build" / "build.json"
    build_json.write_text(text)
    _analyze_and_xrd(capfd, run_dir, tmp_path, build_json, words, "omm-cx build")


def test_build_json_of_another_system(run_dir, tmp_path, capfd):
    build_json = run_dir / "build" / "build.json"
    build_json.write_text('{"forcefield": "pbcdse+psl-nonpreferential", "n_atoms": 100, '
                          '"groups": {"nc_cations": [0, 1], "nc_anions": [2, 3]}}')
    _fails(capfd, ["analyze", run_dir, "--no-plots"], build_json, "n_atoms 100",
           "216 atoms")
    _fails(capfd, ["xrd", run_dir, "-o", tmp_path / "x", "--no-plot"], build_json,
           "n_atoms 100")
    build_json.write_text('{"forcefield": "pbcdse+psl-nonpreferential", '
                          '"groups": {"nc_cations": [0, 500], "nc_anions": [2, 3]}}')
    _fails(capfd, ["analyze", run_dir, "--no-plots"], build_json, "'nc_cations'",
           "outside 0..215")
    shutil.copy(run_dir / "start.pdb", run_dir / "build" / "structure.pdb")
    _fails(capfd, ["xrd", run_dir / "build", "-o", tmp_path / "x", "--no-plot"], build_json,
           "outside 0..215", "--atoms all")


# -------------------------------------------------------------------------- run.json
@pytest.mark.parametrize("text, words", [
    ("", "is empty"),
    ('{"format": 2, "status', "not valid JSON"),
    ("[]", "expected a JSON object"),
    ('{"format": 2, "status": 5}', "key 'status'"),
])
def test_damaged_run_json_on_resume(run_dir, capfd, text, words):
    (run_dir / "run.json").write_text(text)
    _fails(capfd, ["run", QUICK, "-o", run_dir, "--resume", "--platform", "CPU", "-q"],
           run_dir / "run.json", words, "--overwrite")
