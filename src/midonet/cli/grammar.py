"""The command interpreter: tokens -> REST calls -> output lines."""

from __future__ import annotations

import shlex
import uuid as uuidlib

from midonet.cli.aliases import Aliases
from midonet.cli.client import JSON, Client, CliError
from midonet.cli.objects import REGISTRY, Kind, chains, devices, ports

__all__ = ["Interpreter", "chains", "devices", "ports"]

VERBS = ("list", "create", "add", "delete", "show", "set", "clear")


def _is_uuid(token: str) -> bool:
    try:
        uuidlib.UUID(token)
    except ValueError:
        return False
    return True


class Interpreter:
    def __init__(self, client: Client, aliases: Aliases, tenant: str = "") -> None:
        self.client = client
        self.aliases = aliases
        self.tenant = tenant
        self.out: list[str] = []

    # aliases --------------------------------------------------------------
    def _scope(self, kind: Kind, obj: JSON) -> str:
        return str(obj.get(kind.ref_parent, "")) if kind.ref_parent else ""

    def name(self, kind: Kind, obj: JSON) -> str:
        return self.aliases.name(kind.name, obj["id"], self._scope(kind, obj))

    def show_ref(self, kind: str, uuid: str | None) -> str | None:
        if uuid is None:
            return None
        if not self.aliases.enabled:
            return uuid
        k = REGISTRY[kind]
        obj = self.client.get(self.client.template(k.template, uuid))
        own = self.name(k, obj)
        if k.ref_parent:
            ptype = {"rule": "chain", "route": "router"}.get(k.name, "")
            if not ptype:
                ptype = "router" if obj.get("type") == "Router" else "bridge"
            return f"{self.show_ref(ptype, obj[k.ref_parent])}:{own}"
        return own

    def ref(self, kind: str, token: str) -> str:
        if _is_uuid(token):
            return token
        scope = ""
        *parents, own = token.split(":")
        for p in parents:
            scope = self._resolve(p.rstrip("0123456789"), p, scope)
        return self._resolve(kind, own, scope)

    def _resolve(self, kind: str, token: str, scope: str) -> str:
        if _is_uuid(token):
            return token
        found = self.aliases.lookup(scope, token)
        if found is None and kind in REGISTRY:
            k = REGISTRY[kind]
            if k.top and not scope:
                for o in self._list(self.client.link(k.top), k):
                    self.name(k, o)
            found = self.aliases.lookup(scope, token)
        if found is None:
            raise CliError(f"Unknown alias: {token}")
        return found

    # commands -------------------------------------------------------------
    def run(self, line: str) -> list[str]:
        self.out = []
        try:
            tokens = shlex.split(line)
        except ValueError as exc:
            raise CliError(f"Syntax error: {exc}") from None
        if not tokens:
            return []
        head = tokens[0]
        if head == "sett":
            if len(tokens) != 2:
                raise CliError("Syntax error at: sett")
            self.tenant = tokens[1]
            return [f"tenant_id: {self.tenant}"]
        if head == "cleart":
            self.tenant = ""
            return []
        if head in ("list", "create", "delete") and len(tokens) > 1:
            tokens = [tokens[1], head, *tokens[2:]]
        self._object(tokens, None, None)
        return self.out

    def _object(self, tokens: list[str], parent: JSON | None, link: str | None) -> None:
        kind = REGISTRY.get(tokens[0])
        if kind is None:
            raise CliError(f"Syntax error at: {tokens[0]}")
        coll = link or (self.client.link(kind.top) if kind.top else None)
        rest = tokens[1:]
        if not rest:
            raise CliError(f"Syntax error at: {tokens[0]}")
        verb = rest[0]
        if verb in ("list", "create", "add") and coll is None:
            raise CliError(f"Syntax error at: {verb}")
        if verb == "list":
            self._do_list(kind, str(coll), rest[1:])
        elif verb in ("create", "add"):
            self._do_create(kind, str(coll), rest[1:])
        elif verb == "delete" and len(rest) > 1:
            self._on(kind, [rest[1], "delete"], parent)
        else:
            self._on(kind, rest, parent)

    def _on(self, kind: Kind, rest: list[str], parent: JSON | None) -> None:
        scope = parent["id"] if parent and kind.ref_parent else ""
        oid = self._resolve(kind.name, rest[0], scope)
        url = self.client.template(kind.template, oid)
        obj = self.client.get(url)
        args = rest[1:]
        verb = args[0] if args else "show"
        if verb == "show":
            self.out.append(self._format(kind, obj, args[1:]))
        elif verb == "delete" and len(args) == 1:
            self.client.delete(url)
            self.aliases.forget(oid)
        elif verb == "set":
            self._do_set(kind, obj, url, args[1:])
        elif verb == "clear":
            body = dict(obj)
            for word in args[1:]:
                f = kind.field(word)
                if f is None or not f.clear:
                    raise CliError(f"Syntax error at: {word}")
                for key in f.clear:
                    body[key] = False if key.startswith("inv") else None
            self.client.put(url, body)
        elif verb in ("list", "add", "create", "delete") and len(args) > 1:
            self._child(kind, obj, args[1], [args[1], verb, *args[2:]])
        elif verb in kind.children or verb in REGISTRY:
            self._child(kind, obj, verb, args)
        else:
            raise CliError(f"Syntax error at: {verb}")

    def _child(self, kind: Kind, obj: JSON, child: str, tokens: list[str]) -> None:
        key = kind.children.get(child)
        if key is None:
            raise CliError(f"Syntax error at: {child}")
        self._object(tokens, obj, obj[key])

    def _list(self, url: str, kind: Kind) -> list[JSON]:
        items: list[JSON] = self.client.get(url) or []
        if kind.tenant and self.tenant:
            items = [o for o in items if o.get("tenantId") == self.tenant]
        return items

    def _do_list(self, kind: Kind, url: str, filters: list[str]) -> None:
        wanted = self._parse(kind, filters)
        for obj in self._list(url, kind):
            if all(obj.get(k) == v for k, v in wanted.items()):
                self.out.append(self._format(kind, obj, []))

    def _do_create(self, kind: Kind, url: str, args: list[str]) -> None:
        body: JSON = dict(kind.defaults)
        if kind.tenant and self.tenant:
            body["tenantId"] = self.tenant
        body.update(self._parse(kind, args))
        created = self.client.post(url, body)
        self.out.append(self.show_ref(kind.name, created["id"]) or created["id"])

    def _do_set(self, kind: Kind, obj: JSON, url: str, args: list[str]) -> None:
        values = self._parse(kind, args)
        if kind.name == "port" and "peerId" in values:
            self.client.post(obj["link"], {"peerId": values.pop("peerId")}, follow=False)
            if not values:
                return
            obj = self.client.get(url)
        self.client.put(url, {**obj, **values})

    def _parse(self, kind: Kind, args: list[str]) -> JSON:
        body: JSON = {}
        it = iter(args)
        for word in it:
            f = kind.field(word)
            value = next(it, None)
            if f is None or f.parse is None or value is None:
                raise CliError(f"Syntax error at: {word}")
            try:
                body.update(f.parse(value, self))
            except ValueError as exc:
                raise CliError(f"Invalid {word} {value}: {exc}") from None
        return body

    def _format(self, kind: Kind, obj: JSON, only: list[str]) -> str:
        parts = [kind.name, self.name(kind, obj)]
        for f in kind.fields:
            if f.show is None or (only and f.word not in only):
                continue
            value = f.show(obj, self)
            if value is not None and value != "":
                parts += [f.word, str(value)]
        return " ".join(parts)
