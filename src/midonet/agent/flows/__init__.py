"""Installed flows: exact-match table with idle expiry and invalidation by tag."""

from midonet.agent.flows.table import Flow, FlowTable, RemovalReason

__all__ = ["Flow", "FlowTable", "RemovalReason"]
