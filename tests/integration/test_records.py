"""Typed build and run records (build.json, run.json): version-1 files written by the
omm_cx before issue 11 (tests/data/records_v1, verbatim) still load and a version-1 run
still resumes; a malformed or truncated record is an error naming the file and the fix."""

from pathlib import Path

import pytest

from omm_cx.errors import OmmCxError, RunDirError, StructureError
from omm_cx.io.tables import read_json, write_json
from omm_cx.simulation import run
from omm_cx.choices import Ensemble, RunStatus, SeedSource, SourceKind
from omm_cx.simulation.record import RUN_JSON_FORMAT, RunRecord, read_run_record, write_run_record
from omm_cx.systems.builddir import read_build_dir
from omm_cx.systems.record import (
    BUILD_JSON_FORMAT,
    BuildRecord,
    BuildSource,
    ChargePolicy,
    read_build_record,
    write_build_record,
)

ROOT = Path(__file__).resolve().parents[2]
V1 = ROOT / "tests" / "data" / "records_v1"
QUICK = ROOT / "examples" / "quick.yaml"


def test_v1_build_records_load():
    rec = read_build_record(V1 / "build_recipe.json")
    raw = read_json(V1 / "build_recipe.json")
    assert "format" not in raw and "source" not in raw  # a real version-1 file
    assert rec.format == BUILD_JSON_FORMAT == 2 and rec.source is BuildSource.RECIPE
    assert rec.name == "demo-pbse-cd-psl" and rec.n_atoms == 764 and rec.seed == 2016
    assert rec.charge_policy is ChargePolicy.NEUTRAL and rec.charge_policy == "neutral"
    assert rec.groups == raw["groups"] and len(rec.nc_indices) == 256
    assert rec.crystals[0].structure == "rocksalt" and rec.crystals[0].rotation[0] == [1, 0, 0]
    assert rec.recipe == raw["recipe"] and rec.formula == "Pb128Se128Cd254PSL254"

    wire = read_build_record(V1 / "build_wire_background.json")
    assert read_json(V1 / "build_wire_background.json")["charge_policy"].startswith("background:")
    assert wire.charge_policy is ChargePolicy.BACKGROUND  # version-1 prose -> the enum
    assert wire.wire_period_A == pytest.approx(28.08) and wire.removed_ions[0].role == "cation"

    pdb = read_build_record(V1 / "build_structure.json")
    assert pdb.source is BuildSource.STRUCTURE and pdb.n_atoms == 216 and pdb.groups == {}
    assert pdb.guard is True and pdb.ewald_error_tolerance == 5e-4


def test_build_record_round_trip_keeps_every_v1_value(tmp_path):
    for name in ("build_recipe", "build_wire_background", "build_structure"):
        raw = read_json(V1 / f"{name}.json")
        rec = read_build_record(V1 / f"{name}.json")
        write_build_record(tmp_path / "build.json", rec)
        again = read_build_record(tmp_path / "build.json")
        assert again == rec
        written = read_json(tmp_path / "build.json")
        assert written["format"] == 2 and written["source"] in ("recipe", "structure")
        changed = {k for k in raw if raw[k] != written[k]}
        assert changed <= {"charge_policy"}, changed  # only the prose policy is renamed


def test_v1_run_records_load_and_round_trip(tmp_path):
    rec = read_run_record(V1 / "run_build_npt.json")
    assert read_json(V1 / "run_build_npt.json")["format"] == 1
    assert rec.format == RUN_JSON_FORMAT == 3 and rec.status is RunStatus.FINISHED
    assert rec.settings.ensemble is Ensemble.NPT and rec.settings.source_kind is SourceKind.BUILD
    assert rec.seed_source is SeedSource.CONFIG and rec.seeds.barostat == 2038301565
    assert rec.system.build_info.name == "demo-pbse-cd-psl" and rec.system.build_info.groups == {}
    assert rec.segments[0].status is RunStatus.FINISHED and rec.steps_done == 40
    quick = read_run_record(V1 / "run_quick" / "run.json")
    assert quick.system.build_info.source is BuildSource.STRUCTURE
    assert quick.settings.report.trajectory_steps == 50 and quick.platform.name == "CPU"
    for r, path in ((rec, V1 / "run_build_npt.json"), (quick, V1 / "run_quick" / "run.json")):
        write_run_record(tmp_path / "run.json", r)
        assert read_run_record(tmp_path / "run.json") == r
        raw, written = read_json(path), read_json(tmp_path / "run.json")
        assert written["format"] == 3 and written["settings"] == raw["settings"]
        assert written["segments"] == raw["segments"] and written["config"] == raw["config"]
        changed = {k for k in raw if raw[k] != written[k]}
        assert changed == {"format", "system"}, changed  # system.build_info: a v2 record
    raw["seed_source"] = "random (not in the config)"  # the other version-1 prose
    assert RunRecord.from_dict(raw).seed_source is SeedSource.RANDOM


