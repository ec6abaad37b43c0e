"""The analysis pipeline and ``omm-cx analyze`` on a real (tiny) build with a hand-made
trajectory: outputs, exchange/density consistency, times from the DCD header, the
geometric fallback without build.json, several runs, and a light CLI import."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from omm_cx.analysis.driver import analyze_run_dir
from omm_cx.analysis.options import AnalysisOptions
from omm_cx.errors import AnalysisError
from omm_cx.io.tables import read_csv

TINY = {"name": "tiny", "forcefield": "pbcdse+psl-nonpreferential", "seed": 1, "box_nm": 4.0,
        "nanocrystal": {"shape": "sphere", "diameter_nm": 2.0,
                        "crystal": {"structure": "rocksalt", "cation": "Pb", "anion": "Se", "a_A": 6.09}},
        "solution": {"pairs": 200, "cation": "Cd", "ligand": "PSL", "min_separation_A": 3.0}}
N_FRAMES = 12


def _write_dcd(path, topology_pdb, frames_A, box_A):
    """A DCD as OpenMM's DCDReporter writes it: 2 fs steps, a frame every 1000 steps."""
    import openmm.app as app
    import openmm.unit as u

    pdb = app.PDBFile(str(topology_pdb))
    with open(path, "wb") as fh:
        dcd = app.DCDFile(fh, pdb.topology, 0.002 * u.picoseconds, firstStep=1000, interval=1000)
        for f in frames_A:
            dcd.writeModel(f * 0.1 * u.nanometer, periodicBoxVectors=box_A * 0.1 * u.nanometer)


def _make_run(path, built, step_A, seed=0):
    """Build files + traj.dcd: thermal noise, Cd/PSL random walks, and at frame 6 two
    surface Pb swapped with solution Cd and one surface Se moved into the solution."""
    built.write(path)
    rng = np.random.default_rng(seed)
    g = built.groups
    x0 = built.structure.positions_A
    box = built.structure.box_A
    L = np.diag(box)
    centre = L / 2
    sol = np.array(g["solution_cations"] + g["ligands"])
    pb = np.array(g["nc_cations"])
    se = np.array(g["nc_anions"])
    r_pb = np.linalg.norm(x0[pb] - centre, axis=1)
    surf_pb = pb[np.argsort(r_pb)[-2:]]
    far_cd = np.array(g["solution_cations"])[np.argsort(
        -np.linalg.norm(x0[g["solution_cations"]] - centre, axis=1))[:2]]
    surf_se = se[np.argmax(np.linalg.norm(x0[se] - centre, axis=1))]
    walk = np.zeros_like(x0)
    frames = []
    for k in range(N_FRAMES):
        x = x0.copy()
        if k >= 6:
            x[[*surf_pb, *far_cd]] = x0[[*far_cd, *surf_pb]]
            x[surf_se] = centre + np.array([0.0, 0.0, 0.49]) * L[2] * 0.98
        walk[sol] += rng.choice([-step_A, step_A], size=(len(sol), 3))
        x = x + walk + rng.normal(scale=0.08, size=x.shape)
        frames.append(np.mod(x, L))
    _write_dcd(path / "traj.dcd", path / "structure.pdb", np.array(frames), box)
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from omm_cx.systems.recipes import build_recipe

    built = build_recipe(TINY)
    base = tmp_path_factory.mktemp("analysis")
    return [_make_run(base / "run500", built, 0.2, seed=1), _make_run(base / "run600", built, 0.35, seed=2)]


def _cli(argv):
    """``omm-cx analyze ...`` without the error policy (errors propagate)."""
    from omm_cx.cli.main import command_parser

    assert argv[0] == "analyze"
    args = command_parser("analyze", "omm-cx analyze").parse_args(argv[1:])
    return args.func(args)


