"""Adding an analysis is one module and one registry line: a toy analysis, written in a
file of its own and registered by one line, runs through `omm-cx analyze` with its own
setting (--set), its summary keys, its printout line and --describe, with nothing else
changed."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from omm_cx.analysis.registry import ANALYSES
from omm_cx.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
STRUCTURE = ROOT / "tests" / "data" / "pbse_melt.pdb"

TOY = textwrap.dedent('''
    from dataclasses import dataclass

    from omm_cx.analysis.base import Analysis, AnalysisOutput


    @dataclass(frozen=True)
    class ToyOptions:
        threshold_A: float = 1.0


    class ToyAnalysis(Analysis):
        """Counts frames and atoms farther than threshold_A from the origin."""

        name = "toy"
        Options = ToyOptions
        summary_keys = {"n_frames": "frames seen", "n_far": "atoms beyond threshold_A",
                        "threshold_A": "the threshold, Å"}

        def prepare(self, ctx):
            super().prepare(ctx)
            self.n, self.far = 0, 0

        def add(self, frame, membership):
            self.n += 1
            self.far = int(((frame.xyz_A ** 2).sum(axis=1) > self.options.threshold_A ** 2).sum())

        def finish(self):
            s = {"n_frames": self.n, "n_far": self.far, "threshold_A": self.options.threshold_A}
            return AnalysisOutput(s, tables={"toy.csv": {"n_far": [self.far]}})
''')


@pytest.fixture
def toy(tmp_path, monkeypatch):
    (tmp_path / "toy_analysis.py").write_text(TOY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(ANALYSES, "toy", "toy_analysis:ToyAnalysis")  # the one registry line


def test_a_toy_analysis_runs_through_the_registry_line_only(toy, tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(["analyze", "--traj", str(STRUCTURE), "--top", str(STRUCTURE), "-o", str(out),
               "--what", "toy", "--set", "toy.threshold_A=1e9", "--no-plots"])
    assert rc == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["analyses"]["toy"] == {"n_frames": 1, "n_far": 0, "threshold_A": 1e9}
    assert (out / "toy.csv").is_file()
    assert "  toy: n_frames 1, n_far 0, threshold_A 1e+09" in capsys.readouterr().out
    rc = main(["analyze", "--traj", str(STRUCTURE), "--top", str(STRUCTURE), "-o", str(out),
               "--what", "toy", "--no-plots"])  # the default setting: every atom is beyond 1 Å
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["analyses"]["toy"]["n_far"] > 100


def test_describe_and_bad_settings_know_the_toy(toy, tmp_path, capsys):
    assert main(["analyze", "--describe"]) == 0
    text = capsys.readouterr().out
    assert "toy (opt-in): Counts frames" in text and "--set toy.threshold_A=1.0" in text
    assert "summary:toy.n_far  atoms beyond threshold_A" in text
    rc = main(["analyze", "--traj", str(STRUCTURE), "--top", str(STRUCTURE), "-o",
               str(tmp_path / "o"), "--what", "toy", "--set", "toy.nope=1"])
    err = capsys.readouterr().err
    assert rc == 2 and "toy: unknown setting nope; its settings: threshold_A" in err
