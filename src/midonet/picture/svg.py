"""DOT to SVG with Graphviz's `dot` (Debian's graphviz package; scripts/bootstrap
installs it)."""

from __future__ import annotations

import shutil
import subprocess

from midonet.errors import MidonetError

TIMEOUT = 20.0


class RenderUnavailable(MidonetError):
    """Graphviz is missing or failed; the message says what to do instead."""


def render_svg(dot_source: str) -> bytes:
    """The SVG drawing of `dot_source`."""
    dot = shutil.which("dot")
    if dot is None:
        raise RenderUnavailable(
            "Graphviz's 'dot' is not installed (apt-get install graphviz);"
            " ask for format=dot to get the source instead"
        )
    try:
        done = subprocess.run(
            [dot, "-Tsvg"],
            input=dot_source.encode(),
            capture_output=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RenderUnavailable(f"Graphviz took longer than {TIMEOUT:.0f}s to draw") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip()
        raise RenderUnavailable(f"Graphviz could not draw the topology: {message}")
    return done.stdout
