"""MidoNet's v5 REST API: `app.Api` answers requests, `server.ApiServer` serves it
over HTTP(S); `resources` holds one module per resource family."""

from midonet.cluster.rest_api.app import Api
from midonet.cluster.rest_api.server import ApiServer

__all__ = ["Api", "ApiServer"]
