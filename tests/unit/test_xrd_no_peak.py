"""I111/I200 is no number when the (200) band has no peak above its background (a
shoulder): NaN, not the ~1e16 that a rounding-level amplitude would give."""

from __future__ import annotations

import math

from omm_cx.analysis.xrd.debye import Peak, peaks_table


def _peak(hkl, amplitude, area):
    return Peak(hkl, 2.0, 2.0, 2.0, area, (1.9, 2.1), amplitude, 0.05)


def test_ratio_of_a_band_without_peak_is_nan_and_of_a_real_peak_a_number():
    table = peaks_table({"111": _peak((1, 1, 1), 10.0, 5.0), "200": _peak((2, 0, 0), 3e-16, 1e-17)})
    assert math.isnan(table["I111_over_I200_amplitude"]) and math.isnan(table["I111_over_I200_area"])
    table = peaks_table({"111": _peak((1, 1, 1), 10.0, 5.0), "200": _peak((2, 0, 0), 2.0, 1.0)})
    assert table["I111_over_I200"] == 5.0 and table["I111_over_I200_area"] == 5.0
