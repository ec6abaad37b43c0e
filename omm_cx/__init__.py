"""omm_cx: OpenMM simulations of cation exchange in colloidal semiconductor nanocrystals.

The pipeline in five calls (each the function behind an ``omm-cx`` command)::

    import omm_cx
    omm_cx.build("pbse-nc-cd-psl").write("out/build")       # omm-cx build
    omm_cx.run("examples/quick.yaml", "out/run")            # omm-cx run
    omm_cx.analyze("out/run")                               # omm-cx analyze
    omm_cx.study("004-liquid-gr", "out/liq", "small")       # omm-cx study run
    omm_cx.report("out/liq")                                # omm-cx study report

and the readers of what they write: :func:`read_build_record`, :func:`read_run_record`,
:func:`read_summary`, :func:`load_study`, :func:`load_forcefield`, :func:`load_config`.
Stages (data flows one way): forcefield -> crystals / lattice_statics -> systems ->
energy -> simulation -> analysis -> studies (docs/architecture.md). Importing this
package imports nothing heavy (no OpenMM); each subpackage exports its names the same
lazy way (:mod:`omm_cx._lazy`).
"""

from omm_cx._lazy import lazy_exports

__version__ = "0.1.0"

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "build": "systems.recipes:build_recipe",
    "run": "simulation.runner:run",
    "analyze": "analysis.driver:analyze_run_dir",
    "study": "studies.execute:run_study",
    "report": "studies.report:write_report",
    "read_build_record": "systems.record",
    "read_run_record": "simulation.record",
    "read_summary": "analysis.record",
    "load_study": "studies.spec",
    "load_forcefield": "forcefield.params",
    "load_config": "simulation.config",
})
__all__ = ["__version__", *__all__]
