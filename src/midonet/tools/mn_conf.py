"""`mn-conf`: inspect and change the layered configuration kept in the NSDB.

    mn-conf dump  [-h HOST_ID | -t TEMPLATE | -s] [-H] [-j] [-c]
    mn-conf get   [-h HOST_ID | -t TEMPLATE | -s] [-H] KEY
    mn-conf set   [-h HOST_ID | -t TEMPLATE] [-c] [CONFIG_STRING ...]   (else stdin)
    mn-conf unset [-h HOST_ID | -t TEMPLATE] KEY
    mn-conf template-get [-a | -h HOST_ID]
    mn-conf template-set -h HOST_ID -t TEMPLATE
    mn-conf template-clear -h HOST_ID
    mn-conf template-list | hosts | deploy
    mn-conf doc [KEY]
    mn-conf import [-h HOST_ID | -t TEMPLATE] [-a] -f FILE

A host's configuration is, by precedence: its own values, its assigned template,
the "default" template, the schema. HOST_ID `local` (the default where a host is
needed) is the id in the agent's state directory. The NSDB: `--nsdb URL`, else the
bootstrap files' ZooKeeper hosts, else `nsdb.db` in the state directory (as
`midonet-cluster`). Exit status: 0 ok, 2 bad usage, 3 NSDB unreachable, 4 refused
input, 11 no such key.
"""

from __future__ import annotations

import argparse
import logging
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

from midonet.agent.host_id import default_state_dir as agent_state_dir
from midonet.agent.host_id import read_host_id
from midonet.config import SCHEMA, ConfigLayer, Setting, read_ini
from midonet.config.layer import DEFAULT_TEMPLATE, host_layer, template_layer
from midonet.config.template import BUILTIN_TEMPLATES
from midonet.errors import ConfigError, MidonetError, StoreUnavailable
from midonet.node import UsageError, deploy_bundled, node_config, nsdb_url, open_nsdb
from midonet.store.base import Store
from midonet.tools import conf_view

ZK_CONNECT_TIMEOUT = 5.0  # seconds; a tool should not wait like a service
SUCCESS, FAILURE, USAGE, UNREACHABLE, REFUSED, NO_SUCH_KEY = 0, 1, 2, 3, 4, 11


class NoSuchKey(Exception):
    """A valid key that the selected view does not set."""


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--help", action="help", help="show this help and exit")
    common.add_argument(
        "--nsdb", default=argparse.SUPPRESS, help="file:PATH or zk://HOST:PORT/ROOT"
    )
    common.add_argument(
        "--state-dir", type=Path, default=argparse.SUPPRESS,
        help="directory of the default NSDB (nsdb.db) and of the local host id",
    )  # fmt: skip
    p = argparse.ArgumentParser(
        prog="mn-conf", description=__doc__.split("\n")[0], add_help=False, parents=[common]
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=text, description=text, add_help=False, parents=[common])

    for name in ("dump", "get"):
        q = command(name, "print the whole selected configuration" if name == "dump" else
                    "print one key (or section) of the selected configuration")  # fmt: skip
        source = q.add_mutually_exclusive_group()
        source.add_argument("-h", "--host", help="a host's configuration (HOST_ID or local)")
        source.add_argument("-t", "--template", help="a template (over the default template)")
        source.add_argument("-s", "--schema", action="store_true", help="the schema's defaults")
        q.add_argument("-H", "--host-only", action="store_true", help="only the host's own values")
        if name == "get":
            q.add_argument("key")
        else:
            q.add_argument("-j", "--json", action="store_true", help="JSON output")
            q.add_argument("-c", "--comments", action="store_true", help="origins and docs")
    for name, text in (("set", "merge HOCON into a template or host"),
                       ("unset", "remove a key (or section) from a template or host"),
                       ("import", "import a legacy INI file's non-default values")):  # fmt: skip
        w = command(name, text)
        target = w.add_mutually_exclusive_group()
        target.add_argument("-h", "--host", help="a host's own values (HOST_ID or local)")
        target.add_argument("-t", "--template", help="a template")
        if name == "set":
            w.add_argument("-c", "--clear", action="store_true", help="replace, not merge")
            w.add_argument("config", nargs="*", help="HOCON; read from stdin when absent")
        elif name == "unset":
            w.add_argument("key")
        else:
            w.add_argument("-a", "--all", action="store_true", help="also values equal to defaults")
            w.add_argument("-f", "--file", type=Path, required=True, help="legacy INI file")
    g = command("template-get", "print template assignments")
    which = g.add_mutually_exclusive_group()
    which.add_argument("-a", "--all", action="store_true", help="every assignment")
    which.add_argument("-h", "--host", help="HOST_ID or local")
    s = command("template-set", "assign a template to a host")
    s.add_argument("-h", "--host", required=True, help="HOST_ID or local")
    s.add_argument("-t", "--template", required=True)
    command("template-clear", "remove a host's template assignment").add_argument(
        "-h", "--host", required=True, help="HOST_ID or local"
    )
    command("template-list", "list templates and the hosts using them")
    command("hosts", "list hosts with their own values or a template")
    command("deploy", "store the shipped templates that are missing or changed")
    command("doc", "document a key, a section, or every key").add_argument("key", nargs="?")
    return p


