"""The cost model of an isolated particle summed over all pairs grows as N^2 (000's
dumbbells), not as N: 12,124 atoms x 10,000 steps is hours, not minutes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from omm_cx.studies.cost import _all_pairs, cpu_seconds


def test_all_pairs_cost_is_quadratic_and_picked_by_the_recipe():
    linear = cpu_seconds(12124, 20.0, 2.0)
    quadratic = cpu_seconds(12124, 20.0, 2.0, all_pairs=True)
    assert linear == pytest.approx(10000 * 1.8e-3 * 12124 / 1000)
    assert quadratic == pytest.approx(10000 * 5.4e-6 * 12124 ** 2 / 1000) and quadratic > 30 * linear
    assert cpu_seconds(2000, 20.0, 2.0, all_pairs=True) / cpu_seconds(1000, 20.0, 2.0, all_pairs=True) \
        == pytest.approx(4.0)
    assert _all_pairs(SimpleNamespace(recipe={"vacuum_method": "short-range-cutoff"}))
    assert not _all_pairs(SimpleNamespace(recipe={"box_nm": 4.0, "vacuum_method": "all-pairs"}))
    assert not _all_pairs(SimpleNamespace(recipe={"vacuum_padding_nm": 2.0}))
    assert not _all_pairs(SimpleNamespace(recipe=None))
