"""Study reports on a study folder whose run outputs are written directly (the report
reads files; it is not an MD engine): mean ± s.e.m. against numpy, verdicts, a partly
finished study, the Arrhenius fit against a known barrier, report.md and the figures."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from omm_cx.cli.main import main
from omm_cx.io.tables import write_csv, write_json
from omm_cx.studies.plan import plan_runs
from omm_cx.studies.spec import load_study
from omm_cx.studies.report import write_report
from omm_cx.studies.verdicts import NOT_REPRODUCED, NOT_RESOLVED, NOT_TESTABLE, REPRODUCED

K_B = 8.617333262e-5


def _folder(tmp_path, name, scale, values, pending=()):
    """A study folder: study.json, plan.json per run, and for finished runs status.json
    and analysis/summary.json built by ``values(plan) -> analyses dict``."""
    plans = plan_runs(name, scale)
    write_json(tmp_path / "study.json", {"name": name, "scale": scale,
                                         "spec_sha256": load_study(name).sha256,
                                         "created": "now", "keys": [p.key for p in plans]})
    for p in plans:
        d = tmp_path / "runs" / p.key
        write_json(d / "plan.json", p.to_json())
        if p.key in pending:
            write_json(d / "status.json", {"state": "running", "error": None, "segments": 1,
                                           "simulated_ps": 1.0, "length_ps": p.length_ps, "wall_s": 1})
            continue
        analyses, tables = values(p)
        write_json(d / "status.json", {"state": "finished", "error": None, "segments": 2,
                                       "simulated_ps": p.length_ps, "length_ps": p.length_ps,
                                       "wall_s": 5.0})
        write_json(d / "analysis" / "summary.json", {"analyses": analyses})
        for fname, cols in tables.items():
            write_csv(d / "analysis" / fname, cols)
    return plans


RHO = {"cd-preferred": 0.30, "nonpreferential": 0.10}


def _rho(p):
    rho = RHO[p.params["psl"]] + 0.01 * p.params["seed"]
    interior = rho / 3
    t = np.arange(0.0, 61.0, 1.0)
    return ({"exchange": {"rho_last": rho, "rho_interior_last": interior,
                          "n_in_going_last": int(100 * rho)}},
            {"exchange.csv": {"time_ps": t, "rho": rho * t / t[-1],
                              "rho_interior": interior * t / t[-1]}})


def test_mean_sem_and_verdicts_of_a_partly_finished_study(tmp_path):
    _folder(tmp_path, "004-reverse", "small", _rho, pending={"cdse_psl-cd-preferred_s3"})
    rep = write_report(tmp_path)
    groups = {g["labels"]["psl"]: g for g in rep["quantities"]["rho_last"]["groups"]}
    for psl, base in RHO.items():
        vals = np.array([base + 0.01 * s for s in (1, 2, 3)])
        if psl == "cd-preferred":
            vals = vals[:2]
            assert groups[psl]["missing"] == ["cdse_psl-cd-preferred_s3"]
        g = groups[psl]
        assert g["n"] == len(vals)
        assert g["mean"] == pytest.approx(vals.mean(), abs=1e-12)
        assert g["sem"] == pytest.approx(vals.std(ddof=1) / math.sqrt(len(vals)), rel=1e-9)
    assert rep["runs"]["counts"] == {"finished": 5, "running": 1, "failed": 0, "pending": 0}
    assert rep["runs"]["complete"] is False
    claims = {c["id"]: c for c in rep["claims"]}
    # two seeds against three, 0.2 apart with a spread of 0.01: Welch's t interval excludes 0
    assert claims["ce-cdpref-rho"]["verdict"] == REPRODUCED
    assert claims["ce-cdpref"]["verdict"] == REPRODUCED
    # interior exchange with the non-preferential PSL (0.037 ± 0.003) is below 0.05
    assert claims["no-ce-nonpref"]["verdict"] == REPRODUCED
    # rho of about 0.1 needs the paper's NC: the reason names the condition
    assert claims["rho-about-0.1-nonpref"]["verdict"] == NOT_TESTABLE
    assert "4.7 nm NC" in claims["rho-about-0.1-nonpref"]["reason"]
    for c in rep["claims"]:
        assert {"statement", "source", "quote", "line", "verdict", "reason", "reproduced_if",
                "ours", "scale"} <= set(c)
    # the series is averaged point by point; rho(t) at the end equals rho_last's mean
    series = {g["labels"]["psl"]: g for g in rep["quantities"]["rho_t"]["groups"]}
    assert series["nonpreferential"]["mean"][-1] == pytest.approx(groups["nonpreferential"]["mean"])
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "**reproduced**" in md and "cdse_psl-cd-preferred_s3" in md and "small" in md
    assert "95 % [" in md and "CE did not take place" in md
    assert (tmp_path / "fig_rho_t.png").stat().st_size > 1000
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["verdicts"][REPRODUCED] == 3


def test_reversed_order_is_not_reproduced_and_overlap_is_not_resolved(tmp_path):
    def flipped(p):
        a, t = _rho(p)
        a["exchange"]["rho_interior_last"] = 0.5 - a["exchange"]["rho_interior_last"]
        return a, t

    _folder(tmp_path / "a", "004-reverse", "small", flipped)
    assert {c["id"]: c["verdict"] for c in write_report(tmp_path / "a")["claims"]}[
        "ce-cdpref"] == NOT_REPRODUCED

    def noisy(p):  # the same mean for both models, a spread of 0.1 between seeds
        a, t = _rho(p)
        a["exchange"]["rho_interior_last"] = (0.2 + 0.1 * (p.params["seed"] - 2)
                                              + 0.001 * len(p.params["psl"]))
        return a, t

    _folder(tmp_path / "b", "004-reverse", "small", noisy)
    c = {c["id"]: c for c in write_report(tmp_path / "b")["claims"]}
    assert c["ce-cdpref"]["verdict"] == NOT_RESOLVED
    assert "95 % interval" in c["ce-cdpref"]["reason"] and "dof" in c["ce-cdpref"]["reason"]


def test_below_its_scale_a_claim_is_not_testable(tmp_path):
    _folder(tmp_path, "004-reverse", "tiny", _rho)
    rep = write_report(tmp_path)
    assert {c["verdict"] for c in rep["claims"]} == {NOT_TESTABLE}
    assert "needs the small preset" in rep["claims"][0]["reason"]


def test_arrhenius_recovers_the_barrier(tmp_path):
    ea = {"wz": 0.29, "zb": 0.90}  # zb far from the published 0.51 eV

    def diffusion(p):
        T = p.params["temperature_K"]
        D = 1e-3 * math.exp(-ea[p.params["system"]] / (K_B * T)) * (1 + 0.001 * p.params["seed"])
        return ({"msd": {"diffusion": {"D_cm2_per_s": D, "D_err_cm2_per_s": 0.01 * D}},
                 "host_order": {"on_site_fraction": 0.99}}, {})

    _folder(tmp_path, "003-diffusion", "small", diffusion)
    rep = write_report(tmp_path)
    c = {c["id"]: c for c in rep["claims"]}
    assert c["ea-wz"]["verdict"] == REPRODUCED, c["ea-wz"]["reason"]
    assert c["ea-wz"]["ours"][0]["mean"] == pytest.approx(0.29, abs=1e-3)
    assert c["ea-wz"]["ours"][0]["weighted"] is True
    assert c["ea-zb"]["verdict"] == NOT_REPRODUCED
    assert c["ea-zb"]["ours"][0]["mean"] == pytest.approx(0.90, abs=1e-3)
    # D(wz) > D(zb) at every temperature, with three seeds each: resolved
    assert c["wz-faster"]["verdict"] == REPRODUCED, c["wz-faster"]["reason"]
    assert (tmp_path / "fig_arrhenius_ea-wz.png").is_file()


def test_curves_equal_on_g_of_r(tmp_path):
    r = np.arange(0.025, 12.0, 0.05)

    def gr(p):
        peak = 3.1 if p.params["psl"] == "preferred" else 3.5
        g = np.exp(-((r - peak) / 0.3) ** 2) * 2 + (r > peak)
        c = p.params["cation"]
        return ({"rdf": {"first_peak": {f"{c}-PSL": {"r_A": peak}}},
                 "msd": {"diffusion": {"D_cm2_per_s": 2e-5}}},
                {"rdf.csv": {"r_A": r, f"g_{c}-PSL": g, "g_PSL-PSL": g * 0.5,
                             f"g_{c}-{c}": g * 0.5}})

    _folder(tmp_path, "004-liquid-gr", "small", gr)
    c = {c["id"]: c["verdict"] for c in write_report(tmp_path)["claims"]}
    assert c == {"cc-equals-ll": REPRODUCED, "same-psl-cd-pb-nonpref": REPRODUCED,
                 "same-psl-cd-pb-pref": REPRODUCED, "all-liquid": REPRODUCED}


def test_report_command_and_a_folder_that_is_no_study(tmp_path, capsys):
    _folder(tmp_path / "s", "004-reverse", "small", _rho)
    assert main(["study", "report", str(tmp_path / "s")]) == 0
    assert "ce-cdpref: reproduced" in capsys.readouterr().out
    assert main(["study", "report", str(tmp_path)]) == 2
    assert "no study.json" in capsys.readouterr().err
