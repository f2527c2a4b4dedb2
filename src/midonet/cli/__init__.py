"""midonet-cli: the MidoNet command-line client, speaking only the REST API."""
