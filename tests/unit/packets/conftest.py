"""Scapy is the independent oracle of these tests. Import it once here, with its
import-time warnings (e.g. about missing optional crypto) silenced, since the suite
turns warnings into errors."""

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import scapy.all  # noqa: F401  (loads every layer the tests use)
