"""The Jinja environments of the pages: HTML autoescaped, Markdown escaped by its filters;
both translate with jinja2's i18n extension in the language in use (grader.i18n)."""
from __future__ import annotations

import re
from pathlib import Path

import jinja2

from grader import i18n

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


html_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,  # every template here is HTML; test output and stdout are student-influenced
    undefined=jinja2.StrictUndefined,
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)


def _md_text(text) -> str:
    """One line of Markdown text that renders literally: no HTML, links, emphasis or table breaks."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]|#~!])", r"\\\1", text)


def _md_code(text) -> str:
    """A fenced code block holding `text` verbatim; the fence is longer than any backtick run in it."""
    text = str(text).rstrip("\n")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


md_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=False,  # Markdown is escaped by the md_text and md_code filters instead
    undefined=jinja2.StrictUndefined,
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
md_env.filters["md_text"] = _md_text
md_env.filters["md_code"] = _md_code
for _env in (html_env, md_env):
    # looked up at each call: the language is the one in use when a page is rendered
    _env.install_gettext_callables(lambda message: i18n._(message),
                                   lambda singular, plural, n: i18n.ngettext(singular, plural, n),
                                   newstyle=True)
