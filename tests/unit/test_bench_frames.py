"""Force errors over several frames (omm_cx.bench.results): frames_of pairs positions with
reference forces, worst_rms takes the worst frame's RMS error."""

from __future__ import annotations

import numpy as np
import pytest

from omm_cx.bench.results import frames_of, worst_rms


def test_one_frame_and_several():
    pos = np.zeros((4, 3))
    ref = np.ones((4, 3))
    frames, refs = frames_of(pos, ref)
    assert len(frames) == len(refs) == 1
    frames, refs = frames_of(np.stack([pos, pos + 1]), np.stack([ref, ref]))
    assert len(frames) == 2 and np.allclose(frames[1], 1.0)
    with pytest.raises(ValueError, match="matching"):
        frames_of(np.stack([pos, pos]), ref)


def test_worst_rms_is_the_largest_frame_error():
    ref = np.zeros((2, 5, 3))
    pos = np.stack([np.zeros((5, 3)), np.ones((5, 3))])
    # forces equal to the positions: frame 0 exact, frame 1 off by (1, 1, 1) per atom
    assert worst_rms(lambda p: p, pos, ref) == pytest.approx(np.sqrt(3.0))
    assert worst_rms(lambda p: p, pos[0], ref[0]) == 0.0


def test_interleave_times_round_robin_and_reports_the_median():
    """Three rows timed twice more each, A B C A B C, the median taken; a row not timed
    (NaN, e.g. short of the target) is left alone."""
    from omm_cx.bench.results import EngineResult, interleave

    order = []

    def row(name, first, later):
        times = iter(later)

        def retime():
            order.append(name)
            return next(times)

        return EngineResult("e", name, "double", 10, 2, "s", 1e-5, first, 1.0, retime=retime)

    a, b, c = row("A", 10.0, [12.0, 11.0]), row("B", 5.0, [4.0, 9.0]), row("C", 7.0, [7.0, 7.0])
    untimed = EngineResult("e", "D", "double", 10, 2, "s", 1e-3, float("nan"), float("nan"),
                           retime=lambda: pytest.fail("an untimed row was timed"))
    interleave([a, b, untimed, c], repeats=3, log=lambda *_: None)
    assert order == ["A", "B", "C", "A", "B", "C"]
    assert a.ms_per_step_repeats == [10.0, 12.0, 11.0] and a.ms_per_step == 11.0
    assert b.ms_per_step == 5.0 and c.ms_per_step == 7.0
    assert a.ns_per_day == pytest.approx(0.002 * 86400 / 11.0)
    assert "retime" not in a.record() and a.record()["ms_per_step_repeats"] == [10.0, 12.0, 11.0]
