"""Debye-equation powder patterns: hand-computed sums, Bragg/kinematic theory for a perfect
rocksalt NC, the trends that 002's core/shell Debye simulations report, eq. 6 and eq. 7
of 002, and the ``omm-cx xrd`` command."""

import json
import subprocess
import sys

import numpy as np
import pytest

from omm_cx.analysis.xrd.debye import (conversion_from_q220, debye_intensity, find_peaks,
                                         fit_sphere_diffusion, peaks_table, q_grid,
                                         sphere_diffusion_conversion)
from omm_cx.analysis.xrd.form_factors import ATOMIC_NUMBER, WAASMAIER_KIRFEL_1995, form_factor
from omm_cx.io.yaml_input import load_yaml
from omm_cx.systems.recipes import build_recipe, resolve_recipe

A_PBS, A_CDS = 5.94, 5.81  # the bulk values 002 quotes


@pytest.mark.parametrize("element", sorted(WAASMAIER_KIRFEL_1995))
def test_form_factor_sum_rule_and_decay(element):
    """f0(0) = Z for a neutral atom: catches a mistyped coefficient (ASE's Cu row fails it)."""
    assert form_factor(element, 0.0) == pytest.approx(ATOMIC_NUMBER[element], abs=0.01)
    f = form_factor(element, np.linspace(0, 8, 200))
    assert np.all(np.diff(f) < 0)


def test_two_and_three_atoms_by_hand():
    q = np.array([0.7, 1.9, 3.3])
    fpb, fs = form_factor("Pb", q), form_factor("S", q)
    r = 2.97
    two = debye_intensity([[0, 0, 0], [r, 0, 0]], ["Pb", "S"], q, bin_width_A=None)
    np.testing.assert_allclose(two, fpb**2 + fs**2 + 2 * fpb * fs * np.sin(q * r) / (q * r), rtol=1e-12)
    # equilateral triangle Pb, Pb, S of side r
    tri = [[0, 0, 0], [r, 0, 0], [r / 2, r * np.sqrt(3) / 2, 0]]
    sinc = np.sin(q * r) / (q * r)
    expect = 2 * fpb**2 + fs**2 + 2 * (fpb * fpb + 2 * fpb * fs) * sinc
    np.testing.assert_allclose(debye_intensity(tri, ["Pb", "Pb", "S"], q, bin_width_A=None),
                               expect, rtol=1e-12)
    np.testing.assert_allclose(debye_intensity(tri, ["Pb", "Pb", "S"], q), expect, rtol=1e-9)


def _nc(diameter_nm=3.0, **nc):
    doc = load_yaml(resolve_recipe("pbs-cds-core-shell-xrd"))
    doc["nanocrystal"].update(diameter_nm=diameter_nm, **nc)
    return build_recipe(doc).structure


def test_histogram_matches_exact_pair_sum():
    s = _nc(2.6)
    q = q_grid(1.0, 4.0, 0.05)
    exact = debye_intensity(s.positions_A, s.species, q, bin_width_A=None)
    binned = debye_intensity(s.positions_A, s.species, q)
    np.testing.assert_allclose(binned, exact, rtol=2e-5)


