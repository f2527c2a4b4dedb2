"""Operator tools: mm-ctl (and, later, mn-conf, mm-meter, mm-trace)."""
