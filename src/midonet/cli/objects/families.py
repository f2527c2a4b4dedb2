"""Imports every object family so that each registers its kinds."""

from midonet.cli.objects import chains, devices, groups, hosts, lb, misc, ports

__all__ = ["chains", "devices", "groups", "hosts", "lb", "misc", "ports"]
