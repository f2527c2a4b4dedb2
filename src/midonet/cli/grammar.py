"""The command interpreter: tokens -> REST calls -> output lines."""

from __future__ import annotations

import shlex
import uuid as uuidlib

from midonet.cli import visibility
from midonet.cli.aliases import Aliases
from midonet.cli.client import JSON, Client, CliError
from midonet.cli.objects import BY_PREFIX, REGISTRY, Field, Kind, Relation, families

__all__ = ["VERBS", "Interpreter", "families"]

VERBS = ("list", "create", "add", "delete", "show", "set", "clear")


def _is_uuid(token: str) -> bool:
    try:
        uuidlib.UUID(token)
    except ValueError:
        return False
    return True


def _syntax(token: str) -> CliError:
    return CliError(f"Syntax error at: {token}")


class Interpreter:
    def __init__(self, client: Client, aliases: Aliases, tenant: str = "") -> None:
        self.client = client
        self.aliases = aliases
        self.tenant = tenant
        self.out: list[str] = []

    @property
    def scripting(self) -> bool:
        return not self.aliases.enabled

    # aliases --------------------------------------------------------------
    def _parent_kind(self, kind: Kind, obj: JSON) -> str:
        assert kind.parent is not None
        if kind.parent[1] == "device":
            return "router" if obj.get("type") == "Router" else "bridge"
        return kind.parent[1]

    def name(self, kind: Kind, obj: JSON) -> str:
        scope = str(obj.get(kind.parent[0]) or "") if kind.parent else ""
        return self.aliases.name(kind.prefix, obj["id"], scope)

    def show_ref(self, kind: str, uuid: str | None) -> str | None:
        """How an object is named in output: `router0`, `router0:port1`, or its UUID."""
        if uuid is None:
            return None
        if not self.aliases.enabled:
            return uuid
        k = REGISTRY[kind]
        obj = self.client.get(self.client.template(k.template, uuid))
        own = self.name(k, obj)
        if k.parent and obj.get(k.parent[0]):
            return f"{self.show_ref(self._parent_kind(k, obj), obj[k.parent[0]])}:{own}"
        return own

    def ref(self, kind: str, token: str) -> str:
        """The UUID a token names: a UUID, an alias, or `parent:child` aliases."""
        if _is_uuid(token):
            return token
        scope = ""
        *parents, own = token.split(":")
        for p in parents:
            parent = BY_PREFIX.get(p.rstrip("0123456789"))
            if parent is None:
                raise CliError(f"Unknown alias: {p}")
            scope = self._resolve(parent, p, scope)
        return self._resolve(REGISTRY[kind], own, scope)

    def _resolve(self, kind: Kind, token: str, scope: str) -> str:
        if _is_uuid(token):
            return token
        found = self.aliases.lookup(scope, token)
        if found is None:
            self._learn(kind, scope)
            found = self.aliases.lookup(scope, token)
        if found is None:
            raise CliError(f"Unknown alias: {token}")
        return found

    def _learn(self, kind: Kind, scope: str) -> None:
        """Name the objects of a collection, in the API's order, so aliases resolve."""
        if kind.top and not scope:
            url = self.client.link(kind.top)
        elif kind.parent and scope:
            parent = self._find_parent(kind, scope)
            if parent is None:
                return
            pkind, pobj = parent
            url = pobj[pkind.children[kind.name]]
        else:
            return
        for o in self._list(url, kind):
            self.name(kind, o)

    def _find_parent(self, kind: Kind, scope: str) -> tuple[Kind, JSON] | None:
        for pkind in REGISTRY.values():
            if kind.name in pkind.children:
                try:
                    return pkind, self.client.get(self.client.template(pkind.template, scope))
                except CliError:
                    continue
        return None

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
                raise _syntax("sett")
            self.tenant = tokens[1]
            return [f"tenant_id: {self.tenant}"]
        if head == "cleart":
            self.tenant = ""
            return []
        if head == "trace":
            return visibility.trace(self, tokens[1:])
        if head == "topology":
            return visibility.topology(self, tokens[1:])
        if len(tokens) > 1 and tokens[1] == "system-state":
            return self._system_state(tokens)
        if head in ("list", "create", "delete") and len(tokens) > 1:
            tokens = [tokens[1], head, *tokens[2:]]
        self._object(tokens, None, None)
        return self.out

    def _system_state(self, tokens: list[str]) -> list[str]:
        url = self.client.link("systemState")
        state = self.client.get(url)
        if tokens[0] == "set" and len(tokens) == 4 and tokens[2] == "availability":
            self.client.put(url, {**state, "availability": tokens[3].upper()})
            return []
        if tokens[0] in ("show", "list") and len(tokens) == 2:
            return [f"system-state state {state['state']} availability {state['availability']}"]
        raise _syntax(" ".join(tokens[2:]) or tokens[1])

    def _object(self, tokens: list[str], parent: JSON | None, link: str | None) -> None:
        kind = REGISTRY.get(tokens[0])
        if kind is None:
            raise _syntax(tokens[0])
        coll = link or (self.client.link(kind.top) if kind.top else None)
        rest = tokens[1:]
        if not rest:
            raise _syntax(tokens[0])
        verb = rest[0]
        if verb in ("list", "create", "add"):
            if coll is None:
                raise _syntax(verb)
            if verb == "list":
                self._do_list(kind, coll, rest[1:])
            else:
                self._do_create(kind, coll, rest[1:])
        elif verb == "delete" and len(rest) > 1:
            self._on(kind, [rest[1], "delete"], parent)
        else:
            self._on(kind, rest, parent)

    def _on(self, kind: Kind, rest: list[str], parent: JSON | None) -> None:
        scope = parent["id"] if parent and kind.parent else ""
        oid = self._resolve(kind, rest[0], scope)
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
            self._do_clear(kind, obj, url, args[1:])
        elif verb in ("list", "add", "create", "delete") and len(args) > 1:
            self._child(kind, obj, args[1], [args[1], verb, *args[2:]])
        elif verb in kind.children or verb in kind.relations:
            self._child(kind, obj, verb, args)
        else:
            raise _syntax(verb)

    def _child(self, kind: Kind, obj: JSON, child: str, tokens: list[str]) -> None:
        if child in kind.relations:
            self._relation(kind, obj, kind.relations[child], tokens)
            return
        key = kind.children.get(child)
        if key is None:
            raise _syntax(child)
        self._object(tokens, obj, obj[key])

    def _relation(self, kind: Kind, obj: JSON, rel: Relation, tokens: list[str]) -> None:
        me = self.show_ref(kind.name, obj["id"]) or obj["id"]
        url = obj[rel.link]
        verb, args = (tokens[1], tokens[2:]) if len(tokens) > 1 else ("", [])
        if verb == "list":
            items = self.client.get(url) or []
            self.out.extend(rel.line(me, item, self) for item in items)
        elif verb in ("add", "create") and rel.can_add:
            body = self._parse(rel.fields, args, f"{verb} {tokens[0]}")
            missing = [f.word for f in rel.fields if f.parse and not f.clear]
            if not body or any(w not in args for w in missing):
                raise _syntax(f"{verb} {tokens[0]} (needs: {' '.join(missing)})")
            self.out.append(rel.line(me, self.client.post(url, body), self))
        elif verb == rel.identity[0] and len(args) >= 1:
            f = rel.field(verb)
            assert f is not None and f.parse is not None
            wanted = f.parse(args[0], self)[rel.identity[1]]
            items = self.client.get(url) or []
            item = next((i for i in items if i.get(rel.identity[1]) == wanted), None)
            if item is None:
                raise CliError(f"No {tokens[0]} {verb} {args[0]}")
            action = args[1] if len(args) > 1 else "show"
            if action == "show":
                self.out.append(rel.show_prefix + rel.line(me, item, self))
            elif action == "delete":
                self.client.delete(item["uri"])
            else:
                raise _syntax(action)
        else:
            raise _syntax(verb or tokens[0])

    def _list(self, url: str, kind: Kind) -> list[JSON]:
        items: list[JSON] = self.client.get(url) or []
        if kind.tenant and self.tenant:
            items = [o for o in items if o.get("tenantId") == self.tenant]
        return items

    def _do_list(self, kind: Kind, url: str, filters: list[str]) -> None:
        wanted = self._parse(kind.fields, filters, "list")
        for obj in self._list(url, kind):
            if all(obj.get(k) == v for k, v in wanted.items()):
                self.out.append(self._format(kind, obj, []))
        if wanted and not self.out and self.scripting:
            # `midonet-cli -e 'bridge list name X' || midonet-cli -e 'bridge create ...'`
            raise CliError(f"No {kind.name} matches")

    def _do_create(self, kind: Kind, url: str, args: list[str]) -> None:
        body: JSON = dict(kind.defaults)
        if kind.tenant and self.tenant:
            body["tenantId"] = self.tenant
        body.update(self._parse(kind.fields, args, "create"))
        created = self.client.post(url, body)
        self.out.append(self.show_ref(kind.name, created["id"]) or created["id"])

    def _do_set(self, kind: Kind, obj: JSON, url: str, args: list[str]) -> None:
        values = self._parse(kind.fields, args, "set")
        if kind.name == "port" and "peerId" in values:
            peer = values.pop("peerId")
            if obj.get("peerId") != peer:  # setting the same peer again is a no-op
                self.client.post(obj["link"], {"peerId": peer}, follow=False)
            if not values:
                return
            obj = self.client.get(url)
        self.client.put(url, {**obj, **values})

    def _do_clear(self, kind: Kind, obj: JSON, url: str, words: list[str]) -> None:
        body = dict(obj)
        for word in words:
            f = kind.field(word)
            if f is None or not f.clear:
                raise _syntax(word)
            if word == "peer":
                self.client.delete(obj["link"])
                return
            for key in f.clear:
                old = body.get(key)
                body[key] = (
                    [] if isinstance(old, list) else False if key.startswith("inv") else None
                )
        self.client.put(url, body)

    def _parse(self, fields: tuple[Field, ...], args: list[str], where: str) -> JSON:
        body: JSON = {}
        it = iter(args)
        for word in it:
            f = next((f for f in fields if f.word == word), None)
            value = next(it, None)
            if f is None or f.parse is None or value is None:
                raise _syntax(word if f is None else f"{word} (needs a value)")
            try:
                body.update(f.parse(value, self))
            except (ValueError, KeyError) as exc:
                raise CliError(f"Invalid {word} {value}: {exc}") from None
        return body

    def _format(self, kind: Kind, obj: JSON, only: list[str]) -> str:
        parts = [kind.prefix, self.name(kind, obj)]
        for f in kind.fields:
            if f.show is None or (only and f.word not in only):
                continue
            value = f.show(obj, self)
            if value is not None and value != "":
                parts += [f.word, str(value)]
        return " ".join(parts)
