"""Relaxed fitting of Buckingham parameters to crystal data (as GULP does).

    omm-cx fit FIT.yaml -o forcefields/NAME.yaml

A fit file (:mod:`.spec`) names a template force field, the free pair parameters (A,
rho, C; fitted as ln A, rho, C within bounds), and weighted targets, each with its
source: lattice constants and wurtzite u, bulk moduli and elastic constants, lattice and
relative phase energies (values or bounds) of the phases in
:data:`omm_cx.crystals.ALL_PHASES`. Every evaluation relaxes the target phases before
comparing (:mod:`.objective`); :func:`run_fit` minimizes the weighted squared residuals
with scipy's least_squares from the fixed start values (:mod:`.fit`) and
:meth:`FitResult.write` writes a parameter file whose ``provenance`` records targets,
start values, achieved values, residuals and the optimizer's report.
See docs/fitting.md.
"""

from omm_cx._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "FitResult": "fit",
    "evaluate": "fit",
    "run_fit": "fit",
    "Evaluation": "objective",
    "Objective": "objective",
    "forcefield_with": "objective",
    "comparison_table": "report",
    "FitError": "spec",
    "FitSpec": "spec",
    "FreeParameter": "spec",
    "load_fit_spec": "spec",
    "PROPERTIES": "targets",
    "Target": "targets",
})
