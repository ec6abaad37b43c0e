"""``omm-cx energy``: PDB in (atom names = species, CRYST1 = box), JSON and forces out."""

import json
import subprocess
import sys

import numpy as np
import pytest

from omm_cx.cli.main import main
from omm_cx.energy.single_point import single_point
from omm_cx.forcefield import load_forcefield
from omm_cx.io.pdb import Structure, read_pdb, write_pdb
from structures import disordered_box

FF = "pbcdse+psl-nonpreferential"


@pytest.fixture()
def pdb(tmp_path):
    s = disordered_box({"Pb": 12, "Cd": 12, "Se": 16, "PSL": 8}, 24.2, 2.5, seed=3)
    path = tmp_path / "box.pdb"
    write_pdb(path, s)
    return path


def test_energy_json_and_forces_match_python_api(pdb, tmp_path, capsys):
    forces = tmp_path / "f.npy"
    assert main(["energy", str(pdb), "--forcefield", FF, "--json", "--forces", str(forces)]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("total_eV", "coulomb_eV", "short_range_eV", "total_kJmol", "coulomb_kJmol",
                "short_range_kJmol"):
        assert key in out
    assert out["ewald_error_tolerance"] == 1e-6 and out["platform"] == "Reference"
    assert out["total_kJmol"] == pytest.approx(out["total_eV"] * 96.4853321, rel=1e-12)
    ff = load_forcefield(FF)
    s = read_pdb(pdb, ff.species)
    assert np.allclose(s.box_A, np.eye(3) * 24.2, atol=1e-3)
    sp = single_point(ff, s)
    assert out["total_eV"] == pytest.approx(sp.total_eV, rel=1e-12)
    f = np.load(forces)
    assert f.shape == (48, 3)
    assert np.allclose(f, sp.forces_eV_per_A, atol=1e-9)


def test_pdb_round_trip_keeps_species_and_file_order(pdb):
    s = read_pdb(pdb, ["Pb", "Cd", "Se", "PSL"])
    write_pdb(pdb, s)
    s2 = read_pdb(pdb, ["Pb", "Cd", "Se", "PSL"])
    assert s.species == s2.species and np.allclose(s.positions_A, s2.positions_A)


def test_unknown_atom_name_is_named(tmp_path, capsys):
    path = tmp_path / "bad.pdb"
    write_pdb(path, Structure(["Pb", "Xx"], [[0, 0, 0], [3, 0, 0]], np.eye(3) * 25))
    assert main(["energy", str(path), "--forcefield", "pbcdse"]) == 2
    err = capsys.readouterr().err
    assert "atom 2" in err and "'Xx'" in err and "bad.pdb" in err


def test_overlapping_atoms_are_named(tmp_path, capsys):
    path = tmp_path / "overlap.pdb"
    write_pdb(path, Structure(["Pb", "Se", "Pb", "Se"],
                              [[0, 0, 0], [3, 0, 0], [3.2, 0, 0], [24.9, 0, 0]], np.eye(3) * 25))
    assert main(["energy", str(path), "--forcefield", "pbcdse"]) == 2
    err = capsys.readouterr().err
    # atom 4 at x=24.9 is 0.1 Å from atom 1 through the periodic boundary
    assert "atoms 1 (Pb) and 4 (Se) overlap at 0.100 Å" in err


def test_box_too_small_and_non_neutral_are_refused(tmp_path, capsys):
    small = tmp_path / "small.pdb"
    write_pdb(small, Structure(["Pb", "Se"], [[0, 0, 0], [3, 0, 0]], np.eye(3) * 20))
    assert main(["energy", str(small), "--forcefield", "pbcdse"]) == 2
    assert "box too small for the cutoff" in capsys.readouterr().err
    charged = tmp_path / "charged.pdb"
    write_pdb(charged, Structure(["Pb", "Se", "Pb"], [[0, 0, 0], [3, 0, 0], [6, 0, 0]], np.eye(3) * 25))
    assert main(["energy", str(charged), "--forcefield", "pbcdse"]) == 2
    assert "not neutral: net charge +0.8 e" in capsys.readouterr().err


def test_help_does_not_import_openmm():
    code = ("import sys; from omm_cx.cli.main import build_parser\n"
            "try:\n    build_parser().parse_args(['--help'])\nexcept SystemExit: pass\n"
            "assert 'openmm' not in sys.modules, 'openmm imported'")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
