"""The native kernel refuses a box that became narrower than twice its cutoff across any
face during a run (a barostat's move; omm_cx checks the box it builds with, and OpenMM
checks only a_x, b_y, c_z, which a skewed triclinic box passes)."""

from __future__ import annotations

import numpy as np
import pytest

mm = pytest.importorskip("openmm")
native = pytest.importorskip("omm_cx.forcefield.native")

from omm_cx import units  # noqa: E402
from omm_cx.errors import NativeUnavailable  # noqa: E402
from omm_cx.forcefield import load_forcefield  # noqa: E402
from omm_cx.forcefield.openmm_forces import create_system  # noqa: E402


def _energy(box_A):
    """Energy after the box of a system built in a 25 Å cube became ``box_A``."""
    ff = load_forcefield("pbcdse")
    species = ["Pb", "Se"] * 4
    frac = np.random.default_rng(1).uniform(0, 1, (8, 3))
    try:
        system = create_system(ff, species, np.diag([25.0, 25.0, 25.0]), encoding="native")
    except NativeUnavailable as exc:
        pytest.skip(str(exc))
    ctx = mm.Context(system, mm.VerletIntegrator(1e-3), mm.Platform.getPlatformByName("CPU"))
    ctx.setPeriodicBoxVectors(*(mm.Vec3(*row) for row in units.angstrom_to_nm(box_A)))
    ctx.setPositions(units.angstrom_to_nm(frac @ box_A))
    return ctx.getState(getEnergy=True).getPotentialEnergy()


def test_a_box_narrower_than_twice_the_cutoff_across_a_face_is_refused():
    # a_x = b_y = c_z = 25 Å (>= 2 x 12 Å), but the width across the b-c face is 22.4 Å
    skewed = np.array([[25.0, 0, 0], [12.5, 25.0, 0], [0, 0, 25.0]])
    with pytest.raises(Exception, match="OmmCxPairTableForce: the periodic box .* less than twice the cutoff"):
        _energy(skewed)
    _energy(np.diag([25.0, 25.0, 25.0]))  # wide enough: no error
