"""midonet-cli commands beyond MidoNet's: `trace` and `topology`.

    trace from PORT to IP[:PORT] src IP [proto tcp|udp|icmp|arp] [src-port N]
          [dst-port N] [src-mac MAC] [dst-mac MAC] [ttl N] [flags syn,ack] [vlan N]
          [ct new|established] [minimal|json]      (also --ct, --minimal, --json)
    topology [dot|svg] [file PATH]

`trace` asks the API (`POST /packet_traces`) to run the packet through the same
simulation the agents run, changing nothing, and prints every step; `minimal`
prints the stable form regression tests compare, `json` the document itself.
`topology` fetches the picture (SVG by default) and writes it to PATH, or prints it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from midonet.cli.client import CliError
from midonet.trace.report import render_minimal, render_text

if TYPE_CHECKING:
    from midonet.cli.grammar import Interpreter

# CLI word -> the packet description's field.
_PACKET_WORDS = {
    "src": "ipSrc",
    "proto": "proto",
    "src-port": "srcPort",
    "dst-port": "dstPort",
    "src-mac": "ethSrc",
    "dst-mac": "ethDst",
    "ttl": "ttl",
    "flags": "tcpFlags",
    "vlan": "vlan",
}
_FORMATS = ("text", "minimal", "json")


def trace(interp: Interpreter, words: list[str]) -> list[str]:
    packet: dict[str, object] = {}
    body: dict[str, object] = {"packet": packet}
    form = "text"
    it = iter(words)
    for token in it:
        word = token.removeprefix("--")  # `--minimal`, `--ct new` read as the words
        if word in _FORMATS:
            form = word
            continue
        value = next(it, None)
        if value is None:
            raise CliError(f"Syntax error at: {word} (needs a value)")
        if word in ("from", "port"):
            body["portId"] = interp.ref("port", value)
        elif word in ("to", "dst"):
            address, _, port = value.partition(":")
            packet["ipDst"] = address
            if port:
                packet["dstPort"] = port
        elif word == "ct":
            body["ct"] = value
        elif word in _PACKET_WORDS:
            packet[_PACKET_WORDS[word]] = value
        else:
            raise CliError(f"Syntax error at: {word}")
    if "portId" not in body:
        raise CliError("Syntax error: trace needs 'from PORT' (the ingress port)")
    report = interp.client.post(interp.client.link("packetTraces"), body)
    if form == "json":
        return json.dumps(report, indent=2).splitlines()
    if form == "minimal":
        return render_minimal(report).splitlines()
    return render_text(report).splitlines()


def topology(interp: Interpreter, words: list[str]) -> list[str]:
    form, target = "svg", None
    it = iter(words)
    for word in it:
        if word in ("dot", "svg"):
            form = word
        elif word == "file":
            target = next(it, None)
            if target is None:
                raise CliError("Syntax error at: file (needs a path)")
        else:
            raise CliError(f"Syntax error at: {word}")
    picture = interp.client.get(f"{interp.client.link('topology')}?format={form}")
    text = picture if isinstance(picture, str) else json.dumps(picture)
    if target is None:
        return text.splitlines()
    try:
        Path(target).write_text(text)
    except OSError as e:
        raise CliError(f"Cannot write {target}: {e.strerror}") from None
    return [f"wrote the topology ({form}, {len(text)} bytes) to {target}"]