def test_rocksalt_pbs_matches_bragg_positions_and_kinematic_ratio():
    """Perfect 7 nm PbS: peaks at 2 pi |hkl| / a, and I111/I200 = powder kinematic value
    (m |F|^2 / Q^2 with F111 = 4 (f_Pb - f_S), F200 = 4 (f_Pb + f_S), m = 8, 6)."""
    s = _nc(7.0, exchanged_fraction=0.0)
    assert set(s.species) == {"Pb", "S"}
    q = q_grid(1.5, 3.5, 0.002)
    peaks = find_peaks(q, debye_intensity(s.positions_A, s.species, q), A_PBS)
    for key, p in peaks.items():
        assert p.q_centre_invA == pytest.approx(p.q_nominal_invA, rel=2e-3), key
    q111, q200 = peaks["111"].q_nominal_invA, peaks["200"].q_nominal_invA
    f = {k: {e: form_factor(e, qq) for e in ("Pb", "S")} for k, qq in (("111", q111), ("200", q200))}
    kin = (8 * (f["111"]["Pb"] - f["111"]["S"]) ** 2 / q111**2) / (
        6 * (f["200"]["Pb"] + f["200"]["S"]) ** 2 / q200**2)
    ratio = peaks_table(peaks, ratio="area")["I111_over_I200"]
    assert ratio == pytest.approx(kin, rel=0.05)  # band integration of overlapping tails
    # amplitudes (002's definition): equal widths for a perfect particle, so about the same
    table = peaks_table(peaks)
    assert table["I111_over_I200_definition"] == "amplitude"
    assert table["I111_over_I200"] == pytest.approx(ratio, rel=0.05)
    assert peaks["111"].fwhm_invA == pytest.approx(peaks["200"].fwhm_invA, rel=0.1)
    with pytest.raises(ValueError, match="ratio"):
        peaks_table(peaks, ratio="height")


@pytest.fixture(scope="module")
def core_shell_series():
    """002 Fig. 5 / S5: 7 nm PbS@CdS with growing zb or rs shells (each phase at its bulk a)."""
    q = q_grid(1.5, 3.5, 0.002)
    out = {}
    for structure in ("zincblende", "rocksalt"):
        rows = []
        for X in (0.0, 0.25, 0.5, 0.75, 1.0):
            s = _nc(7.0, exchanged_fraction=X, shell={"cation": "Cd", "structure": structure, "a_A": A_CDS})
            peaks = find_peaks(q, debye_intensity(s.positions_A, s.species, q), A_PBS)
            rows.append((X, peaks, peaks_table(peaks)["I111_over_I200"]))
        out[structure] = rows
    return out


@pytest.mark.slow  # the core_shell_series fixture: ~15 s
def test_zincblende_shell_trends_of_002(core_shell_series):
    """002 Fig. S5 with 002's definition (ratio of fitted amplitudes): the ratio rises with
    the zinc-blende shell (here at X = 0, 0.25, 0.5, 0.75, 1; the full series, with its
    peak at X = 0.9, is in docs/fidelity.md)."""
    rows = core_shell_series["zincblende"]
    ratios = [r for _, _, r in rows]
    assert np.all(np.diff(ratios) > 0)  # "I111/I200 should increase monotonically"
    q200 = [p["200"].q_centre_invA for _, p, _ in rows]
    assert np.all(np.diff(q200[:4]) < 0)  # "(200) only moves to smaller angles"
    q111 = [p["111"].q_centre_invA for _, p, _ in rows]
    assert max(abs(v - q111[0]) for v in q111[:3]) < 0.005  # "(111) does not change position"


@pytest.mark.slow  # the core_shell_series fixture: ~15 s
def test_rocksalt_shell_trends_of_002(core_shell_series):
    rows = core_shell_series["rocksalt"]
    assert np.all(np.diff([r for _, _, r in rows]) < 0)  # I111/I200 decreases
    for key in ("111", "200", "220"):  # "all peaks should shift smoothly to larger angles"
        assert np.all(np.diff([p[key].q_centre_invA for _, p, _ in rows]) > 0), key


@pytest.mark.slow  # the core_shell_series fixture: ~15 s
def test_q220_linear_in_conversion_whatever_the_shell_phase(core_shell_series):
    zb = np.array([p["220"].q_centre_invA for _, p, _ in core_shell_series["zincblende"]])
    rs = np.array([p["220"].q_centre_invA for _, p, _ in core_shell_series["rocksalt"]])
    np.testing.assert_allclose(zb, rs, atol=2e-3)  # "(220) follows the same ... relationship"
    X = np.array([x for x, _, _ in core_shell_series["zincblende"]])
    line = zb[0] + (zb[-1] - zb[0]) * X
    assert np.max(np.abs(zb - line)) < 0.12 * (zb[-1] - zb[0])  # "nearly linear"
    q_pbs, q_cds = (2 * np.pi * np.sqrt(8) / a for a in (A_PBS, A_CDS))
    np.testing.assert_allclose(conversion_from_q220(zb, q_pbs, q_cds), X, atol=0.1)


