"""The optional long-range correction of the short-range terms beyond the cutoff equals
the homogeneous-fluid tail 2 pi / V sum_ab n_ab int_rc^inf r^2 u_ab(r) dr (n_ab: ordered
pair counts, N_a (N_a - 1) for equal species); it is off by default."""

import numpy as np
import pytest
from scipy.integrate import quad

from omm_cx.energy.single_point import single_point
from omm_cx.forcefield import load_forcefield
from structures import rocksalt


def test_dispersion_correction_matches_analytic_tail():
    ff = load_forcefield("pbcdse")
    s = rocksalt(6.09, 4, "Pb", "Se")
    off = single_point(ff, s)
    on = single_point(ff, s, dispersion_correction=True)
    assert on.coulomb_eV == off.coulomb_eV
    n = 256
    vol = np.linalg.det(s.box_A)

    def tail(a, b):
        return quad(lambda r: r * r * ff.pair(a, b).energy_eV(r), ff.cutoff_A, np.inf,
                    epsabs=1e-14)[0]

    expected = 2 * np.pi / vol * (2 * n * n * tail("Pb", "Se") + n * (n - 1) * tail("Se", "Se"))
    # OpenMM integrates the tail numerically: seen 1.4e-4 relative; N^2 counting would be 1e-3 off.
    assert on.short_range_eV - off.short_range_eV == pytest.approx(expected, rel=5e-4)
    assert expected < -1.0  # about -3 eV for 512 ions: not negligible for lattice energies
