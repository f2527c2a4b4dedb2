"""The agent (midolman): virtual topology cache, simulation, flows and datapath."""
