"""Unit conversions: the one place where omm_cx converts between unit systems.

Parameter files and user-facing results use the units of the papers: energies in eV,
lengths in Å, charges in e, masses in g/mol. OpenMM works in kJ/mol, nm and ps.
Names of module-level functions and constants say which way they convert.
"""

from __future__ import annotations

#: 1 eV in kJ/mol (CODATA, as quoted in DOMAIN.md).
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
