"""Unit conversions: the one place where omm_cx converts between unit systems.

Parameter files and user-facing results use the units of the papers: energies in eV,
lengths in Å, charges in e, masses in g/mol. OpenMM works in kJ/mol, nm and ps.
Names of module-level functions and constants say which way they convert.
"""

from __future__ import annotations

#: 1 eV in kJ/mol (CODATA).
KJ_PER_MOL_PER_EV = 96.4853321
#: e^2 / (4 pi eps0) in eV Å.
COULOMB_EV_ANGSTROM = 14.3996454
#: e^2 / (4 pi eps0) in kJ/mol nm, OpenMM's ONE_4PI_EPS0.
COULOMB_KJMOL_NM = 138.935458
#: 1 Å in nm.
NM_PER_ANGSTROM = 0.1
#: 1 eV/Å^3 in GPa.
GPA_PER_EV_PER_A3 = 160.21766208

#: Energy units accepted in parameter files, expressed in eV.
ENERGY_UNITS_IN_EV = {
    "eV": 1.0,
    "meV": 1.0e-3,
    "kJ/mol": 1.0 / KJ_PER_MOL_PER_EV,
    "kcal/mol": 4.184 / KJ_PER_MOL_PER_EV,
}
#: Length units accepted in parameter files, expressed in Å.
LENGTH_UNITS_IN_ANGSTROM = {"angstrom": 1.0, "Å": 1.0, "A": 1.0, "nm": 10.0}


def ev_to_kjmol(energy_ev):
    """eV -> kJ/mol (works on floats and numpy arrays)."""
    return energy_ev * KJ_PER_MOL_PER_EV


def kjmol_to_ev(energy_kjmol):
    """kJ/mol -> eV."""
    return energy_kjmol / KJ_PER_MOL_PER_EV


def angstrom_to_nm(length_a):
    """Å -> nm."""
    return length_a * NM_PER_ANGSTROM


def nm_to_angstrom(length_nm):
    """nm -> Å."""
    return length_nm / NM_PER_ANGSTROM


def force_kjmol_nm_to_ev_angstrom(force):
    """kJ/(mol nm) -> eV/Å."""
    return force / KJ_PER_MOL_PER_EV * NM_PER_ANGSTROM


def ev_per_a3_to_gpa(pressure):
    """eV/Å^3 -> GPa."""
    return pressure * GPA_PER_EV_PER_A3


# --- MD run settings (omm_cx.simulation) ---------------------------------------------
#: 1 GPa in bar (OpenMM barostats take bar).
BAR_PER_GPA = 1.0e4
#: 1 ps in fs.
FS_PER_PS = 1000.0
#: 1 ns in ps.
PS_PER_NS = 1000.0


def gpa_to_bar(pressure_gpa):
    """GPa -> bar."""
    return pressure_gpa * BAR_PER_GPA


def fs_to_ps(time_fs):
    """fs -> ps."""
    return time_fs / FS_PER_PS


def ns_to_ps(time_ns):
    """ns -> ps."""
    return time_ns * PS_PER_NS


def ps_to_ns(time_ps):
    """ps -> ns."""
    return time_ps / PS_PER_NS


def ev_per_angstrom_to_kjmol_nm(force):
    """eV/Å -> kJ/(mol nm)."""
    return force * KJ_PER_MOL_PER_EV / NM_PER_ANGSTROM


# ---- analysis (omm_cx.analysis) ----
#: The AKMA time unit in ps, as OpenMM's DCDFile writes the time step into DCD headers.
PS_PER_AKMA_TIME = 0.04888821
#: Boltzmann constant in eV/K (CODATA 2018, exact).
BOLTZMANN_EV_PER_K = 8.617333262e-5
#: 1 Å^2/ps in cm^2/s.
CM2_PER_S_PER_A2_PER_PS = 1.0e-4
#: 1 Å^3 in nm^3.
NM3_PER_A3 = 1.0e-3


def a2_per_ps_to_cm2_per_s(d):
    """Diffusion coefficient Å^2/ps -> cm^2/s."""
    return d * CM2_PER_S_PER_A2_PER_PS


def a3_to_nm3(volume_a3):
    """Å^3 -> nm^3."""
    return volume_a3 * NM3_PER_A3
