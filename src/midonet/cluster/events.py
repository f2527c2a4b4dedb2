"""The API server's event log (the guide's "List of event messages").

One line per topology change or NSDB connection event, in the guide's logback
pattern `%d{yyyy.MM.dd HH:mm:ss.SSS} ${HOSTNAME} %-5level %logger - %m%n`, e.g.

    2026.11.23 21:00:00.000 node1 INFO  org.midonet.event.topology.Router.CREATE -
        CREATE routerId=…, data={…}.

(one line in the file)

Lines go to the event log file (when one is given) and to Python logging under the
same logger name.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import threading
from pathlib import Path
from typing import Any, TextIO

TOPOLOGY = "org.midonet.event.topology"
NSDB = "org.midonet.event.api.Nsdb"

_NSDB_MESSAGES = {
    "CONNECT": (logging.INFO, "CONNECT Connected to the NSDB cluster."),
    "DISCONNECT": (logging.WARNING, "DISCONNECT Disconnected from the NSDB cluster."),
    "CONN_EXPIRE": (logging.ERROR, "CONN_EXPIRE Connection to the NSDB cluster expired."),
}
_LEVEL_NAMES = {logging.INFO: "INFO", logging.WARNING: "WARN", logging.ERROR: "ERROR"}


class EventLog:
    def __init__(self, path: str | Path | None = None, *, hostname: str | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.hostname = hostname or socket.gethostname()
        self._lock = threading.Lock()
        self._file: TextIO | None = None
        self._connected: bool | None = None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def emit(self, logger: str, level: int, message: str) -> None:
        now = dt.datetime.now()
        stamp = now.strftime("%Y.%m.%d %H:%M:%S.") + f"{now.microsecond // 1000:03d}"
        line = f"{stamp} {self.hostname} {_LEVEL_NAMES[level]:<5} {logger} - {message}\n"
        logging.getLogger(logger).log(level, message)
        with self._lock:
            if self._file is not None:
                self._file.write(line)
                self._file.flush()

    # --- topology ---------------------------------------------------------------------

    def topology(
        self,
        device: str,
        event: str,
        id_name: str,
        object_id: object,
        data: Any = None,
        *,
        data_name: str = "data",
    ) -> None:
        """`<event> <id_name>=<id>[, data=<json>].` under topology.<device>.<event>."""
        text = f"{event} {id_name}={object_id}"
        if data is not None:
            text += f", {data_name}={_json(data)}"
        self.emit(f"{TOPOLOGY}.{device}.{event}", logging.INFO, text + ".")

    # --- NSDB -------------------------------------------------------------------------

    def nsdb(self, event: str) -> None:
        level, text = _NSDB_MESSAGES[event]
        self.emit(f"{NSDB}.{event}", level, text)

    def nsdb_state(self, connected: bool) -> None:
        """Log CONNECT or DISCONNECT when the NSDB connection changes state."""
        with self._lock:
            changed = self._connected != connected
            self._connected = connected
        if changed:
            self.nsdb("CONNECT" if connected else "DISCONNECT")


def _json(data: Any) -> str:
    if isinstance(data, str):
        return data
    return json.dumps(data, separators=(",", ":"), sort_keys=True, default=str)
