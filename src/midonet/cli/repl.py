"""The interactive loop: `midonet> ` prompt, help, readline completion."""

from __future__ import annotations

import sys
from typing import TextIO

from midonet.cli.client import CliError
from midonet.cli.grammar import VERBS, Interpreter
from midonet.cli.objects import REGISTRY

HELP = (
    "Commands: [list|create|delete] <object> ..., <object> <alias> [show|set|clear|delete|"
    "list <child>|add <child> ...], sett <tenant>, cleart, describe <object>, quit\n"
    "Objects: " + " ".join(sorted(REGISTRY))
)


def words() -> list[str]:
    names = set(VERBS) | set(REGISTRY) | {"help", "describe", "sett", "cleart", "quit"}
    for kind in REGISTRY.values():
        names.update(f.word for f in kind.fields)
    return sorted(names)


def describe(name: str) -> str:
    kind = REGISTRY.get(name)
    if kind is None:
        raise CliError(f"Unknown object type: {name}")
    return f"{name}: " + " ".join(f.word for f in kind.fields)


def _complete_setup(interp: Interpreter) -> None:
    try:
        import readline  # noqa: PLC0415  (only when interactive)
    except ImportError:
        return
    vocab = words()
    readline.set_completer_delims(" \t")

    def complete(text: str, state: int) -> str | None:
        hits = [w for w in [*vocab, *interp.aliases.names()] if w.startswith(text)]
        return hits[state] if state < len(hits) else None

    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")


def execute(interp: Interpreter, line: str, out: TextIO) -> bool:
    """Run one line; False on error (reported on stderr as one line)."""
    parts = line.split()
    try:
        if parts and parts[0] == "help":
            print(HELP, file=out)
        elif parts and parts[0] == "describe":
            print(describe(parts[1] if len(parts) > 1 else ""), file=out)
        else:
            for text in interp.run(line):
                print(text, file=out)
    except CliError as exc:
        print(exc, file=sys.stderr)
        return False
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # an answer of a shape we did not expect (another API version?): one line, no trace
        print(f"Unexpected answer from the API: {type(exc).__name__}: {exc}", file=sys.stderr)
        return False
    return True


def loop(interp: Interpreter) -> int:
    interactive = sys.stdin.isatty()
    if interactive:
        _complete_setup(interp)
    while True:
        try:
            line = input("midonet> ") if interactive else sys.stdin.readline()
        except EOFError:
            break
        except KeyboardInterrupt:
            print()
            continue
        if not interactive and not line:
            break
        if line.strip() in ("quit", "exit"):
            break
        if not interactive and line.strip():
            print(f"midonet> {line.strip()}")
        execute(interp, line, sys.stdout)
        sys.stdout.flush()
    return 0
