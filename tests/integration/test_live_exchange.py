"""Live exchange (omm_cx.analysis.live): the rows written while a real (tiny) NC run goes
agree with the post-run exchange analysis of the same frames; a stop rule ends the run
with a checkpoint and a resume has nothing left to do; systems without an NC write
nothing; the stop rules on their own."""

import numpy as np
import pytest

from omm_cx.analysis.driver import analyze_run_dir
from omm_cx.analysis.live import LIVE_CSV, StopRule, live_reporters
from omm_cx.analysis.options import AnalysisOptions
from omm_cx.errors import ConfigError
from omm_cx.io.tables import read_csv
from omm_cx.simulation import run
from omm_cx.systems.recipes import build_recipe

TINY = {"name": "tiny-live", "forcefield": "pbcdse+psl-nonpreferential", "seed": 3, "box_nm": 4.0,
        "nanocrystal": {"shape": "sphere", "diameter_nm": 2.0,
                        "crystal": {"structure": "rocksalt", "cation": "Pb", "anion": "Se",
                                    "a_A": 6.09}},
        "solution": {"pairs": 200, "cation": "Cd", "ligand": "PSL", "min_separation_A": 3.0}}


def _config(build_dir, steps, every=10, checkpoint=20):
    return {"build": str(build_dir), "seed": 5, "temperature_K": 900.0, "timestep_fs": 2.0,
            "steps": steps, "minimize": True, "platform": "CPU",
            "report": {"trajectory_steps": every, "state_steps": every,
                       "checkpoint_steps": checkpoint}}


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("live") / "build"
    build_recipe(TINY).write(path)
    return path


def test_live_rows_match_the_analysis_of_the_same_frames(build_dir, tmp_path):
    out = tmp_path / "run"
    res = run(_config(build_dir, 60), out, reporters=live_reporters(out, 2.0, every_ps=0.02))
    assert res.status == "finished"
    live = read_csv(out / LIVE_CSV)
    assert list(live["step"]) == [10, 20, 30, 40, 50, 60]
    analyze_run_dir(out, out_dir=tmp_path / "analysis", what=["exchange"], options=AnalysisOptions(plots=False))
    post = read_csv(tmp_path / "analysis" / "exchange.csv")
    # the trajectory has the same steps (frames every 10 steps): the counts must agree
    assert np.allclose(post["time_ps"], live["time_ps"])
    for col in ("n_in_going", "n_original", "n_anions"):
        assert list(post[col]) == list(live[col]), col
    assert np.allclose(post["rho"], live["rho"], equal_nan=True)
    assert live["n_anions"][0] > 50  # the 2 nm PbSe NC is there


def test_a_stop_rule_ends_the_run_and_resume_has_nothing_to_do(build_dir, tmp_path):
    out = tmp_path / "run"
    rule = StopRule(plateau_ps=0.05, plateau_tolerance=1.0)  # any rho history is a plateau
    res = run(_config(build_dir, 200), out, reporters=live_reporters(out, 2.0, 0.02, rule))
    assert res.status == "stopped by rule"
    # rows at 0.02, 0.04, 0.06, 0.08 ps: 0.06 ps of history >= 0.05 at step 40, which ends a
    # 20-step chunk (checkpoint every 20 steps), so the run stops there
    assert res.steps == 40
    assert "plateau" in res.record.stop_rule
    assert (out / "final.pdb").is_file()
    again = run(_config(build_dir, 200), out, resume=True,
                reporters=live_reporters(out, 2.0, 0.02, rule))
    assert again.status == "already finished"
    assert again.steps == 40


def test_no_nanocrystal_no_rows(tmp_path):
    doc = {"name": "liquid", "forcefield": "pbcdse+psl-nonpreferential", "seed": 1, "box_nm": 2.6,
           "solution": {"pairs": 40, "cation": "Cd", "ligand": "PSL", "min_separation_A": 3.0}}
    build_recipe(doc).write(tmp_path / "build")
    out = tmp_path / "run"
    res = run(_config(tmp_path / "build", 20), out, reporters=live_reporters(out, 2.0, 0.02))
    assert res.status == "finished"
    assert not (out / LIVE_CSV).exists()


def test_stop_rules():
    t = np.array([0.0, 10.0, 20.0, 30.0])
    assert StopRule(rho_above=0.5).reason(t, np.array([0.1, 0.2, 0.4, 0.49])) is None
    assert "0.510 >= 0.5" in StopRule(rho_above=0.5).reason(t, np.array([0.1, 0.2, 0.4, 0.51]))
    flat = StopRule(plateau_ps=20.0, plateau_tolerance=0.02)
    assert flat.reason(t, np.array([0.1, 0.30, 0.31, 0.315])) is not None  # last 20 ps: 0.015 wide
    assert flat.reason(t, np.array([0.1, 0.30, 0.33, 0.32])) is None        # 0.03 > 0.02
    assert flat.reason(t[:2], np.array([0.3, 0.3])) is None                  # 10 ps < 20 ps of history
    assert StopRule().reason(t, np.array([0.9] * 4)) is None
    with pytest.raises(ConfigError):
        StopRule(rho_above=1.5)
    assert live_reporters("x", 2.0, every_ps=0) == []
