"""Issue 18: discourse inputs (text stripping, manifests, lexicons) and the catalog's groups file.

Each test reproduces a failure of the code before the fix: quadratic stripping, manifests quoting files outside
the corpus, and tracebacks instead of one-line InputErrors.
"""

from __future__ import annotations

import time

import pytest

from critmin.discourse.corpus import html_to_text, markdown_to_text

PATHOLOGICAL = ["![", "[", "](", "[a](", "`", "```", "<", "<!--", "<a ", "</", "<!", "<![CDATA[", "&#", "*_",
                "\n# ", "1", "Mr. A ", "<script>", "<script>x<", "<p x='", "<p x=\"y\" "]


@pytest.mark.parametrize("pattern", PATHOLOGICAL)
def test_markdown_and_html_stripping_is_linear_on_1_mib(pattern):
    """156 KiB of '![' took 74 s (each unclosed '![' rescanned the rest of the text)."""
    text = pattern * (1024 * 1024 // len(pattern))
    for fn in (markdown_to_text, html_to_text):
        t0 = time.perf_counter()
        fn(text)
        assert time.perf_counter() - t0 < 0.5, (fn.__name__, pattern)


def test_markdown_stripping_keeps_its_meaning():
    md = ("<!-- hidden -->\n# Title\n> quoted **bold** and _it_\n- ![alt](img.png) and [link text](http://x/)\n"
          "```\ncode()\n```\n[no link] (x) [a [b](u) `tick`")
    out = markdown_to_text(md)
    assert "hidden" not in out and "code()" not in out and "http" not in out and "img.png" not in out
    assert "Title" in out and "quoted bold and it" in out and "alt and link text" in out
    assert "[no link] (x)" in out and "a [b tick" in out


def test_html_stripping_keeps_its_meaning():
    html = ("<html><head><title>T</title><style>p{}</style><script>if (a < b) x()</script></head><body>"
            "<!-- c < d --><p>One &amp; two</p><p>a < b and c > d</p><div>x<br>y</div></body></html>")
    out = html_to_text(html)
    assert "x()" not in out and "p{}" not in out and "c < d" not in out
    assert out.split() == ["T", "One", "&", "two", "a", "<", "b", "and", "c", ">", "d", "x", "y"]