def test_analyze_run_dir_writes_every_output(runs, capsys):
    run = runs[0]
    assert _cli(["analyze", str(run), "--rdf-pairs", "Cd-PSL,Pb-Se", "--progress"]) == 0
    out = run / "analysis"
    for name in ("exchange.csv", "exchange.png", "counts.png", "anions.png", "density.csv",
                 "density_boundary.csv", "density.png", "rdf.csv", "rdf.png", "jumps.csv",
                 "jumps_summary.json", "rmsd.csv", "rmsd_map.png", "msd.csv", "msd.png",
                 "summary.json"):
        assert (out / name).is_file(), name
    head = (out / "exchange.csv").read_text().splitlines()[0]
    assert head.startswith("time_ps,n_in_going,n_original,n_anions,rho")
    js = json.loads((out / "jumps_summary.json").read_text())
    assert {"n_intf", "n_shell", "n_kick", "n_octa", "n_tetra"} <= set(js)
    s = json.loads((out / "summary.json").read_text())
    assert s["frames"]["time_source"] == "DCD header"
    assert s["frames"]["dt_ps"] == pytest.approx(2.0, rel=1e-6)
    assert s["frames"]["t0_ps"] == pytest.approx(2.0, rel=1e-6)  # first frame at step 1000
    assert s["groups"]["source"].startswith("build.json")
    assert s["skipped"] == {}
    ex = read_csv(out / "exchange.csv")
    assert np.allclose(ex["time_ps"], 2.0 + 2.0 * np.arange(N_FRAMES), rtol=1e-6)
    # the scripted events: two Pb swapped out, two Cd in, one Se dissolved at frame 6
    assert (ex["n_original"][6:] == 73).all() and (ex["n_original"][:6] == 75).all()
    assert (ex["n_anions_lost"][6:] == 1).all() and (ex["n_anions_lost"][:6] == 0).all()
    assert np.array_equal(ex["n_cations"], ex["n_in_going"] + ex["n_original"])
    assert np.allclose(ex["rho"], ex["n_in_going"] / (ex["n_in_going"] + ex["n_original"]))
    err = capsys.readouterr()
    assert "analyze: frame" in err.err and "exchange: rho" in err.out


def test_exchange_and_density_profiles_count_the_same_ions(runs):
    run = runs[0]
    out = run / "analysis_consistency"
    opts = AnalysisOptions(density_windows=5, plots=False)
    analyze_run_dir(run, "exchange,density", options=opts, out_dir=out)
    ex = read_csv(out / "exchange.csv")
    d = read_csv(out / "density.csv")
    edges = np.unique(np.concatenate([d["t_start_ps"], d["t_end_ps"]]))
    w_of = np.minimum(np.searchsorted(edges, ex["time_ps"], side="right") - 1, len(edges) - 2)
    for w in range(len(edges) - 1):
        rows = d["window"] == w
        sel = w_of == w
        assert d["n_frames"][rows][0] == sel.sum()
        for col, key in (("in_going_nc_count", "n_in_going"), ("original_nc_count", "n_original"),
                         ("Se_nc_count", "n_anions")):
            assert d[col][rows].sum() == pytest.approx(ex[key][sel].mean(), rel=1e-5)
    # the density of NC members integrates to the same numbers: density x shell volume
    vol = 4 / 3 * np.pi * (d["r_hi_A"] ** 3 - d["r_lo_A"] ** 3) / 1000
    rows = d["window"] == 0
    assert np.sum(d["Pb_per_nm3"][rows] * vol[rows]) >= ex["n_original"][w_of == 0].mean() - 1e-3


def test_fallback_without_build_json_gives_the_same_exchange(runs, tmp_path):
    run = runs[0]
    ref = tmp_path / "ref"
    analyze_run_dir(run, "exchange", options=AnalysisOptions(plots=False), out_dir=ref)
    out = tmp_path / "fallback"
    rc = _cli(["analyze", "--traj", str(run / "traj.dcd"), "--top", str(run / "structure.pdb"),
               "-o", str(out), "--what", "exchange", "--dt-ps", "2.0", "--no-plots"])
    assert rc == 0
    s = json.loads((out / "summary.json").read_text())
    assert "geometric fallback" in s["groups"]["source"]
    assert s["frames"]["time_source"] == "--dt-ps"
    a, b = read_csv(ref / "exchange.csv"), read_csv(out / "exchange.csv")
    for k in ("n_in_going", "n_original", "n_anions", "rho"):
        assert np.array_equal(a[k], b[k]), k
    assert np.allclose(b["time_ps"], 2.0 * np.arange(N_FRAMES))


