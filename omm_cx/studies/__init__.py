"""Workflows over the whole pipeline (build -> run -> analyze): the demo (:mod:`.demo`)
and studies (docs/studies.md): study files (:mod:`.spec`), run plans (:mod:`.plan`), the
Dask execution (:mod:`.execute`), reports with verdicts (:mod:`.report`)."""
