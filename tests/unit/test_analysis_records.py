"""The analyses read build.json through the typed build record (one reader,
:func:`omm_cx.systems.record.read_build_record`), version-1 files included: a real
version-1 run folder is analysed, and version-1 build records give groups, the crystal
rotation and the wire period."""

from pathlib import Path

import numpy as np
import pytest

from omm_cx.analysis.driver import analyze_run_dir
from omm_cx.analysis.facets import rotation_from_build_info
from omm_cx.analysis.groups import as_build_record, groups_from_build_info, load_build_info
from omm_cx.analysis.options import AnalysisOptions
from omm_cx.errors import AnalysisError
from omm_cx.io.tables import read_json
from omm_cx.choices import BuildSource
from omm_cx.systems.record import BuildRecord

V1 = Path(__file__).resolve().parents[1] / "data" / "records_v1"


def test_version1_run_folder_is_analysed(v1_run_folder):
    run = v1_run_folder
    assert "format" not in read_json(run / "build" / "build.json")  # a real version-1 file
    s = analyze_run_dir(run, options=AnalysisOptions(plots=False, progress=False))
    assert s["inputs"]["build_json"] == str(run / "build" / "build.json")
    assert s["groups"]["source"].startswith("build.json")
    assert s["groups"]["counts"] == {"Cd": 108, "PSL": 108}
    assert s["frames"]["n_frames"] == 2 and s["frames"]["time_source"] == "DCD header"
    assert set(s["analyses"]) == {"rdf"}  # a Cd/PSL liquid of two frames
    assert "no nanocrystal" in s["skipped"]["exchange"] and "in_going" in s["skipped"]["msd"]
    assert s["analyses"]["rdf"]["pairs"] == ["Cd-Cd", "Cd-PSL", "PSL-PSL"]
    assert (run / "analysis" / "rdf.csv").is_file()


def test_version1_build_records_give_groups_rotation_and_period():
    rec = load_build_info(V1 / "build_recipe.json")
    assert isinstance(rec, BuildRecord) and rec.format == 2 and rec.source is BuildSource.RECIPE
    species = np.empty(rec.n_atoms, dtype=object)
    for group, sp in (("nc_cations", "Pb"), ("nc_anions", "Se"), ("solution_cations", "Cd"),
                      ("ligands", "PSL")):
        species[rec.groups[group]] = sp
    g = groups_from_build_info(rec, species, source="v1")
    assert (len(g.original), len(g.original_anions), len(g.in_going)) == (128, 128, 254)
    assert g.role_of == {"Pb": "cation", "Se": "anion", "Cd": "cation", "PSL": "ligand"}
    np.testing.assert_allclose(rotation_from_build_info(rec), np.eye(3))
    wire = load_build_info(V1 / "build_wire_background.json")
    assert wire.wire_period_A == pytest.approx(read_json(V1 / "build_wire_background.json")
                                               ["wire_period_A"])
    with pytest.raises(AnalysisError, match="n_atoms 764 but the topology has 3 atoms"):
        groups_from_build_info(rec, ["Pb", "Se", "Cd"], source="v1")


def test_a_dict_is_validated_as_a_build_record():
    rec = as_build_record(read_json(V1 / "build_structure.json"), "b.json")
    assert rec.source is BuildSource.STRUCTURE and as_build_record(rec) is rec
    with pytest.raises(AnalysisError, match=r"b\.json: key 'groups'"):
        as_build_record({"forcefield": "x", "groups": [1]}, "b.json")
