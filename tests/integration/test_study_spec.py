"""Study files: every shipped study validates and plans for every preset; bad study files
are one-line errors (exit 2); `omm-cx study list` and `study run --dry-run`."""

from __future__ import annotations

import json

import pytest

from omm_cx.cli.main import main
from omm_cx.errors import ConfigError
from omm_cx.studies.plan import RunPlan, estimate_atoms, plan_runs
from omm_cx.studies.spec import SCALES, available_studies, load_study

ISSUE_STUDIES = {"004-liquid-gr", "004-forward-psl", "004-reverse", "004-pressure", "004-jumps",
                 "003-diffusion", "003-uptake", "000-dumbbells", "002-xrd-series",
                 "000-lattice-statics", "000-bulk-xi"}


def test_every_issue_study_is_shipped():
    assert ISSUE_STUDIES <= set(available_studies())


@pytest.mark.parametrize("name", sorted(ISSUE_STUDIES))
def test_study_validates_and_plans_every_preset(name):
    spec = load_study(name)
    assert spec.paper.reference and spec.paper.reproduces and spec.paper.refs
    assert spec.claims, "a study without published statements reproduces nothing"
    for scale in SCALES:
        plans = plan_runs(spec, scale)
        assert plans
        assert len({p.key for p in plans}) == len(plans)
        for p in plans:
            assert p.kind == spec.kind
            assert RunPlan.from_json(json.loads(json.dumps(p.to_json()))) == p
            if p.kind == "md":
                assert (p.recipe is None) != (p.build_call is None)
                assert p.config["length_ns"] == pytest.approx(p.length_ps / 1000)
                assert p.n_atoms and p.n_atoms > 0
                if "seed" in p.params and p.recipe is not None:
                    assert p.recipe["seed"] == p.params["seed"] == p.config["seed"]


def test_tiny_presets_are_tiny():
    for name in ("004-liquid-gr", "004-forward-psl"):
        for p in plan_runs(name, "tiny"):
            assert p.n_atoms < 400 and p.length_ps <= 2.0


def test_overrides_and_templates_reach_the_recipe():
    plans = {p.key: p for p in plan_runs("004-forward-psl", "paper")}
    p = plans["pbs_psl-cd-preferred_s2"]
    assert p.recipe["forcefield"] == "pbcds-omm_cx+psl-cd-preferred"
    assert p.params == {"system": "pbs", "psl": "cd-preferred", "seed": 2}
    small = plan_runs("004-forward-psl", "small")[0]
    assert small.recipe["nanocrystal"]["diameter_nm"] == 2.4
    assert small.config["temperature_K"] == 700.0
    liq = {p.key: p for p in plan_runs("004-liquid-gr", "tiny")}["pb-pbpref_s1"]
    assert liq.recipe["solution"]["cation"] == "Pb"
    assert liq.recipe["forcefield"] == "pbcdse+psl-pb-preferred"
    assert liq.analysis_options["rdf_pairs"][0] == ["Pb", "PSL"]


def test_atom_estimate_against_a_built_system():
    from omm_cx.systems.recipes import build_recipe

    p = plan_runs("004-forward-psl", "tiny")[0]
    built = len(build_recipe(p.recipe, seed=1).structure.species)
    assert abs(p.n_atoms - built) <= 0.15 * built
    # the paper-size PbSe system: benchmarks/latest.json built it with 10,392 particles
    paper = plan_runs("004-forward-psl", "paper")[0]
    assert abs(estimate_atoms(paper.recipe) - 10392) / 10392 < 0.02


BASE = """name: bad
title: t
paper: {reference: r, reproduces: f, refs: [fan2016]}
systems: {a: {recipe: demo-pbse-cd-psl}}
run: {temperature_K: 500.0}
presets:
  tiny: {why: w, length_ps: 1.0}
  small: {why: w, length_ps: 1.0}
  paper: {why: w, length_ps: 1.0}
"""


@pytest.mark.parametrize("name", sorted(ISSUE_STUDIES))
def test_every_preset_that_judges_a_claim_has_three_seeds_per_group(name, capsys):
    """A claim that needs a spread is judged only where each group has >= 3 seeds (a t
    interval); deterministic studies need none. The dry run says so for every preset."""
    from collections import Counter

    from omm_cx.studies.aggregate import group_labels

    spec = load_study(name)
    for scale in SCALES:
        judged = [c for c in spec.claims
                  if SCALES.index(c.testable_from) <= SCALES.index(scale)]
        per = Counter(tuple(sorted(group_labels(spec, p).items(), key=str))
                      for p in plan_runs(spec, scale))
        if judged and not spec.deterministic:
            assert min(per.values()) >= 3, (scale, [c.id for c in judged], per)
        assert main(["study", "run", name, "--scale", scale, "--dry-run"]) == 0
        out = capsys.readouterr().out
        assert "seeds per group:" in out and "will be 'not resolved'" not in out


