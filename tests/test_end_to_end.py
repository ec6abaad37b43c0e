"""End to end on a real short MD run: recipe -> runner -> analyzers. Exchange counts and
radial density profiles agree (same NC membership); the demo writes its plot and tables."""

import csv

import mdtraj as md
import numpy as np
import pytest

from omm_cx.analysis.density import radial_density
from omm_cx.analysis.exchange import compute_exchange
from omm_cx.analysis.io import groups_from_build_info
from omm_cx.builddir import read_build_dir
from omm_cx.demo import DEMO_CONFIG, DEMO_RECIPE, run_demo
from omm_cx.recipes import resolve_recipe
from omm_cx.simulation import run


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("e2e") / "run"
    cfg = dict(DEMO_CONFIG, recipe=str(resolve_recipe(DEMO_RECIPE)), temperature_K=700.0,
               length_ns=0.004, platform="CPU")
    result = run(cfg, out)
    assert result.status == "finished"
    return out


def test_exchange_and_density_agree_on_a_real_run(short_run):
    build = read_build_dir(short_run / "build")
    traj = md.load(str(short_run / "traj.dcd"), top=str(short_run / "start.pdb"))
    assert traj.n_frames == 8  # 4 ps, a frame every 0.5 ps
    groups = groups_from_build_info(build.info, build.structure.species)
    ex = compute_exchange(traj, groups, dt_ps=0.5)
    edges = [0.0, 2.1, 4.1]  # frames at 0.5..2.0 ps and 2.5..4.0 ps
    prof = radial_density(traj, groups, bin_A=0.5, window_edges_ps=edges, dt_ps=0.5)
    t = np.asarray(ex["time_ps"])
    for w in range(2):
        sel = (t >= edges[w]) & (t < edges[w + 1])
        for key, col in (("in_going", "n_in_going"), ("original", "n_original"), ("Se", "n_anions")):
            assert prof.nc_counts[key][w].sum() == pytest.approx(np.mean(np.asarray(ex[col])[sel]), abs=1e-9)
    assert all(0 < r < 1 for r in ex["rho"])


def test_demo_writes_plot_and_tables(tmp_path):
    summary = run_demo(tmp_path / "demo", length_ps=2.0, log=lambda *a: None)
    a = tmp_path / "demo" / "analysis"
    for name in ("exchange.png", "exchange.csv", "density.csv", "summary.json"):
        assert (a / name).is_file(), name
    with open(a / "exchange.csv", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header[:5] == ["time_ps", "n_in_going", "n_original", "n_anions", "rho"]
    assert summary["analyses"]["exchange"]["rho_last"] > 0