def test_jumps_need_frames_2_ps_apart(runs, tmp_path):
    run = runs[0]
    s = analyze_run_dir(run, "jumps,exchange", dt_ps=4.0, options=AnalysisOptions(plots=False),
                        out_dir=tmp_path / "a")
    assert "every 2 ps" in s["skipped"]["jumps"]
    with pytest.raises(AnalysisError, match="every 2 ps"):
        _cli(["analyze", str(run), "--what", "jumps", "--dt-ps", "4", "-o", str(tmp_path / "b")])


def test_several_runs_combine_jumps_and_arrhenius(runs, tmp_path, capsys):
    out = tmp_path / "combined"
    rc = _cli(["analyze", *map(str, runs), "--what", "jumps,msd", "-o", str(out),
               "--temperatures-K", "500,600", "--msd-fit-ps", "4,10"])
    assert rc == 0
    js = json.loads((out / "jumps_summary.json").read_text())
    assert js["n_runs"] == 2 and set(js["runs"]) == {"run500", "run600"}
    assert {"total", "mean", "sem"} <= set(js)
    arr = json.loads((out / "arrhenius.json").read_text())
    assert arr["T_K"] == [500.0, 600.0]
    assert np.isfinite(arr["Ea_eV"]) and arr["Ea_eV"] > 0  # faster walk at the higher T
    assert (out / "arrhenius.png").is_file() and (out / "jumps_runs.csv").is_file()
    assert "E_a =" in capsys.readouterr().out


def test_cli_errors_name_the_problem(runs, tmp_path):
    with pytest.raises(AnalysisError, match="--top"):
        _cli(["analyze", "--traj", str(runs[0] / "traj.dcd")])
    with pytest.raises(AnalysisError, match="-o OUT"):
        _cli(["analyze", *map(str, runs)])
    with pytest.raises(AnalysisError, match="unknown analysis"):
        _cli(["analyze", str(runs[0]), "--what", "exchange,foo", "-o", str(tmp_path)])
    empty = tmp_path / "empty"
    empty.mkdir()
    shutil.copy(runs[0] / "structure.pdb", empty / "structure.pdb")
    with pytest.raises(AnalysisError, match="no trajectory"):
        _cli(["analyze", str(empty)])