def test_study_files_cite_by_reference_key_not_by_path():
    from pathlib import Path

    for path in (Path(__file__).resolve().parents[2] / "studies").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert "shared/" not in text and "DOMAIN.md" not in text, path.name


CLAIM = """claims:
  - {id: c, statement: s, source: S, quantity: q, test: above, threshold: 0, reproduced_if: r,
     groups: [T=1]}
quantities: {q: {from: "summary:exchange.rho_last"}}
matrix: {T: {values: [1, 2], sets: [config.temperature_K]}}
"""


@pytest.mark.parametrize("edit, words", [
    (lambda s: s + CLAIM.replace("groups: [T=1]", "groups: [T=3]"),
     ["claims[0].groups", "'3' is not a value of T"]),
    (lambda s: s + CLAIM.replace("groups: [T=1]", "groups: [T=1], testable_from: paper"),
     ["claims[0].needs", "which condition"]),
    (lambda s: s + CLAIM.replace("test: above, threshold: 0", "test: monotonic"),
     ["claims[0].quantity", "series quantity"]),
    (lambda s: s + CLAIM.replace("reproduced_if: r", "reproduced_if: r, sigmas: 2"),
     ["unknown key", "sigmas"]),
    (lambda s: s.replace("title: t", "titel: t"), ["unknown key 'titel'", "did you mean 'title'"]),
    (lambda s: s.replace("  paper: {why: w, length_ps: 1.0}\n", ""), ["presets", "paper missing"]),
    (lambda s: s.replace("length_ps: 1.0}\n  small", "length_ps: -1.0}\n  small"),
     ["presets.tiny.length_ps", "must be > 0"]),
    (lambda s: s + "matrix: {T: {values: [1], sets: [temperature_K]}}\n",
     ["matrix.T.sets", "must start with one of"]),
    (lambda s: s.replace("run: {temperature_K: 500.0}", "run: {temperature_K: 500.0, temprature_K: 1}"),
     ["unknown key 'temprature_K'"]),
    (lambda s: s.replace("recipe: demo-pbse-cd-psl", "recipe: demo-pbse-cd-psl, overrides: "
                         "{nanocrystal.diameter_nm: -2}"), ["nanocrystal.diameter_nm", "impossible"]),
])
def test_bad_study_file_is_one_line_exit_2(tmp_path, capsys, edit, words):
    f = tmp_path / "bad.yaml"
    f.write_text(edit(BASE))
    code = main(["study", "run", str(f), "--scale", "tiny", "--dry-run"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and str(f) in err, err
    for w in words:
        assert w in err, err


def test_the_base_of_the_bad_files_is_good(tmp_path):
    f = tmp_path / "good.yaml"
    f.write_text(BASE)
    assert [p.key for p in plan_runs(load_study(f), "tiny")] == ["run"]


def test_unknown_study_and_scale():
    with pytest.raises(ConfigError, match="unknown study 'nope'.*004-liquid-gr"):
        load_study("nope")
    with pytest.raises(ConfigError, match="unknown scale 'huge'"):
        plan_runs("004-liquid-gr", "huge")


def test_study_list_shows_every_study_with_presets_and_costs(capsys):
    assert main(["study", "list"]) == 0
    out = capsys.readouterr().out
    for name in ISSUE_STUDIES:
        assert f"{name}: " in out
    assert out.count("  tiny ") >= len(ISSUE_STUDIES)
    assert "Supplementary Figure 2" in out and "GPU-h" in out


def test_dry_run_of_004_jumps_paper(capsys):
    assert main(["study", "run", "004-jumps", "--scale", "paper", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "5 runs" in out
    for s in range(1, 6):
        assert f"  s{s} " in out
    assert "total simulated: 1000 ns" in out
    assert "estimated GPU time: unmeasured" in out or "GPU-hours" in out


def test_live_exchange_settings_reach_the_plan_and_the_segment(tmp_path):
    from omm_cx.studies.segments import _live_reporters
    from omm_cx.studies.spec import LiveInput

    spec = load_study("004-forward-psl")
    plan = plan_runs(spec, "tiny")[0]
    assert plan.live == {"every_ps": 10.0, "rho_above": None, "plateau_ps": None,
                         "plateau_tolerance": 0.01}
    stopping = spec.model_copy(update={"live": LiveInput(every_ps=0.02, rho_above=0.4)})
    live = plan_runs(stopping, "tiny")[0].live
    (rep,) = _live_reporters(tmp_path, 0.002, live)
    assert rep.interval == 10 and rep.rule.rho_above == 0.4
    assert _live_reporters(tmp_path, 0.002, {"every_ps": 0}) == []
