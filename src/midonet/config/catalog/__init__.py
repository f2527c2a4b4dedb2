"""The key catalogue of the configuration schema, one module per part of MidoNet."""
