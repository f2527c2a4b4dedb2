"""MidoNet, the distributed network-virtualization overlay, rebuilt in Python."""

__version__ = "0.1.0"
