"""Workflows over the whole pipeline (build -> run -> analyze): the demo (:mod:`.demo`)
and studies (docs/studies.md): study files (:mod:`.spec`), run plans (:mod:`.plan`), the
Dask execution (:mod:`.execute`), reports with verdicts (:mod:`.report`)."""

from omm_cx._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "load_study": "spec",
    "available_studies": "spec",
    "StudySpec": "spec",
    "plan_runs": "plan",
    "run_study": "execute",
    "study_status": "execute",
    "write_report": "report",
    "write_index": "index",
    "run_demo": "demo",
})
