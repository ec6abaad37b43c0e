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

# Names are imported on first use (PEP 562), so that ``omm_cx.cli.fit`` (the argument
# parser) can be imported without numpy/scipy.
_EXPORTS = {
    "FitResult": "fit", "evaluate": "fit", "run_fit": "fit",
    "Evaluation": "objective", "Objective": "objective", "forcefield_with": "objective",
    "comparison_table": "report",
    "FitError": "spec", "FitSpec": "spec", "FreeParameter": "spec", "load_fit_spec": "spec",
    "PROPERTIES": "targets", "Target": "targets",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f"omm_cx.fitting.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'omm_cx.fitting' has no attribute {name!r}")
