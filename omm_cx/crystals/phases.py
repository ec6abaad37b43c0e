"""Published phases of the papers' compounds and the phases omm_cx fits to.

:data:`PHASES` names the published phases ``"<compound>-<structure>"`` (a :class:`Phase`:
structure, species per role, and the published lattice-statics, experimental and DFT
values with their source), :data:`TRANSITIONS` the published transition pressures.
:data:`SULFIDE_PHASES` holds the Pb-Cd-S phases that omm_cx fits its own sulfide
parameters to (``published`` = the experimental fit targets, see its docstring);
:data:`ALL_PHASES` both registries, and :func:`get_phase` finds a phase in either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from omm_cx.crystals.structures import (ANTIFLUORITE, CESIUMCHLORIDE, HONEYCOMB, ROCKSALT,
                                        WURTZITE, ZINCBLENDE, CrystalCell, CrystalStructure)

# ---------------------------------------------------------------------- published phases
_S8 = "Yalcin et al., Nano Lett. 2014, Supporting Information [yalcin2014], Table S8 (CdSe)"
_S9 = "Yalcin et al., Nano Lett. 2014, Supporting Information [yalcin2014], Table S9 (PbSe)"


@dataclass(frozen=True)
class Phase:
    """A published phase of a compound.

    ``published``: lattice-statics (LS) values of the paper's force field (the "PCRIM"
    column) with keys ``a_A``, ``c_A``, ``u``, ``E_latt_eV`` (eV per formula unit),
    ``dE_eV`` (eV per formula unit relative to :attr:`reference`, the compound's lowest
    phase), ``B_GPa`` and ``cij_GPa`` (Voigt, GPa), each only where the paper gives it.
    ``experimental`` and ``dft`` use the same keys (``dft`` adds the volume-normalized
    lattice parameters ``a_A_normalized``/``c_A_normalized``); ``md_300K`` holds the
    300 K MD lattice parameters of the same force field.
    """

    name: str
    compound: str
    structure: CrystalStructure
    species: Mapping[str, str]
    reference: str
    source: str
    published: Mapping
    experimental: Mapping = field(default_factory=dict)
    dft: Mapping = field(default_factory=dict)
    md_300K: Mapping = field(default_factory=dict)
    notes: str = ""
    #: Starting lattice parameters for relaxations (``a``, ``c``, ``u``); where empty, the
    #: published values are used (:meth:`initial_params`).
    initial: Mapping = field(default_factory=dict)

    def cell(self, params: Mapping[str, float] | None = None, **kw) -> CrystalCell:
        """:meth:`CrystalStructure.cell` of this phase with ``params`` (``a``, ``c``,
        ``u``; default: the published LS values); keywords as there."""
        p = dict(self.initial_params() if params is None else params)
        return self.structure.cell(self.species, p.get("a"), p.get("c"), p.get("u"), **kw)

    def initial_params(self) -> dict[str, float]:
        """Starting point for relaxation: :attr:`initial` where given, else the published
        LS lattice parameters (Å) and u."""
        keys = {"a": "a_A", "c": "c_A", "u": "u"}
        return {p: float(self.initial[p]) if p in self.initial else float(self.published[keys[p]])
                for p in self.structure.parameters}


def _phase(compound, structure, cation, reference, source, published, **kw) -> Phase:
    return Phase(f"{compound}-{structure.name}", compound, structure,
                 {"cation": cation, "anion": "Se"}, reference, source, published, **kw)


_DE_NOTE_S8 = "Table S8 gives dE relative to WZ-CdSe (labelled dE_X-WZ)."
_DE_NOTE_S9 = ("Table S9 labels dE as 'X-WZ', but the reference is evidently RS-PbSe, the "
               "lowest PbSe phase (PbSe has no wurtzite entry).")

#: Published phases by name ``"<compound>-<structure>"``.
PHASES: dict[str, Phase] = {p.name: p for p in (
    _phase("CdSe", WURTZITE, "Cd", "CdSe-wurtzite", _S8,
           {"a_A": 4.32, "c_A": 6.94, "u": 0.379, "E_latt_eV": -6.026, "dE_eV": 0.0,
            "B_GPa": 53.1,
            "cij_GPa": {"c11": 72.4, "c12": 47.9, "c13": 41.4, "c33": 72.5, "c44": 12.3,
                        "c66": 12.2}},
           experimental={"a_A": 4.30, "c_A": 7.01, "u": 0.376, "B_GPa": 53.1,
                         "cij_GPa": {"c11": 74.1, "c12": 45.2, "c13": 39.0, "c33": 84.3,
                                     "c44": 13.4, "c66": 14.5}},
           dft={"a_A": 4.39, "c_A": 7.17, "u": 0.375, "B_GPa": 60.0,
                "cij_GPa": {"c11": 80.0, "c12": 47.0, "c13": 40.0, "c33": 92.0, "c44": 15.0,
                            "c66": 17.0}},
           md_300K={"a_A": 4.36, "c_A": 7.00},
           notes="reference phase of CdSe (dE = 0 by definition)"),
    _phase("CdSe", ZINCBLENDE, "Cd", "CdSe-wurtzite", _S8,
           {"a_A": 6.08, "dE_eV": 0.014, "B_GPa": 53.1,
            "cij_GPa": {"c11": 61.6, "c12": 48.8, "c44": 20.3}},
           experimental={"a_A": 6.08, "B_GPa": 53.1,
                         "cij_GPa": {"c11": 66.7, "c12": 46.3, "c44": 22.3}},
           dft={"a_A": 6.21, "a_A_normalized": 6.08, "dE_eV": -0.002, "B_GPa": 65.1,
                "cij_GPa": {"c11": 88.1, "c12": 53.6, "c44": 27.4}},
           notes=_DE_NOTE_S8),
    _phase("CdSe", ROCKSALT, "Cd", "CdSe-wurtzite", _S8,
           {"a_A": 5.63, "dE_eV": 0.291},
           dft={"a_A": 5.75, "a_A_normalized": 5.63, "dE_eV": 0.290}, notes=_DE_NOTE_S8),
    _phase("CdSe", HONEYCOMB, "Cd", "CdSe-wurtzite", _S8,
           {"a_A": 4.57, "c_A": 5.63, "dE_eV": 0.149},
           dft={"a_A": 4.66, "c_A": 6.07, "a_A_normalized": 4.56, "c_A_normalized": 5.94,
                "dE_eV": 0.211}, notes=_DE_NOTE_S8),
    _phase("PbSe", ROCKSALT, "Pb", "PbSe-rocksalt", _S9,
           {"a_A": 6.09, "E_latt_eV": -6.079, "dE_eV": 0.0, "B_GPa": 54.3,
            "cij_GPa": {"c11": 129.9, "c12": 16.5, "c44": 16.5}},
           experimental={"a_A": 6.12, "B_GPa": 54.1,
                         "cij_GPa": {"c11": 123.7, "c12": 19.3, "c44": 15.9}},
           dft={"a_A": 6.21, "B_GPa": 49.2, "cij_GPa": {"c11": 123.6, "c12": 12.2, "c44": 17.6}},
           md_300K={"a_A": 6.13},
           notes="reference phase of PbSe (dE = 0 by definition)"),
    _phase("PbSe", CESIUMCHLORIDE, "Pb", "PbSe-rocksalt", _S9,
           {"a_A": 3.71, "dE_eV": 0.528},
           dft={"a_A": 3.77, "a_A_normalized": 3.72, "dE_eV": 0.478}, notes=_DE_NOTE_S9),
    _phase("PbSe", ZINCBLENDE, "Pb", "PbSe-rocksalt", _S9,
           {"a_A": 6.84, "dE_eV": 0.381},
           dft={"a_A": 6.89, "a_A_normalized": 6.80, "dE_eV": 0.374}, notes=_DE_NOTE_S9),
    _phase("PbSe", HONEYCOMB, "Pb", "PbSe-rocksalt", _S9,
           {"a_A": 5.18, "c_A": 6.05, "dE_eV": 0.397},
           dft={"a_A": 5.21, "c_A": 6.23, "a_A_normalized": 5.14, "c_A_normalized": 6.15,
                "dE_eV": 0.320}, notes=_DE_NOTE_S9),
)}

#: Published transition pressures (GPa): (low-pressure phase, high-pressure phase) ->
#: {"published" (LS), "experimental", "dft", "source"}.
TRANSITIONS: dict[tuple[str, str], dict] = {
    ("CdSe-wurtzite", "CdSe-rocksalt"): {"published": 4.1, "experimental": 3.0, "dft": 2.2,
                                         "source": _S8},
    ("PbSe-rocksalt", "PbSe-cesiumchloride"): {"published": 15.6, "experimental": 16.0,
                                               "dft": 18.8, "source": _S9},
}


# ------------------------------------------------------------------ sulfide phases
# Experimental data that omm_cx fits its Pb-Cd-S parameters to (forcefields/
# pbcds-omm_cx.yaml, examples/fit-pbcds-omm_cx.yaml). Each number carries its source.
_SRC_PBS_A = ("rocksalt PbS a = 5.9362 Å: R. W. G. Wyckoff, Crystal Structures, 2nd ed. "
              "(Interscience, New York, 1963), Crystallography Open Database entry 9008694 "
              "(as used in NCrystal's PbS_sg225_LeadSulfide.ncmat); 002 (Nelson et al.) "
              "quotes 5.94 Å")
_SRC_PBS_B = ("cubic PbS K0T = 60.0 +/- 0.5 GPa (300 K, in-situ time-of-flight neutron powder "
              "diffraction, Birch-Murnaghan fit with K0' fixed to 4.2): 'New exploration on "
              "phase transition and structure of PbS under high pressure and temperature', "
              "abstract (https://discovery.researcher.life/article/new-exploration-on-phase-"
              "transition-and-structure-of-pbs-under-high-pressure-and-temperature/"
              "19741434ac9038379e984d4fcae17a2e); authors and journal not confirmed by omm_cx")
_SRC_CDS_A = ("experimental column of Table 1 of 'Revisiting the Zinc-Blende/Wurtzite "
              "Heterocrystalline Structure in CdS', Adv. Condens. Matter Phys. 2014, 361328 "
              "(their ref. 22): zinc blende a = 5.818 Å, wurtzite a = 4.136 Å, c = 6.714 Å; "
              "002 (Nelson et al.) quotes zb-CdS 5.81 Å")
_SRC_CDS_CIJ = ("wurtzite CdS elastic stiffnesses c11 = 90.7, c33 = 93.8, c44 = 15.04, "
                "c12 = 58.1, c13 = 51.0 GPa: B. A. Auld, Acoustic Fields and Waves in Solids "
                "(Wiley, 1973), vol. 1, appendix 2 (as transcribed in NumBAT's "
                "CdS_1973_Auld.json); elastic and piezoelectric constants of CdS were measured "
                "by Berlincourt, Jaffe and Shiozawa, Phys. Rev. 129, 1009 (1963). c66 = "
                "(c11 - c12)/2 = 16.3 GPa by hexagonal symmetry; B = 66.1 GPa is the Reuss "
                "average of these c_ij (derived by omm_cx)")
_SRC_ORDER = ("phase ordering: PbS is rocksalt at ambient conditions (Wyckoff 1963), CsCl "
              "type only at high pressure (Adeleke & Yao, J. Chem. Phys. 2018, B1-B2 "
              "transition of PbS); CdS: wurtzite stable at ambient conditions, zinc blende "
              "metastable but found in experiments, rocksalt the high-pressure phase (Xiao et "
              "al., Phys. Chem. Chem. Phys. 16, 14899 (2014); Kabalkina & Troitskaya 1963)")
_SULFIDE_NOTE = ("omm_cx fit target phase: 'published' holds the experimental values omm_cx "
                 "fits to (no published lattice statics exist for a Pb-Cd-S set in this model "
                 "in our papers); 'initial' is only a starting point for relaxations (the "
                 "experimental values where known, else the selenide LS values of 000 scaled "
                 "by the sulfide/selenide lattice-constant ratio of the observed phases).")


def _sulfide(compound, structure, cation, reference, source, published, initial, **kw) -> Phase:
    return Phase(f"{compound}-{structure.name}", compound, structure,
                 {"cation": cation, "anion": "S"}, reference, source, published,
                 initial=initial, notes=kw.pop("notes", _SULFIDE_NOTE), **kw)


#: Scale factors of the starting geometries (sulfide/selenide lattice constants of the
#: observed phases: PbS/PbSe rocksalt, CdS/CdSe wurtzite a).
_K_PB = 5.9362 / 6.12
_K_CD = 4.136 / 4.30

#: Pb-Cd-S phases omm_cx fits its own sulfide parameters to: ``published`` and
#: ``experimental`` hold the experimental fit targets (a_A, c_A, B_GPa, cij_GPa; Å, GPa),
#: ``source`` says where each number comes from. Kept apart from :data:`PHASES` (the
#: phases of the published Pb-Cd-Se lattice statics) so that the selenide validation is
#: unchanged; :data:`ALL_PHASES` holds both.
SULFIDE_PHASES: dict[str, Phase] = {p.name: p for p in (
    _sulfide("PbS", ROCKSALT, "Pb", "PbS-rocksalt", f"{_SRC_PBS_A}; {_SRC_PBS_B}",
             {"a_A": 5.9362, "B_GPa": 60.0},
             {"a": 5.9362},
             experimental={"a_A": 5.9362, "B_GPa": 60.0}),
    _sulfide("PbS", CESIUMCHLORIDE, "Pb", "PbS-rocksalt", _SRC_ORDER, {},
             {"a": round(3.71 * _K_PB, 3)}),
    _sulfide("PbS", ZINCBLENDE, "Pb", "PbS-rocksalt", _SRC_ORDER, {},
             {"a": round(6.84 * _K_PB, 3)}),
    _sulfide("PbS", HONEYCOMB, "Pb", "PbS-rocksalt", _SRC_ORDER, {},
             {"a": round(5.18 * _K_PB, 3), "c": round(6.05 * _K_PB, 3)}),
    _sulfide("CdS", WURTZITE, "Cd", "CdS-wurtzite", f"{_SRC_CDS_A}; {_SRC_CDS_CIJ}",
             {"a_A": 4.136, "c_A": 6.714, "B_GPa": 66.1,
              "cij_GPa": {"c11": 90.7, "c12": 58.1, "c13": 51.0, "c33": 93.8, "c44": 15.04,
                          "c66": 16.3}},
             {"a": 4.136, "c": 6.714, "u": 0.376},
             experimental={"a_A": 4.136, "c_A": 6.714, "B_GPa": 66.1,
                           "cij_GPa": {"c11": 90.7, "c12": 58.1, "c13": 51.0, "c33": 93.8,
                                       "c44": 15.04, "c66": 16.3}}),
    _sulfide("CdS", ZINCBLENDE, "Cd", "CdS-wurtzite", f"{_SRC_CDS_A}; {_SRC_ORDER}",
             {"a_A": 5.818}, {"a": 5.818}, experimental={"a_A": 5.818}),
    _sulfide("CdS", ROCKSALT, "Cd", "CdS-wurtzite", _SRC_ORDER, {},
             {"a": round(5.63 * _K_CD, 3)}),
    _sulfide("CdS", HONEYCOMB, "Cd", "CdS-wurtzite", _SRC_ORDER, {},
             {"a": round(4.57 * _K_CD, 3), "c": round(5.88 * _K_CD, 3)}),
)}

#: Every phase omm_cx knows: :data:`PHASES` (published Pb-Cd-Se) and :data:`SULFIDE_PHASES`.
ALL_PHASES: dict[str, Phase] = {**PHASES, **SULFIDE_PHASES}

# ------------------------------------------------------- 003 (LJ + Coulomb CdSe with Cu)
_T4 = ("Casu et al., ACS Nano 2023 [casu2023], Table 4: "
       "'reported FF value' column (the paper does not say whether these are 0 K lattice "
       "statics or finite-temperature averages)")
_T4_NOTE = ("003 Table 4 columns: published experimental, published DFT, 003's own DFT "
            "('reported DFT value', stored as dft) and 003's FF ('reported FF value', stored "
            "as published).")

#: Phases with the values 003 reports for its own force field (``cdse-cu-lj``):
#: ``published`` = 003's FF column, ``dft`` = 003's own DFT column, ``experimental`` =
#: the experimental column. Kept apart from :data:`PHASES`: these are other numbers for
#: a phase of the same name, and they belong to another force field.
LJ003_PHASES: dict[str, Phase] = {p.name: p for p in (
    Phase("CdSe-wurtzite", "CdSe", WURTZITE, {"cation": "Cd", "anion": "Se"}, "CdSe-wurtzite",
          _T4, {"a_A": 4.39, "c_A": 7.02, "u": 0.40},
          experimental={"a_A": 4.30, "c_A": 7.01}, dft={"a_A": 4.33, "c_A": 6.87, "u": 0.385},
          notes=_T4_NOTE),
    Phase("Cu2Se-antifluorite", "Cu2Se", ANTIFLUORITE, {"cation": "Cu", "anion": "Se"},
          "Cu2Se-antifluorite", _T4, {"a_A": 5.666},
          experimental={"a_A": 5.859}, dft={"a_A": 5.603},
          notes=_T4_NOTE + " 003 also reports a cell angle of 90.07 degrees for Cu2Se."),
)}

#: The reference values that belong to each shipped force field (by parameter-file name):
#: ``omm-cx validate`` compares a force field only with its own set.
REFERENCE_SETS: dict[str, dict[str, Phase]] = {
    "pbcdse": PHASES,
    "pbcds-omm_cx": SULFIDE_PHASES,
    "cdse-cu-lj": LJ003_PHASES,
}


def get_phase(name: str) -> Phase:
    """Phase by name, e.g. ``"CdSe-wurtzite"`` or ``"PbS-rocksalt"`` (from
    :data:`ALL_PHASES`)."""
    try:
        return ALL_PHASES[name]
    except KeyError:
        raise ValueError(f"unknown phase {name!r}; known: {', '.join(ALL_PHASES)}") from None
