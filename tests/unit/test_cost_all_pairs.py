"""The cost model of an isolated particle summed over all pairs grows as N^2 (000's
dumbbells), not as N, with one coefficient per vacuum_method."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from omm_cx.studies.cost import cpu_seconds, vacuum_method


def test_all_pairs_cost_is_quadratic_and_picked_by_the_recipe():
    linear = cpu_seconds(12124, 20.0, 2.0)
    native = cpu_seconds(12124, 20.0, 2.0, "short-range-cutoff")
    every_term = cpu_seconds(12124, 20.0, 2.0, "all-pairs")
    assert linear == pytest.approx(10000 * 1.8e-3 * 12124 / 1000)
    assert native == pytest.approx(10000 * 4.6e-7 * 12124 ** 2 / 1000) and native > 1.5 * linear
    assert every_term > 100 * native  # OpenMM over all pairs for every term
    assert cpu_seconds(2000, 20.0, 2.0, "short-range-cutoff") \
        / cpu_seconds(1000, 20.0, 2.0, "short-range-cutoff") == pytest.approx(4.0)
    assert vacuum_method(SimpleNamespace(recipe={"vacuum_method": "short-range-cutoff"})) \
        == "short-range-cutoff"
    assert vacuum_method(SimpleNamespace(recipe={"vacuum_method": "all-pairs"})) == "all-pairs"
    assert vacuum_method(SimpleNamespace(recipe={"box_nm": 4.0, "vacuum_method": "all-pairs"})) is None
    assert vacuum_method(SimpleNamespace(recipe={"vacuum_padding_nm": 2.0})) is None
    assert vacuum_method(SimpleNamespace(recipe=None)) is None
