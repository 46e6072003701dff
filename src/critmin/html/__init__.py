"""One family of HTML pages for every critmin output, one plotly.js file per output folder, one colour per economy.

Every page (monitor report, stress chart, KB timeline, discourse report, criticality figures) is rendered from
``templates/base.html.j2`` and loads plotly.js from :data:`ASSET_NAME` written once beside it, instead of
inlining the 4.8 MB library in each page: a folder of reports carries one copy, each page stays small, and the
pages still open offline as long as the folder is kept together (the footer says so).

Colours: :func:`economy_colour` gives an economy the same colour in every chart of every output (China red,
the EU blue, …; other codes a stable colour from a palette, chosen by the code, not by the order of traces).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from critmin.atomic import write_text, write_with

ASSET_NAME = "plotly.min.js"

# Fixed colours for the economies analysts compare most often (colour-blind-safe where pairs meet).
ECONOMY_COLOURS: dict[str, str] = {
    "CHN": "#c0392b", "USA": "#1f4e9c", "EU27": "#2e86c1", "EU28": "#5dade2", "EU": "#2e86c1",
    "JPN": "#8e44ad", "KOR": "#16a085", "DEU": "#34495e", "FRA": "#2980b9", "GBR": "#7f8c8d",
    "IND": "#e67e22", "AUS": "#d4ac0d", "CAN": "#a93226", "RUS": "#6e2c00", "BRA": "#27ae60",
    "ZAF": "#b9770e", "COD": "#7d6608", "CHL": "#0e6655", "IDN": "#af601a", "G7": "#1b4f72",
    "MSP": "#117864", "OECD": "#5b2c6f",
}
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
           "#aec7e8", "#ffbb78", "#98df8a", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5"]


def economy_colour(code: str) -> str:
    """The colour of an economy (ISO3 or group id) in every critmin chart."""
    code = str(code).strip().upper()
    if code in ECONOMY_COLOURS:
        return ECONOMY_COLOURS[code]
    import zlib

    return PALETTE[zlib.crc32(code.encode()) % len(PALETTE)]


def write_asset(folder: str | Path) -> Path:
    """Write plotly.js into ``folder`` as :data:`ASSET_NAME` unless the same version is already there."""
    from plotly.offline import get_plotlyjs

    path = Path(folder) / ASSET_NAME
    js = get_plotlyjs()
    if path.exists() and path.stat().st_size == len(js.encode("utf-8")):
        return path
    return write_text(path, js)


def figure_div(fig, div_id: str | None = None) -> str:
    """A figure as a ``<div>`` for a page that loads the shared plotly.js (no library inlined)."""
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


def environment(*packages: str):
    """A Jinja environment that finds ``base.html.j2`` and the templates of ``packages`` (their ``templates``
    folders), autoescaping everything."""
    from importlib import resources

    import jinja2

    folders = [resources.files(p) / "templates" for p in (*packages, "critmin.html")]

    def load(name: str) -> str:
        for f in folders:
            if (f / name).is_file():
                return (f / name).read_text(encoding="utf-8")
        raise jinja2.TemplateNotFound(name)

    return jinja2.Environment(loader=jinja2.FunctionLoader(load),
                              autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
                              trim_blocks=True, lstrip_blocks=True)


def page_context(title: str, lang: str = "en", *, subtitle: str | None = None, notes: list[str] | None = None,
                 plotly: bool = True) -> dict[str, Any]:
    """What ``base.html.j2`` needs beside the content."""
    import sys

    from critmin.i18n import current_lang, t

    lang = current_lang(lang)
    version = sys.modules["critmin"].__version__  # the root package is loaded before any of its modules
    return {"title": title, "subtitle": subtitle, "notes": notes or [], "lang": lang, "version": version,
            "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "plotly_src": ASSET_NAME if plotly else None, "asset_note": t("html.asset_note", lang, asset=ASSET_NAME)}


def write_page(path: str | Path, title: str, body: str, lang: str = "en", *, subtitle: str | None = None,
               notes: list[str] | None = None, plotly: bool = True) -> Path:
    """Render ``body`` (trusted HTML built by critmin) in the base template to ``path``, atomically, with the
    shared plotly.js beside it."""
    path = Path(path)
    html = environment().get_template("base.html.j2").render(
        body=body, **page_context(title, lang, subtitle=subtitle, notes=notes, plotly=plotly))
    write_with(path, lambda tmp: Path(tmp).write_text(html, encoding="utf-8"))  # an error names the page
    if plotly:
        write_asset(path.parent)
    return path


def write_figure_page(path: str | Path, fig, title: str | None = None, lang: str = "en",
                      notes: list[str] | None = None) -> Path:
    """One figure as a page of the family (the figure's own title heads the page when ``title`` is None)."""
    if title is None:
        title = (fig.layout.title.text or "critmin") if fig.layout.title else "critmin"
        import re

        title = re.sub(r"<[^>]+>", " ", title).strip()  # plotly titles may hold <br> / <sup>
    return write_page(path, title, figure_div(fig), lang, notes=notes)


__all__ = ["ASSET_NAME", "ECONOMY_COLOURS", "economy_colour", "environment", "figure_div", "page_context",
           "write_asset", "write_figure_page", "write_page"]
