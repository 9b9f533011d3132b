"""The language a student reads: gettext catalogues under grader/locale/, numbers by Babel.

One language is in use per process: the course's (`language` in course.toml), a run's
`--lang`, or, for `grader check` and the notebook check, the student's locale. Texts are
marked with `_` (translated where they are said) or `N_` (kept as English keys and
translated where they are shown, e.g. the verdict words). `make i18n` extracts, updates and
compiles the catalogues with Babel.

Two catalogues: the grader's own texts (domain "grader", grader/locale/, shipped to students
with `grader check`), and the hidden suites' titles and diagnostics (domain "suites", in the
suites' folder, grader/suites/locale/), which never leave the instructor's side: the
student bundle has no suites, and a withheld test's title is no student's business.
"""
from __future__ import annotations

import contextlib
import gettext
import os
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "grader"
SUITES_DOMAIN = "suites"            # its catalogues: <suites dir>/locale/
LANGUAGES = ("en", "da", "sv", "de")     # English is the source language
DEFAULT = "en"

_translations: dict[tuple[str, Path], gettext.NullTranslations] = {}
_current = DEFAULT
_active: gettext.NullTranslations = gettext.NullTranslations()


class LanguageError(ValueError):
    """A language the grader has no catalogue for (one readable line)."""


def checked(lang: str) -> str:
    """`lang` ("da", "da_DK.UTF-8", "de-AT") as one of LANGUAGES, or LanguageError."""
    code = str(lang).strip().replace("-", "_").split(".")[0].split("@")[0].split("_")[0].lower()
    if code not in LANGUAGES:
        raise LanguageError(f"unknown language {lang!r}; the grader speaks "
                            f"{', '.join(LANGUAGES)}")
    return code


def _suites_locale() -> Path:
    from grader.course import suites_dir
    return suites_dir() / "locale"


def _catalogue(lang: str) -> gettext.NullTranslations:
    key = (lang, _suites_locale())
    if key not in _translations:
        if lang == DEFAULT:
            found = gettext.NullTranslations()
        else:
            # a missing catalogue of the grader is the package's fault, never silently
            # English; the suites' is absent in the student bundle (and for suites kept
            # elsewhere without one): their texts stay English
            found = gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang])
            found.add_fallback(gettext.translation(SUITES_DOMAIN, key[1], languages=[lang],
                                                   fallback=True))
        _translations[key] = found
    return _translations[key]


def set_language(lang: str) -> str:
    """Use `lang` from now on in this process; returns the previous language."""
    global _current, _active
    lang = checked(lang)
    _active = _catalogue(lang)
    previous, _current = _current, lang
    return previous


def language() -> str:
    return _current


@contextlib.contextmanager
def use(lang: str | None):
    """`lang` for the block (None: leave the language as it is)."""
    if lang is None:
        yield
        return
    previous = set_language(lang)
    try:
        yield
    finally:
        set_language(previous)


def _(message: str) -> str:
    """`message` in the current language."""
    return _active.gettext(message)


def N_(message: str) -> str:
    """Marks `message` for the catalogue; it is translated later, where it is shown."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or the plural, as the current language counts `n`."""
    return _active.ngettext(singular, plural, n)


def decimal(x: float, digits: int = 2) -> str:
    """A number as the current language writes it, with up to `digits` decimals and no
    trailing zeros: 7.5 -> "7,5" in Danish, "7.5" in English."""
    from babel.numbers import format_decimal

    x = round(float(x), digits)
    return format_decimal(0.0 if x == 0 else x, format="#,##0." + "#" * digits, locale=_current,
                          group_separator=False)


def from_locale(environ=None) -> str | None:
    """The language the student's locale asks for, in gettext's order (LANGUAGE, LC_ALL,
    LC_MESSAGES, LANG), when it is one of ours; None for C/POSIX, unset or another one."""
    environ = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        for part in value.split(":"):
            if part and part not in ("C", "POSIX") and not part.startswith(("C.", "POSIX.")):
                try:
                    return checked(part)
                except LanguageError:
                    continue
        if value:
            return None      # the first one set decides, as gettext's own lookup does
    return None


def course_language(config: dict) -> str:
    """`language` of course.toml (default English), checked."""
    value = config.get("language", DEFAULT)
    try:
        return checked(value)
    except LanguageError as exc:
        from grader.course import CourseError
        raise CourseError(f"course.toml: {exc}") from None


def write_course_language(dest: Path, lang: str) -> None:
    """`dest`/course.toml holding only the course's language, for what leaves the
    instructor's course (the student bundle, the Gradescope autograder)."""
    from grader.course import COURSE_CONFIG
    (dest / COURSE_CONFIG).write_text(f'language = "{checked(lang)}"\n', encoding="utf-8")


def for_course(explicit: str | None = None) -> str:
    """The language of an instructor's run: `--lang`, else the course's."""
    if explicit:
        return checked(explicit)
    from grader.course import course_config
    return course_language(course_config())


def for_student(explicit: str | None = None) -> str:
    """The language of `grader check` and the notebook check: `--lang` (or check(lang=...)),
    else the student's locale where it names one of ours, else the course's."""
    if explicit:
        return checked(explicit)
    return from_locale() or for_course()


def num(x: float, spec: str = "g") -> str:
    """`format(x, spec)` ("g", ".3g", ".4f", ".0%") with the current language's decimal sign:
    a relative error of "0,012" in Danish."""
    from babel.numbers import get_decimal_symbol

    text = format(x, spec)
    symbol = get_decimal_symbol(_current)
    return text if symbol == "." else text.replace(".", symbol)


def fill_english(po_path: Path) -> None:
    """English is the source language: its catalogue says each text as it is written (make
    i18n), so that every language has every message."""
    from babel.messages.pofile import read_po, write_po

    with open(po_path, "rb") as f:
        catalogue = read_po(f, locale=DEFAULT)
    for message in catalogue:
        if message.id:
            message.string = message.id
            message.flags.discard("fuzzy")
    with open(po_path, "wb") as f:
        write_po(f, catalogue, width=100)



# --- test titles: the suites' and the public tests' names, as a student reads them ----------

def test_title(function_name: str, doc: str | None) -> str:
    """A test's title in English: its docstring's first line, else its name in words
    ("test_relu_values" -> "relu values"). Its parameters are added by the caller."""
    if doc and doc.strip():
        return doc.strip().splitlines()[0].rstrip(".")
    return function_name.removeprefix("test_").replace("_", " ")


def shown_title(name: str) -> str:
    """A test's title as results.json keeps it ("relu values [float32]"), in the language in
    use; the parameters stay as they are (they are code)."""
    base, bracket, params = str(name).partition(" [")
    return _(base) + (bracket + params if bracket else "")


def extract_test_titles(fileobj, keywords, comment_tags, options):
    """A Babel extraction method (babel.cfg) for test files: every test function's title, and
    the file's gettext calls as Babel's Python method finds them."""
    import ast
    import io

    from babel.messages.extract import extract_python

    source = fileobj.read()
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                node.name.startswith("test_"):
            yield (node.lineno, None, test_title(node.name, ast.get_docstring(node)),
                   ["a test's title"])


if __name__ == "__main__":      # make i18n: python -m grader.i18n english
    import sys
    if sys.argv[1:] != ["english"]:
        sys.exit("usage: python -m grader.i18n english")
    for folder, domain in ((LOCALE_DIR, DOMAIN), (_suites_locale(), SUITES_DOMAIN)):
        fill_english(folder / DEFAULT / "LC_MESSAGES" / f"{domain}.po")
