"""One module per resource family, each with its field mapping and routes."""
