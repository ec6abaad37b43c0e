"""A report is judged against the study file it was run with (its SHA-256 in study.json;
a changed file is refused with exit 2 naming both hashes, or accepted on request and said
at the report's top), and `omm-cx study index` lists every claim of every study."""

from __future__ import annotations

import pytest
import yaml

from omm_cx.cli.main import main
from omm_cx.errors import ConfigError
from omm_cx.io.tables import write_json
from omm_cx.studies.index import build_index, write_index
from omm_cx.studies.plan import plan_runs
from omm_cx.studies.report import write_report
from omm_cx.studies.spec import available_studies, load_study

TOY = {
    "name": "toy-statics", "title": "a toy statics study", "kind": "call", "call": "m:f",
    "deterministic": True,
    "paper": {"reference": "Fan et al. 2016", "reproduces": "Supplementary Table 2",
              "refs": ["fan2016"]},
    "matrix": {"ff": {"values": ["a"], "sets": ["params.ff"], "key": "{}"}},
    "quantities": {"x": {"from": "result:x", "unit": "Å"}},
    "claims": [{"id": "x-value", "statement": "x is 4.39 Å", "source": "Supplementary Table 2",
                "quantity": "x", "test": "value", "published": 4.39, "tolerance": 0.005,
                "testable_from": "tiny", "reproduced_if": "|x - 4.39| <= 0.005"}],
    "presets": {s: {"why": "w"} for s in ("tiny", "small", "paper")},
}


def _study(tmp_path, x: float = 4.392):
    path = tmp_path / "toy-statics.yaml"
    path.write_text(yaml.safe_dump(TOY, sort_keys=False), encoding="utf-8")
    spec = load_study(path)
    out = tmp_path / "reports" / "toy-statics"
    plans = plan_runs(spec, "tiny")
    write_json(out / "study.json", {"name": str(path), "scale": "tiny", "keys": [p.key for p in plans],
                                    "spec_sha256": spec.sha256, "created": "2026-12-07T01:00:00",
                                    "commit": "0123456789abcdef"})
    for p in plans:
        d = out / "runs" / p.key
        write_json(d / "plan.json", p.to_json())
        write_json(d / "status.json", {"state": "finished", "error": None})
        write_json(d / "result.json", {"x": x})
    return path, spec, out


def test_report_of_unchanged_study_is_written(tmp_path):
    _, _, out = _study(tmp_path)
    rep = write_report(out)
    assert rep["claims"][0]["verdict"] == "reproduced"
    assert rep["spec_changed_since_run"] is None
    assert rep["run_commit"] == "0123456789abcdef"


def test_report_refuses_a_changed_study_file_naming_both_hashes(tmp_path, capsys):
    path, spec, out = _study(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("tolerance: 0.005", "tolerance: 0.05"),
                    encoding="utf-8")
    new = load_study(path).sha256
    assert new != spec.sha256
    with pytest.raises(ConfigError) as err:
        write_report(out)
    assert spec.sha256[:12] in str(err.value) and new[:12] in str(err.value)
    assert main(["study", "report", str(out)]) == 2
    msg = capsys.readouterr().err
    assert spec.sha256[:12] in msg and new[:12] in msg and "--accept-changed-spec" in msg
    assert not (out / "report.md").exists()
    assert main(["study", "report", str(out), "--accept-changed-spec"]) == 0
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "study file changed since these runs" in md.split("## Published vs ours")[0]


def test_index_lists_every_claim_of_every_study(tmp_path):
    _, _, out = _study(tmp_path, x=4.433)
    write_report(out)
    page = build_index(out.parent)
    assert "| [toy-statics](toy-statics/report.md) | x-value |" in page
    assert "**not reproduced**" in page and "0123456789" in page and "2026-12-07" in page
    for name in available_studies():
        for c in load_study(name).claims:
            assert f"| {c.id} |" in page, (name, c.id)
    assert main(["study", "index", str(out.parent)]) == 0
    assert (out.parent / "README.md").read_text(encoding="utf-8") == build_index(out.parent)
    assert write_index(out.parent).name == "README.md"


def test_finished_runs_without_the_quantity_say_so(tmp_path):
    _, _, out = _study(tmp_path)
    for result in out.glob("runs/*/result.json"):
        write_json(result, {"y": 1.0})  # the call wrote no 'x'
    rep = write_report(out)
    c = rep["claims"][0]
    assert c["verdict"] == "not resolved"
    assert "runs finished, but their outputs have no value" in c["reason"]


def test_committed_index_is_generated_and_lists_every_claim():
    """docs/studies/README.md is what `omm-cx study index docs/studies` writes now."""
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "docs" / "studies"
    assert (folder / "README.md").read_text(encoding="utf-8") == build_index(folder), \
        "regenerate it: omm-cx study index docs/studies"
