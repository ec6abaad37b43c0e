"""The one CLI error policy: for every command a bad input exits 2 with exactly one line on
stderr that names the culprit (file, key, atom or option) and no traceback; a traceback
only with ``--traceback``; a failed simulation exits 3."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from omm_cx.cli.main import COMMANDS, main
from omm_cx.io.pdb import Structure, write_pdb

ROOT = Path(__file__).resolve().parents[2]
#: Commands whose only inputs are options: a bad one is argparse's one-line usage error.
USAGE_ONLY = {"recipes": ["recipes", "--bogus"], "forcefields": ["forcefields", "--bogus"],
              "schema": ["schema", "bogus"]}


def _fails(capsys, argv, *culprits, code=2) -> str:
    """``omm-cx argv`` exits ``code`` with one stderr line naming every culprit."""
    assert main(argv) == code
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("omm-cx"), err
    assert "error:" in lines[0] and "Traceback" not in err
    for c in culprits:
        assert c in lines[0], (c, err)
    return lines[0]


@pytest.fixture()
def good_pdb(tmp_path) -> Path:
    path = tmp_path / "good.pdb"
    write_pdb(path, Structure(["Pb", "Se"], [[0, 0, 0], [3, 0, 0]], np.eye(3) * 25))
    return path


def _edit(path: Path, name: str, old: str, new: str) -> Path:
    text = path.read_text()
    assert old in text
    out = path.with_name(name)
    out.write_text(text.replace(old, new, 1))
    return out


# ---------------------------------------------------------------------- energy / PDB
def test_energy_nan_coordinate_names_line_and_atom(tmp_path, good_pdb, capsys):
    bad = _edit(good_pdb, "nan.pdb", "   3.000", "     nan")
    line = _fails(capsys, ["energy", str(bad), "-f", "pbcdse"], "nan.pdb", "line 3",
                  "atom 2", "'Se'", "x = nan")
    assert "fix" in line


def test_energy_infinite_coordinate(tmp_path, good_pdb, capsys):
    bad = _edit(good_pdb, "inf.pdb", "   0.000   0.000   0.000", "   0.000     inf   0.000")
    _fails(capsys, ["energy", str(bad), "-f", "pbcdse"], "inf.pdb", "atom 1", "y = inf")


def test_energy_unparsable_truncated_empty_and_unknown_records(tmp_path, good_pdb, capsys):
    bad = _edit(good_pdb, "word.pdb", "   3.000", "   3.0x0")
    _fails(capsys, ["energy", str(bad), "-f", "pbcdse"], "word.pdb", "line 3", "atom 2",
           "not three numbers")
    lines = good_pdb.read_text().splitlines()
    cut = tmp_path / "cut.pdb"
    cut.write_text("\n".join(lines[:2] + [lines[2][:40]]))  # the file ends mid-line
    _fails(capsys, ["energy", str(cut), "-f", "pbcdse"], "cut.pdb", "line 3", "atom 2",
           "truncated")
    empty = tmp_path / "empty.pdb"
    empty.write_text("")
    _fails(capsys, ["energy", str(empty), "-f", "pbcdse"], "empty.pdb", "no ATOM/HETATM")
    junk = tmp_path / "junk.pdb"
    junk.write_text("\n".join(lines[:2] + ["GARBAGE here"] + lines[2:]))
    _fails(capsys, ["energy", str(junk), "-f", "pbcdse"], "junk.pdb", "line 3",
           "unknown record 'GARBAG'")
    box = _edit(good_pdb, "box.pdb", "CRYST1   25.000", "CRYST1      nan")
    _fails(capsys, ["energy", str(box), "-f", "pbcdse"], "box.pdb", "line 1", "CRYST1")


def test_energy_missing_file_and_directory(tmp_path, capsys):
    _fails(capsys, ["energy", str(tmp_path / "none.pdb"), "-f", "pbcdse"], "none.pdb",
           "not found")
    _fails(capsys, ["energy", str(tmp_path), "-f", "pbcdse"], str(tmp_path), "directory")
    _fails(capsys, ["energy", str(tmp_path / "none.pdb"), "-f", "nosuchff"], "nosuchff")


def test_read_pdb_still_reads_mdtraj_style_files(tmp_path):
    from omm_cx.io.pdb import read_pdb

    path = tmp_path / "md.pdb"
    path.write_text(
        "REMARK   1 CREATED WITH MDTraj 1.9.9\n"
        "CRYST1   25.000   25.000   25.000  90.00  90.00  90.00 P 1           1 \n"
        "MODEL        0\n"
        "ATOM      1  Pb  PB  A   1       0.000   0.000   0.000  1.00  0.00          Pb  \n"
        "ATOM      2  Se  SE  A   2       3.000   0.000   0.000  1.00  0.00          Se  \n"
        "TER       3      SE  A   2 \n"
        "ENDMDL\n"
        "END\n")
    s = read_pdb(path, ["Pb", "Se"])
    assert s.species == ["Pb", "Se"] and np.allclose(s.box_A, np.eye(3) * 25)


# --------------------------------------------------------------------------- build
def test_build_relaxation_failure_is_one_line(tmp_path, capsys):
    """A force field without a PbSe minimum near the start: RelaxationError (it used to
    escape OmmCxError and print a traceback)."""
    ff = yaml.safe_load((ROOT / "forcefields" / "pbcdse.yaml").read_text())
    ff["name"] = "broken"
    ff["pairs"]["Pb-Se"]["A"] *= 1e4
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(ff))
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({
        "name": "broken-relax", "forcefield": str(tmp_path / "broken.yaml"), "seed": 1,
        "nanocrystal": {"shape": "sphere", "diameter_nm": 1.5,
                        "crystal": {"structure": "rocksalt", "cation": "Pb", "anion": "Se"}}}))
    _fails(capsys, ["build", str(recipe), "-o", str(tmp_path / "out")], "recipe.yaml",
           "nanocrystal.crystal", "rocksalt", "no minimum", "a_A")


def test_build_impossible_crystal_missing_recipe_and_full_folder(tmp_path, capsys):
    recipe = tmp_path / "neg.yaml"
    recipe.write_text(yaml.safe_dump({
        "name": "neg", "forcefield": "pbcdse", "nanocrystal": {
            "shape": "sphere", "diameter_nm": 2.0,
            "crystal": {"structure": "rocksalt", "cation": "Pb", "anion": "Se", "a_A": -6.1}}}))
    _fails(capsys, ["build", str(recipe), "-o", str(tmp_path / "o")], "neg.yaml", "a_A")
    _fails(capsys, ["build", str(tmp_path / "none.yaml"), "-o", str(tmp_path / "o")],
           "none.yaml", "not found")
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("")
    _fails(capsys, ["build", "cd-psl-liquid", "-o", str(full)], str(full), "--overwrite")


# ------------------------------------------------------------------ other commands
def test_validate_unknown_forcefield(capsys):
    _fails(capsys, ["validate", "nosuchff"], "'nosuchff'", "available")


def test_option_only_commands_reject_bad_arguments(capsys):
    for argv in USAGE_ONLY.values():
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and argv[-1] in err and "error:" in err


def test_usage_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["energy"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "omm-cx energy: error:" in err[0] and "structure" in err[0]


def test_demo_bad_temperature(tmp_path, capsys):
    _fails(capsys, ["demo", "-o", str(tmp_path / "d"), "--temperature-K", "-5"], "temperature_K")


def test_bench_missing_recipe(tmp_path, capsys):
    _fails(capsys, ["bench", "--recipe", str(tmp_path / "none.yaml"), "--no-lammps"],
           "none.yaml", "not found")


def test_run_missing_and_bad_config(tmp_path, capsys):
    _fails(capsys, ["run", str(tmp_path / "none.yaml"), "-o", str(tmp_path / "r")],
           "none.yaml", "not found")
    bad = tmp_path / "bad.yaml"
    bad.write_text("temperature_K: 300\nsteps: 10\nsystem: {recipe: cd-psl-liquid}\nfoo: 1\n")
    _fails(capsys, ["run", str(bad), "-o", str(tmp_path / "r")], "foo")


def test_analyze_missing_run_dir(tmp_path, capsys):
    _fails(capsys, ["analyze", str(tmp_path / "norun")], "norun")
    _fails(capsys, ["analyze"], "run directory")


def test_xrd_missing_input_and_bad_q_grid(tmp_path, good_pdb, capsys):
    _fails(capsys, ["xrd", str(tmp_path / "none.pdb"), "-o", str(tmp_path / "x")], "none.pdb")
    _fails(capsys, ["xrd", str(good_pdb), "-o", str(tmp_path / "x"), "--q-min", "5"],
           "--q-min", "Q grid")


def test_path_missing_structure_and_nan(tmp_path, good_pdb, capsys):
    _fails(capsys, ["path", str(tmp_path / "none.pdb"), "--swap", "0,1", "-o",
                    str(tmp_path / "p")], "none.pdb", "not found")
    bad = _edit(good_pdb, "nan.pdb", "   3.000", "     nan")
    _fails(capsys, ["path", str(bad), "-f", "pbcdse", "--swap", "0,1", "-o",
                    str(tmp_path / "p")], "nan.pdb", "atom 2")
    _fails(capsys, ["path", str(good_pdb), "-f", "pbcdse", "-o", str(tmp_path / "p")],
           "--move", "--swap")


def test_fit_missing_file_and_bad_yaml(tmp_path, capsys):
    _fails(capsys, ["fit", str(tmp_path / "none.yaml"), "-o", str(tmp_path / "f.yaml")],
           "none.yaml", "not found")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nname: y\n")
    _fails(capsys, ["fit", str(bad), "-o", str(tmp_path / "f.yaml")], "bad.yaml")


def test_every_command_has_a_bad_input_test():
    source = Path(__file__).read_text(encoding="utf-8")
    missing = [c for c in COMMANDS if f'_fails(capsys, ["{c}"' not in source and c not in USAGE_ONLY]
    assert not missing, f"no bad-input test for {missing}"


# ------------------------------------------------------------ the real entry points
def _python_m(*argv, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *argv], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


def test_entry_point_prints_one_line_and_traceback_only_when_asked(tmp_path, good_pdb):
    bad = _edit(good_pdb, "nan.pdb", "   3.000", "     nan")
    r = _python_m("omm_cx", "energy", str(bad), "-f", "pbcdse")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [r.stderr.strip()] and "atom 2" in r.stderr
    for argv in (["--traceback", "energy", str(bad)], ["energy", str(bad), "--traceback"]):
        t = _python_m("omm_cx", *argv, "-f", "pbcdse")
        assert t.returncode == 2 and "Traceback" in t.stderr and "StructureError" in t.stderr
        assert t.stderr.strip().splitlines()[-1].startswith("omm-cx energy: error:")
    s = _python_m("omm_cx", "run", str(tmp_path / "none.yaml"), "-o", str(tmp_path / "r"))
    assert s.returncode == 2 and "Traceback" not in s.stderr
    assert s.stderr.strip().startswith("omm-cx run: error:") and "none.yaml" in s.stderr


def test_run_that_blows_up_exits_3(tmp_path):
    """An unminimized random liquid heats past abort_temperature_K within 100 steps."""
    cfg = tmp_path / "hot.yaml"
    cfg.write_text(yaml.safe_dump({
        "system": {"forcefield": "pbcdse+psl-nonpreferential",
                   "structure": str(ROOT / "examples" / "quick" / "structure.pdb")},
        "temperature_K": 550, "steps": 2000, "seed": 3, "platform": "CPU", "minimize": False,
        "abort_temperature_K": 600.0,
        "report": {"trajectory_steps": 50, "state_steps": 50, "checkpoint_steps": 100}}))
    r = _python_m("omm_cx", "run", str(cfg), "-o", str(tmp_path / "run"), "-q")
    assert r.returncode == 3, r.stderr
    assert "Traceback" not in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("omm-cx run: error:") and "kinetic temperature reached" in last


def test_render_and_study_bad_inputs(capsys, tmp_path):
    _fails(capsys, ["render", str(tmp_path / "nothing_here")], "nothing_here")
    _fails(capsys, ["study", "run", "no-such-study", "-o", str(tmp_path / "s")], "no-such-study")
