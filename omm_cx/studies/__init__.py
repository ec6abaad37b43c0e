"""Workflows over the whole pipeline (build -> run -> analyze): the demo
(:mod:`.demo`); studies over many runs land here."""