def test_analyze_help_stays_light():
    code = ("import sys\n"
            "from omm_cx.cli.main import command_parser\n"
            "p = command_parser('analyze', 'omm-cx analyze')\n"
            "try:\n    p.parse_args(['--help'])\nexcept SystemExit: pass\n"
            "heavy = [m for m in ('openmm', 'mdtraj', 'numpy', 'scipy', 'matplotlib') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "--traj" in r.stdout and "--dt-ps" in r.stdout


def test_nc_in_vacuum_without_a_box(tmp_path):
    """000's dumbbells run in vacuum: no CRYST1, no box in the DCD. RMSD maps flag the
    atoms planted with a large vibration; analyses that need a solution are skipped."""
    from omm_cx.systems.recipes import build_recipe

    recipe = {k: v for k, v in TINY.items() if k not in ("solution", "box_nm")}
    built = build_recipe(recipe)
    built.write(tmp_path)
    assert built.structure.box_A is None
    x0 = built.structure.positions_A
    rng = np.random.default_rng(3)
    loud = np.arange(5)  # five cations vibrate with 1.2 Å amplitude
    frames = []
    for k in range(10):
        x = x0 + rng.normal(scale=0.05, size=x0.shape)
        x[loud] += (1.2 if k % 2 else -1.2) * np.array([1.0, 0.0, 0.0])
        frames.append(x)
    import openmm.app as app
    import openmm.unit as u

    pdb = app.PDBFile(str(tmp_path / "structure.pdb"))
    with open(tmp_path / "traj.dcd", "wb") as fh:
        dcd = app.DCDFile(fh, pdb.topology, 0.002 * u.picoseconds, firstStep=1000, interval=1000)
        for f in frames:
            dcd.writeModel(f * 0.1 * u.nanometer)
    s = analyze_run_dir(tmp_path, options=AnalysisOptions(plots=True))
    assert s["analyses"]["rmsd"]["n_mobile"] == 5
    assert s["analyses"]["exchange"]["rho_last"] == 0.0
    assert "msd" in s["skipped"]
    assert s["analyses"]["density"]["r_max_A"] > 10.0
    assert (tmp_path / "analysis" / "rmsd_map.png").is_file()


def test_chunk_size_does_not_change_results(runs, tmp_path):
    """Streaming in chunks of 5 frames (frames carried across chunk boundaries by the
    jump, RMSD and MSD accumulators) gives the same tables as one chunk."""
    outs = []
    for chunk in (5, 500):
        out = tmp_path / f"c{chunk}"
        analyze_run_dir(runs[1], "exchange,jumps,rmsd,msd,density",
                        options=AnalysisOptions(chunk_frames=chunk, plots=False), out_dir=out)
        outs.append(out)
    for name in ("exchange.csv", "jumps.csv", "rmsd.csv", "msd.csv", "density.csv"):
        assert (outs[0] / name).read_text() == (outs[1] / name).read_text(), name


def test_run_temperature_from_the_state_log(tmp_path):
    from omm_cx.analysis.runs import run_temperature_K

    (tmp_path / "state.csv").write_text(
        '#"Step","Time (ps)","Potential Energy (kJ/mole)","Temperature (K)"\n'
        "1000,2.0,-1.0,548.0\n2000,4.0,-1.1,552.0\n")
    assert run_temperature_K(tmp_path) == pytest.approx(550.0)
    assert run_temperature_K(tmp_path / "missing") is None


def test_wire_uptake_per_unit_length(tmp_path):
    """003 Fig. 5: Cu taken up per nm of a periodic CdSe wire; the build records the
    wire period (= the box's z length) and the exchange table divides by it."""
    from omm_cx.simulation import run

    cfg = {"recipe": "cdse-nanowire-cu", "temperature_K": 500, "steps": 40, "seed": 3,
           "report": {"trajectory_steps": 20, "state_steps": 20, "checkpoint_steps": 40},
           "platform": "CPU"}
    assert run(cfg, tmp_path / "nw").status == "finished"
    info = json.loads((tmp_path / "nw" / "build" / "build.json").read_text())
    assert info["wire_period_A"] == pytest.approx(info["box_A"][2][2])
    summary = analyze_run_dir(tmp_path / "nw", what="exchange")
    tab = read_csv(tmp_path / "nw" / "analysis" / "exchange.csv")
    np.testing.assert_allclose(tab["n_in_going_per_nm"], tab["n_in_going"] / (info["wire_period_A"] / 10),
                               rtol=1e-5)  # the CSV keeps 6 significant digits
    # the whole wire is one anion framework across z: every anion of the wire as built
    assert tab["n_anions"][0] == info["nc_counts"]["Se"] == 752
    ex = summary["analyses"]["exchange"]
    assert ex["in_going_species"] == ["Cu"] and ex["wire_period_A"] == info["wire_period_A"]
    # 003's core region: Cu within 1.7 nm of the axis; the bath starts outside the wire
    assert ex["core_radius_A"] == 17.0 and tab["n_in_going_core"][0] == 0


def test_registry_names_every_analysis_class():
    from omm_cx.analysis.base import Analysis
    from omm_cx.analysis.registry import WHAT_ALL, WHAT_DEFAULT, analysis_class, parse_what

    assert WHAT_ALL == ("exchange", "density", "rdf", "jumps", "rmsd", "msd", "facets", "phases",
                        "lattice", "host_order")
    assert set(WHAT_DEFAULT) == set(WHAT_ALL) - {"facets", "phases", "lattice", "host_order"}
    for name in WHAT_ALL:
        cls = analysis_class(name)
        assert issubclass(cls, Analysis) and cls.name == name
    assert parse_what("msd, exchange") == ["exchange", "msd"]
    with pytest.raises(AnalysisError, match="unknown analysis foo"):
        parse_what(["foo"])


def test_driver_shares_one_membership_per_frame_and_skips_what_cannot_run(runs):
    """A new analysis is a class: the driver feeds it every frame, with the same
    FrameMembership object every membership analysis of that frame gets; CannotRun
    raised in prepare is recorded (or, strict, an error)."""
    from omm_cx.analysis.base import Analysis, AnalysisOutput, CannotRun
    from omm_cx.analysis.driver import make_context, prepare_analyses, stream
    from omm_cx.analysis.registry import create
    from omm_cx.analysis.trajectory import open_trajectory

    class Seen(Analysis):
        name = "seen"
        needs_membership = True

        def prepare(self, ctx):
            super().prepare(ctx)
            self.members = []

        def add(self, frame, membership):
            self.members.append((frame.index, membership))

        def finish(self):
            return AnalysisOutput({"n": len(self.members)})

    class Never(Analysis):
        name = "never"

        def prepare(self, ctx):
            raise CannotRun("not today")

    src = open_trajectory(runs[0] / "traj.dcd", runs[0] / "structure.pdb")
    ctx = make_context(src, runs[0] / "build.json", AnalysisOptions(chunk_frames=5, plots=False))
    a, b = Seen(), Seen()
    skipped = {}
    prepared = prepare_analyses([a, b, Never()], ctx, skipped)
    assert prepared == [a, b] and skipped == {"never": "not today"}
    assert stream(src, prepared, ctx) == N_FRAMES
    assert [i for i, _ in a.members] == list(range(N_FRAMES))
    assert all(ma is mb for (_, ma), (_, mb) in zip(a.members, b.members))
    assert a.finish().summary == {"n": N_FRAMES}
    with pytest.raises(AnalysisError, match="jumps: .*every 2 ps"):
        ctx4 = make_context(open_trajectory(runs[0] / "traj.dcd", runs[0] / "structure.pdb", 4.0),
                           runs[0] / "build.json", AnalysisOptions())
        prepare_analyses(["jumps"], ctx4, {}, strict=True)
    assert isinstance(create("msd"), Analysis)


def test_summary_is_a_typed_record_read_back_for_combining(runs, tmp_path):
    from omm_cx.analysis.record import SUMMARY_FORMAT_VERSION, AnalysisSummary, read_summary
    from omm_cx.analysis.runs import combine_runs

    opts = AnalysisOptions(plots=False)
    dicts = [analyze_run_dir(r, "jumps", options=opts, out_dir=r / "analysis_typed") for r in runs]
    s = read_summary(runs[0] / "analysis_typed" / "summary.json")
    assert isinstance(s, AnalysisSummary) and s.format_version == SUMMARY_FORMAT_VERSION
    assert s.frames.n_frames == N_FRAMES and s.inputs.build_json.endswith("build.json")
    assert s.as_dict()["analyses"]["jumps"] == json.loads(
        (runs[0] / "analysis_typed" / "summary.json").read_text())["analyses"]["jumps"]
    on_disk = json.loads((runs[0] / "analysis_typed" / "summary.json").read_text())
    assert list(on_disk) == list(dicts[0])  # the returned dict is what was written
    a = combine_runs(dicts, tmp_path / "a", ["run500", "run600"], plots=False)
    b = combine_runs([r / "analysis_typed" / "summary.json" for r in runs], tmp_path / "b",
                     ["run500", "run600"], plots=False)
    assert a == b
    assert ((tmp_path / "a" / "jumps_runs.csv").read_text()
            == (tmp_path / "b" / "jumps_runs.csv").read_text())
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**on_disk, "frames": {**on_disk["frames"], "n_frames": "many"}}))
    with pytest.raises(AnalysisError, match="frames.n_frames"):
        read_summary(bad)
    old = tmp_path / "old.json"  # written before the format version was recorded
    old.write_text(json.dumps({k: v for k, v in on_disk.items() if k != "format_version"}))
    assert read_summary(old).format_version == 1


def test_a_single_structure_needs_no_time_step(runs, tmp_path):
    """`omm-cx analyze --traj X.pdb --top X.pdb` on one structure: one frame has no time
    step, so none is asked for (issue: it used to exit 2 asking for --dt-ps)."""
    pdb = runs[0] / "structure.pdb"
    out = tmp_path / "one"
    rc = _cli(["analyze", "--traj", str(pdb), "--top", str(pdb), "-o", str(out),
               "--what", "exchange", "--no-plots"])
    assert rc == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["frames"]["time_source"] == "single frame"
    assert s["frames"]["n_frames"] == 1 and s["analyses"]["exchange"]
