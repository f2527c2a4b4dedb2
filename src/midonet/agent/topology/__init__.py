"""The agent's view of the virtual topology: immutable snapshots kept current from
store watches (`virtual_topology`), read by the simulation (`snapshot.Topology`)."""

from midonet.agent.topology.snapshot import MissingObject, Topology

__all__ = ["MissingObject", "Topology"]
