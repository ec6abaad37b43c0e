"""omm_cx: OpenMM simulations of cation exchange in colloidal semiconductor nanocrystals.

Stages (data flows one way): :mod:`omm_cx.forcefield` (parameter files -> OpenMM forces),
:mod:`omm_cx.crystals` and :mod:`omm_cx.lattice_statics` (bulk phases), :mod:`omm_cx.energy.single_point`
(single points). Importing this package does not import OpenMM.
"""

__version__ = "0.1.0"
