"""Energies of fixed structures: single points (:mod:`.single_point`) and straight paths
with the other atoms relaxed (:mod:`.path`)."""

from omm_cx.energy.single_point import SinglePoint, single_point

__all__ = ["SinglePoint", "single_point"]
