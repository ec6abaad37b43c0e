"""Powder X-ray diffraction by the Debye equation: form factors (:mod:`.form_factors`),
patterns and peaks (:mod:`.debye`), patterns of structures and runs (:mod:`.pipeline`)."""
