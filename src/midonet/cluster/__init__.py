"""The MidoNet Cluster: the v5 REST API (`rest_api`), authentication (`auth`) and the
event log (`events`); `main` is the `midonet-cluster` console script."""
