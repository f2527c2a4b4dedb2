"""The read-only web page that shows the topology picture (served by the cluster)."""

from __future__ import annotations

import html

LEGEND = (
    ("lightblue", "router"),
    ("palegreen", "bridge; exterior port active on its host"),
    ("salmon", "exterior port bound, not active"),
    ("white", "exterior port not bound; host whose agent is down"),
    ("gainsboro", "host whose agent is alive"),
)


def page(svg: bytes, *, title: str, refresh_seconds: int = 0) -> bytes:
    """An HTML document with the SVG inline (no script: it renders anywhere)."""
    body = svg.decode()
    if body.startswith("<?xml"):
        body = body[body.index("?>") + 2 :]
    start = body.find("<svg")
    body = body[start:] if start >= 0 else body  # drop the XML prolog and DOCTYPE
    legend = "".join(
        f'<li><span class="swatch" style="background:{color}"></span>{html.escape(text)}</li>'
        for color, text in LEGEND
    )
    refresh = (
        f'<meta http-equiv="refresh" content="{refresh_seconds}">' if refresh_seconds > 0 else ""
    )
    document = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
{refresh}
<title>{html.escape(title)}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 1em 2em; }}
.swatch {{ display: inline-block; width: 1em; height: 1em; border: 1px solid #555;
           margin-right: .5em; vertical-align: middle; }}
ul.legend {{ list-style: none; padding: 0; display: flex; gap: 1.5em; flex-wrap: wrap; }}
#topology svg {{ max-width: 100%; height: auto; }}
</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<ul class="legend">{legend}</ul>
<p>Dashed edges bind an exterior port to a host (labelled with the interface).
Hover a node for its id. Also: <a href="?format=svg">SVG</a>, <a href="?format=dot">DOT</a>.</p>
<div id="topology">{body}</div>
</body>
</html>
"""
    return document.encode()