class _Tool:
    def __init__(self, args: argparse.Namespace, store: Store) -> None:
        self.args = args
        self.store = store
        self.layers = store.config
        self.state_dir: Path | None = getattr(args, "state_dir", None)

    # --- hosts and sources ---------------------------------------------------------

    def local_host(self) -> uuid.UUID | None:
        return read_host_id(self.state_dir or agent_state_dir())

    def host(self, text: str | None) -> uuid.UUID | None:
        if text is None or text == "local":
            return self.local_host()
        try:
            return uuid.UUID(text)
        except ValueError:
            raise UsageError(f"not a host id: {text!r} (a UUID or local)") from None

    def required_host(self, text: str) -> uuid.UUID:
        found = self.host(text)
        if found is None:
            raise UsageError("this host has no host id yet; give -h HOST_ID")
        return found

    def target(self) -> str:
        """The layer a writer changes: "template:NAME" or "host:UUID"."""
        if self.args.template is not None:
            if not self.args.template:
                raise UsageError("a template needs a name")
            return template_layer(self.args.template)
        host = self.host(self.args.host)
        if host is None:
            raise UsageError("no configuration source to write to: give -t TEMPLATE or -h HOST_ID")
        return host_layer(host)

    def view(self) -> list[Setting]:
        a = self.args
        if a.schema and a.host_only:
            raise UsageError("-s and -H select different sources; give one")
        if a.schema:
            return [Setting(s.name, s.default, "schema") for s in SCHEMA]
        if a.template is not None:
            names = [DEFAULT_TEMPLATE] if a.template == DEFAULT_TEMPLATE else [
                DEFAULT_TEMPLATE, a.template]  # fmt: skip
            return conf_view.layer_settings(self.layers.load(template_layer(n)) for n in names)
        host = self.host(a.host)
        if a.host_only:
            if host is None:
                raise UsageError("-H needs a host id: give -h HOST_ID")
            return conf_view.layer_settings([self.layers.load(host_layer(host))])
        return node_config(self.store, host, local=()).settings()

    # --- commands ------------------------------------------------------------------

    def dump(self) -> None:
        if self.args.schema and not self.args.json:
            print(SCHEMA.to_hocon(comments=True), end="")
            return
        settings = self.view()
        print(conf_view.render_dump(settings, comments=self.args.comments, as_json=self.args.json),
              end="")  # fmt: skip

    def get(self) -> None:
        chosen = conf_view.select(self.view(), self.args.key)
        if not chosen:
            raise NoSuchKey(f"{self.args.key} is not set in the selected configuration")
        print(conf_view.render_get(self.args.key, chosen), end="")

    def set(self) -> None:
        text = " ".join(self.args.config) if self.args.config else sys.stdin.read()
        source = "argument" if self.args.config else "STDIN"
        given = ConfigLayer.from_hocon(source, text)
        self.write(given, clear=self.args.clear)

    def write(self, given: ConfigLayer, *, clear: bool = False) -> None:
        name = self.target()
        if clear:
            self.layers.save(given.renamed(name))
            return
        self.layers.load(name).merged(dict(given))  # the union must be valid too
        scope, _, key = name.partition(":")
        if scope == "template":
            self.layers.update_template(key, set=given.to_dict())
        else:
            self.layers.update_host(uuid.UUID(key), set=given.to_dict())

    def unset(self) -> None:
        name = self.target()
        current = self.layers.load(name)
        conf_view.select([], self.args.key)  # refuse a name that is no key nor section
        removed = [k for k in current if k not in current.without(self.args.key)]
        scope, _, key = name.partition(":")
        if scope == "template":
            self.layers.update_template(key, unset=removed)
        elif not self.layers.update_host(uuid.UUID(key), unset=removed):
            self.layers.delete_host(uuid.UUID(key))

    def template_get(self) -> None:
        if self.args.all:
            for host, template in sorted(self.layers.mappings().items()):
                print(f"{host}  {template}")
            return
        host = self.required_host(self.args.host)
        print(f"{host}  {self.layers.template_of(host)}")

    def template_set(self) -> None:
        host = self.required_host(self.args.host)
        name = self.args.template
        if name not in self.layers.templates():
            if name not in BUILTIN_TEMPLATES:
                known = ", ".join(sorted({*self.layers.templates(), *BUILTIN_TEMPLATES}))
                raise UsageError(
                    f"no template {name!r} (known: {known}); create it with mn-conf set -t {name}"
                )
            deploy_bundled(self.store, [name])
            print(f"Deployed configuration template: {name}")
        self.layers.assign(host, name)

    def template_clear(self) -> None:
        self.layers.unassign(self.required_host(self.args.host))

    def template_list(self) -> None:
        mappings = self.layers.mappings()
        for template in sorted({DEFAULT_TEMPLATE, *self.layers.templates(), *mappings.values()}):
            print(template)
            for host in sorted(h for h, t in mappings.items() if t == template):
                print(f"    {host}")

    def hosts(self) -> None:
        mappings = self.layers.mappings()
        custom = set(self.layers.hosts())
        defaults = "template(default) : schema"
        for host in sorted(custom | set(mappings)):
            template = mappings.get(host, DEFAULT_TEMPLATE)
            parts = ["custom"] if host in custom else []
            if template != DEFAULT_TEMPLATE:
                parts.append(f"template({template})")
            print(f"{host} -> {' : '.join([*parts, defaults])}")

    def deploy(self) -> None:
        written = deploy_bundled(self.store)
        for name in written:
            print(f"Deployed configuration template: {name}")
        if not written:
            print("Deployed templates are up to date, nothing to do")

    def import_(self) -> None:
        legacy = read_ini(self.args.file)
        values = {k: v for k, v in legacy.items() if self.args.all or SCHEMA.spec(k).default != v}
        layer = ConfigLayer(legacy.name, values)
        print("Importing legacy configuration:")
        print(layer.to_hocon(), end="")
        self.write(layer)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "doc":
            specs = conf_view.doc_specs(args.key)  # the schema alone: no NSDB needed
            print("\n".join(conf_view.render_doc(spec) for spec in specs), end="")
            return SUCCESS
        url = nsdb_url(getattr(args, "nsdb", None), state_dir=getattr(args, "state_dir", None))
        store = _open(url)
    except UsageError as e:
        return _fail(e, USAGE)
    except StoreUnavailable as e:
        return _fail(e, UNREACHABLE)
    except (ConfigError, NoSuchKey) as e:
        return _fail(e, NO_SUCH_KEY if args.command == "doc" else REFUSED)
    except (OSError, MidonetError) as e:
        return _fail(e, FAILURE)
    try:
        getattr(_Tool(args, store), args.command.replace("-", "_").replace("import", "import_"))()
    except UsageError as e:
        return _fail(e, USAGE)
    except NoSuchKey as e:
        return _fail(e, NO_SUCH_KEY)
    except StoreUnavailable as e:
        return _fail(e, UNREACHABLE)
    except ConfigError as e:
        return _fail(e, NO_SUCH_KEY if args.command == "get" else REFUSED)
    except (OSError, ValueError, MidonetError) as e:
        return _fail(e, FAILURE)
    finally:
        store.close()
    return SUCCESS


def _open(url: str) -> Store:
    """`open_nsdb`, but ZooKeeper with a short connect timeout
    and without kazoo's retry chatter (the failure is reported in one line)."""
    if not url.startswith("zk://"):
        return open_nsdb(url)
    from midonet.store.zookeeper import ZooKeeperStore  # noqa: PLC0415 - kazoo only when used

    logging.getLogger("kazoo").setLevel(logging.CRITICAL + 1)
    try:
        return ZooKeeperStore.from_url(url, connect_timeout=ZK_CONNECT_TIMEOUT)
    except ValueError as e:
        raise UsageError(f"--nsdb {url}: {e}") from None


def _fail(error: BaseException, status: int) -> int:
    print(f"mn-conf: {' '.join(str(error).split())}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
