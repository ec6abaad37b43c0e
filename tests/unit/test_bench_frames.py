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
