"""Session aliases (router0, router0:port2): stable for the session, scoped by parent."""

from __future__ import annotations


class Aliases:
    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._by_id: dict[str, str] = {}
        self._by_name: dict[tuple[str, str], str] = {}
        self._next: dict[tuple[str, str], int] = {}

    def name(self, kind: str, uuid: str, scope: str = "") -> str:
        """The short name of an object, made on first sight; the UUID when disabled."""
        if not self.enabled:
            return uuid
        alias = self._by_id.get(uuid)
        if alias is None:
            n = self._next.get((scope, kind), 0)
            self._next[(scope, kind)] = n + 1
            alias = f"{kind}{n}"
            self._by_id[uuid] = alias
            self._by_name[(scope, alias)] = uuid
        return alias

    def lookup(self, scope: str, alias: str) -> str | None:
        return self._by_name.get((scope, alias))

    def forget(self, uuid: str) -> None:
        self._by_id.pop(uuid, None)

    def names(self) -> list[str]:
        """Every alias handed out so far (for completion)."""
        return sorted({alias for _, alias in self._by_name})
