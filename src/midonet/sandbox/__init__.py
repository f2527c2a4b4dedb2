"""`midonet-sandbox`: a whole cloud on one machine, up and down with one command.

The embedded NSDB, the cluster's REST API, one `midolman` per simulated host (each
host a network namespace on an underlay bridge, all in one VXLAN tunnel zone) and
the guide's typical topology built through the REST API, then proved with real
ping and TCP. Everything it makes is recorded in its state directory
(`record.Record`) and `down` removes exactly that.
"""