def test_v1_build_directory_reads(tmp_path, v1_run_folder):
    b = read_build_dir(v1_run_folder / "build")
    assert b.record.source is BuildSource.STRUCTURE and len(b.structure.species) == 216
    assert b.info["format"] == 2 and b.groups == {}


def test_v1_run_folder_resumes(tmp_path, v1_run_folder):
    out = v1_run_folder
    assert not (out / "checkpoint.chk").exists()  # only the portable state was kept
    res = run(QUICK, out, resume=True, steps=150, platform="CPU")
    assert res.status == "finished" and res.steps == 150 and res.resumed_from_step == 100
    rec = read_json(out / "run.json")
    assert rec["format"] == 3 and rec["status"] == "finished" and rec["steps_done"] == 150
    assert [s["first_step"] for s in rec["segments"]] == [0, 100]
    assert rec["segments"][1]["resumed_from"] == "checkpoint.xml"
    assert rec["settings"]["seed"] == 2016 and rec["system"]["build_info"]["format"] == 2


@pytest.mark.parametrize("text", ["", '{"name": "x", "forcefield": "pbcdse", "counts"', "[1, 2]"])
def test_malformed_build_json_names_the_file_and_the_fix(tmp_path, text, v1_run_folder):
    out = v1_run_folder / "build"
    (out / "build.json").write_text(text, encoding="utf-8")
    with pytest.raises(StructureError, match=r"build\.json.*omm-cx build") as err:
        read_build_dir(out)
    assert str(out / "build.json") in str(err.value) and "\n" not in str(err.value)


def test_build_record_rejects_unknown_keys_and_newer_formats(tmp_path):
    raw = read_json(V1 / "build_recipe.json")
    write_json(tmp_path / "typo.json", {**raw, "nc_formulaa": "Pb"})
    with pytest.raises(StructureError, match=r"typo\.json: key 'nc_formulaa'.*omm-cx build"):
        read_build_record(tmp_path / "typo.json")
    write_json(tmp_path / "new.json", {**raw, "format": 3})
    with pytest.raises(StructureError, match=r"new\.json: format 3 .*upgrade omm_cx"):
        read_build_record(tmp_path / "new.json")
    write_json(tmp_path / "policy.json", {**raw, "charge_policy": "neutralish"})
    with pytest.raises(StructureError, match=r"key 'charge_policy'"):
        read_build_record(tmp_path / "policy.json")
    with pytest.raises(StructureError, match=r"key 'forcefield'"):
        BuildRecord.from_dict({"counts": {"Cd": 1}})


def test_truncated_run_json_names_the_file_and_the_fix(tmp_path, v1_run_folder):
    out = v1_run_folder
    text = (out / "run.json").read_text(encoding="utf-8")
    (out / "run.json").write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(RunDirError, match=r"run\.json.*not valid JSON.*--overwrite") as err:
        run(QUICK, out, resume=True, steps=150, platform="CPU")
    assert "\n" not in str(err.value)
    with pytest.raises(RunDirError, match="unfinished run.*--resume"):  # without --resume
        run(QUICK, out, steps=150, platform="CPU")
    write_json(out / "run.json", {**read_json(V1 / "run_quick" / "run.json"), "status": "paused"})
    with pytest.raises(RunDirError, match=r"key 'status'.*--overwrite"):
        read_run_record(out / "run.json")
    with pytest.raises(OmmCxError, match=r"format 7"):
        RunRecord.from_dict({"format": 7})
    res = run(QUICK, out, overwrite=True, steps=50, platform="CPU")  # --overwrite still works
    assert res.status == "finished" and read_run_record(out / "run.json").format == 3