def test_conversion_endpoints():
    assert conversion_from_q220(2.99, 2.99, 3.06) == pytest.approx(0.0)
    assert conversion_from_q220(3.06, 2.99, 3.06) == pytest.approx(1.0)


def test_sphere_diffusion_limits_and_fit():
    R, D = 3.5, 0.02  # nm, nm^2/s
    assert sphere_diffusion_conversion(0.0, D, R) == pytest.approx(0.0, abs=1e-12)
    # 002's 40-term truncation: exact where it converges, off by 6/pi^2 sum_{n>40} 1/n^2 at t = 0
    assert sphere_diffusion_conversion(0.0, D, R, n_terms=40) == pytest.approx(
        6 / np.pi**2 * (np.pi**2 / 6 - np.sum(1.0 / np.arange(1, 41) ** 2)), rel=1e-9)
    t1 = 2e-3 * R**2 / D
    assert sphere_diffusion_conversion(t1, D, R, n_terms=40) == pytest.approx(
        sphere_diffusion_conversion(t1, D, R), abs=1e-6)
    assert sphere_diffusion_conversion(1e6, D, R) == pytest.approx(1.0, abs=1e-9)
    # Crank's short-time expansion X = 6 sqrt(tau/pi) - 3 tau, tau = D t / R^2
    for tau in (1e-3, 3e-3, 1e-2):
        t = tau * R**2 / D
        assert sphere_diffusion_conversion(t, D, R) == pytest.approx(
            6 * np.sqrt(tau / np.pi) - 3 * tau, abs=2e-4)
    t = np.linspace(0, 600, 40)
    rng = np.random.default_rng(7)
    X = sphere_diffusion_conversion(t, D, R) + rng.normal(0, 0.005, t.size)
    fit = fit_sphere_diffusion(t, X, R)
    assert fit["D"] == pytest.approx(D, rel=0.05)
    assert 0 < fit["D_err"] < 0.05 * D


@pytest.mark.slow  # 5-10 s: kept out of the 3-min inner loop
def test_cli_xrd_on_a_build_dir_and_clear_error_for_ligands(tmp_path):
    exe = [sys.executable, "-m", "omm_cx"]
    b = subprocess.run([*exe, "build", "pbs-cds-core-shell-xrd", "-o", str(tmp_path / "b")],
                       capture_output=True, text=True, timeout=300)
    assert b.returncode == 0, b.stderr
    r = subprocess.run([*exe, "xrd", str(tmp_path / "b"), "-o", str(tmp_path / "x"),
                        "--conversion", "5.94,5.81", "--dq", "0.004"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    summary = json.loads((tmp_path / "x" / "xrd.json").read_text())
    pat = summary["patterns"][0]
    assert pat["n_atoms"] == 6848 and pat["lattice_a_A"] == 5.94
    assert 0.3 < pat["conversion_from_q220"] < 0.7  # built at exchanged_fraction 0.5
    assert (tmp_path / "x" / "xrd.png").stat().st_size > 0
    # a PDB with ligands and no build.json: the error names the species and the fix
    d = subprocess.run([*exe, "build", "cd-psl-liquid", "-o", str(tmp_path / "liq")],
                       capture_output=True, text=True, timeout=300)
    assert d.returncode == 0, d.stderr
    pdb = tmp_path / "liq.pdb"
    pdb.write_text((tmp_path / "liq" / "structure.pdb").read_text())
    e = subprocess.run([*exe, "xrd", str(pdb), "-o", str(tmp_path / "y"), "--a-A", "6"],
                       capture_output=True, text=True, timeout=300)
    assert e.returncode == 2
    assert "PSL" in e.stderr and "form factor" in e.stderr
