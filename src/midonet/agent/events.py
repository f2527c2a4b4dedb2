"""The agent's event messages (Operations Guide, chapter 14, "MidoNet Agent events"),
written in the guide's logback format through the cluster's `EventLog`."""

from __future__ import annotations

import logging
from pathlib import Path

from midonet.cluster.events import EventLog

AGENT = "org.midonet.event.agent"


class AgentEvents:
    def __init__(self, path: str | Path | None = None, *, hostname: str | None = None) -> None:
        self.log = EventLog(path, hostname=hostname)

    def close(self) -> None:
        self.log.close()

    def service_start(self) -> None:
        self.log.emit(f"{AGENT}.Service.START", logging.INFO, "START Service started.")

    def service_exit(self) -> None:
        self.log.emit(f"{AGENT}.Service.EXIT", logging.WARNING, "EXIT Service exited.")

    def nsdb_connect(self) -> None:
        self.log.emit(
            f"{AGENT}.Nsdb.CONNECT", logging.INFO, "CONNECT Connected to the NSDB cluster."
        )

    def nsdb_disconnect(self) -> None:
        self.log.emit(
            f"{AGENT}.Nsdb.DISCONNECT",
            logging.WARNING,
            "DISCONNECT Disconnected from the NSDB cluster.",
        )

    def nsdb_expired(self) -> None:
        self.log.emit(
            f"{AGENT}.Nsdb.CONN_EXPIRE",
            logging.ERROR,
            "CONN_EXPIRE Connection to the NSDB cluster expired. Shutting down the MidoNet Agent.",
        )

    def interface_detect(self, name: str) -> None:
        self.log.emit(f"{AGENT}.Interface.DETECT", logging.INFO, f"NEW interface={name}")

    def interface_update(self, name: str) -> None:
        self.log.emit(
            f"{AGENT}.Interface.UPDATE", logging.INFO, f"UPDATE interface={name} was updated."
        )

    def interface_delete(self, name: str) -> None:
        self.log.emit(
            f"{AGENT}.Interface.DELETE", logging.INFO, f"DELETE interface={name} was deleted."
        )
