"""Test support shipped with the package: the declarative scenario harness
(`scenario`) for packet simulations."""
