"""The students' languages: every student-facing text in gettext catalogues for da, sv, de and
en (Babel), kept up to date and complete, and the pages, diagnostics and `grader check` in the
language the course, the run or the student's locale asks for."""
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from grader import i18n
from grader.checks.errors import CheckFailed
from grader.checks.numeric import check_array
from grader.reports.feedback import render_feedback_html, render_feedback_markdown

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "grader" / "locale"
TRANSLATED = ("da", "sv", "de")
PLACEHOLDER = re.compile(r"\{\w*\}|%\(\w+\)[sd]")
# (domain, its extraction config, its folder): the grader's texts, and the hidden suites'
DOMAINS = {"grader": ("babel.cfg", LOCALE),
           "suites": ("babel-suites.cfg", ROOT / "grader" / "suites" / "locale")}
EACH = [(d, lang) for d in DOMAINS for lang in (*TRANSLATED, "en")]


def catalogue(lang: str, domain: str = "grader"):
    with open(DOMAINS[domain][1] / lang / "LC_MESSAGES" / f"{domain}.po", "rb") as f:
        return read_po(f, locale=lang)


def messages(lang: str, domain: str = "grader"):
    return [m for m in catalogue(lang, domain) if m.id]


def template(path: Path) -> set:
    with open(path, "rb") as f:
        return {m.id for m in read_po(f) if m.id}


def pybabel(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=cwd,
                          capture_output=True, text=True)


# --- the catalogues ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def fresh_templates(tmp_path_factory):
    """The texts the code marks today, per domain, extracted as `make i18n` does."""
    folder = tmp_path_factory.mktemp("pot")
    for domain, (config, _) in DOMAINS.items():
        done = pybabel("extract", "-F", config, "-k", "N_", "-k", "ngettext:1,2",
                       "--no-location", "--sort-output", "-w", "100",
                       "-o", str(folder / f"{domain}.pot"), ".")
        assert done.returncode == 0, done.stderr[-2000:]
    return folder


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_catalogues_hold_exactly_the_texts_the_code_marks(fresh_templates, domain):
    """A text added, changed or removed in the code without `make i18n` fails here."""
    folder = DOMAINS[domain][1]
    done = pybabel("update", "--check", "-i", str(fresh_templates / f"{domain}.pot"),
                   "-d", str(folder), "-D", domain, "--ignore-pot-creation-date",
                   "--ignore-obsolete", "-w", "100")
    assert done.returncode == 0, (done.stdout + done.stderr)[-2000:]
    fresh = template(fresh_templates / f"{domain}.pot")
    assert fresh == template(folder / f"{domain}.pot")
    assert len(fresh) > 150      # pages, check, checks, sandbox; the suites' 178 test titles


def test_no_hidden_suite_text_is_in_the_catalogue_students_get(fresh_templates):
    """The student bundle ships grader/locale (not the suites): a hidden test's title or
    message in it would tell students what a withheld test checks."""
    grader, suites = (template(fresh_templates / f"{d}.pot") for d in DOMAINS)
    hidden_only = suites - grader
    assert "R² on the hidden diabetes test split" in hidden_only
    assert not hidden_only & template(LOCALE / "grader.pot")


@pytest.mark.parametrize("domain, lang", EACH)
def test_every_text_is_translated_in_every_language(domain, lang):
    untranslated = [m.id for m in messages(lang, domain)
                    if "fuzzy" in m.flags or not all(m.string if isinstance(m.string, tuple)
                                                     else [m.string])]
    assert untranslated == []
    assert catalogue(lang, domain).plural_forms        # the language's own plural rule


@pytest.mark.parametrize("domain, lang", [e for e in EACH if e[1] != "en"])
def test_a_translation_keeps_every_placeholder(domain, lang):
    lost = []
    for m in messages(lang, domain):
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        want = sorted(set(PLACEHOLDER.findall(ids[-1])) | set(PLACEHOLDER.findall(ids[0])))
        for s in strings:
            if sorted(set(PLACEHOLDER.findall(s))) != want:
                lost.append((m.id, s))
    assert lost == []


def test_the_placeholder_check_catches_a_lost_placeholder():
    m = next(m for m in messages("da") if m.id == "Checked {what}.")
    assert PLACEHOLDER.findall(m.string) == ["{what}"]
    assert PLACEHOLDER.findall("Testede.") != PLACEHOLDER.findall(m.id)


@pytest.mark.parametrize("domain, lang", EACH)
def test_pybabel_compile_finds_no_error_in_a_catalogue(domain, lang):
    """What `pybabel compile` (make i18n) refuses: a translation whose %-placeholders do not
    match the msgid's (Babel takes a literal "25% of" for a "% o" placeholder)."""
    errors = [(m.id, [str(e) for e in errs]) for m, errs in catalogue(lang, domain).check()]
    assert errors == []


@pytest.mark.parametrize("domain, lang", EACH)
def test_the_compiled_catalogue_is_the_one_its_po_file_gives(domain, lang):
    buffer = io.BytesIO()
    write_mo(buffer, catalogue(lang, domain))
    mo = DOMAINS[domain][1] / lang / "LC_MESSAGES" / f"{domain}.mo"
    assert mo.read_bytes() == buffer.getvalue()


# --- choosing the language --------------------------------------------------------------

def test_a_language_is_named_as_people_write_it():
    assert [i18n.checked(x) for x in ("da", "da_DK.UTF-8", "de-AT", "SV", "en_GB")] == \
        ["da", "da", "de", "sv", "en"]
    with pytest.raises(i18n.LanguageError):
        i18n.checked("fr")


def test_the_students_locale_is_read_in_gettexts_order():
    assert i18n.from_locale({"LANG": "da_DK.UTF-8"}) == "da"
    assert i18n.from_locale({"LANGUAGE": "sv:en", "LANG": "de_DE.UTF-8"}) == "sv"
    assert i18n.from_locale({"LC_ALL": "de_DE.UTF-8", "LANG": "da_DK.UTF-8"}) == "de"
    assert i18n.from_locale({"LANG": "C.UTF-8"}) is None            # no choice: the course's
    assert i18n.from_locale({"LANG": "fr_FR.UTF-8"}) is None
    assert i18n.from_locale({}) is None


def test_numbers_are_written_as_the_language_writes_them():
    with i18n.use("da"):
        assert (i18n.decimal(7.5), i18n.decimal(10.0), i18n.decimal(1 / 3)) == ("7,5", "10", "0,33")
        assert i18n.num(0.0123, ".2g") == "0,012" and i18n.num(1e-6) == "1e-06"
    assert (i18n.decimal(7.5), i18n.num(0.0123, ".2g")) == ("7.5", "0.012")
    with i18n.use("de"):
        assert i18n.decimal(1234.5) == "1234,5"          # no grouping: a score, not an amount


# --- what a student reads -----------------------------------------------------------------

def _result():
    return {"score": 7.5, "max_score": 10.0, "output": "", "visibility": "visible",
            "tests": [
                {"name": "softmax rows", "score": 0.0, "max_score": 2.5, "visibility": "visible",
                 "output": "softmax: 3 of 4 values are wrong",
                 "extra_data": {"verdict": "wrong answer", "function": "softmax"}},
                {"name": "relu values [float32]", "score": 7.5, "max_score": 7.5, "visibility": "visible",
                 "output": "", "extra_data": {"verdict": "pass", "function": "relu"}}],
            "extra_data": {"student": "alice", "assignment": "01_numpy_forward",
                           "verdict": "graded", "graded_at": "2026-12-04T05:00:00+00:00"}}


# a heading, a verdict, the score, a test's title with its parameters
PAGE_WORDS = {"en": ("Fix these first", "wrong answer", "7.5 / 10", "relu values [float32]"),
              "da": ("Ret disse først", "forkert svar", "7,5 / 10", "relu-værdier [float32]"),
              "sv": ("Rätta dessa först", "fel svar", "7,5 / 10", "relu-värden [float32]"),
              "de": ("Behebe zuerst diese", "falsche Antwort", "7,5 / 10", "relu-Werte [float32]")}


@pytest.mark.parametrize("lang", list(PAGE_WORDS))
def test_a_feedback_page_is_in_the_language_in_use(lang):
    with i18n.use(lang):
        md, html = render_feedback_markdown(_result()), render_feedback_html(_result())
    for page in (md.replace("\\", ""), html):         # Markdown escapes the brackets
        assert all(word in page for word in PAGE_WORDS[lang]), page[:600]
    assert f'<html lang="{lang}">' in html
    others = [words[0] for other, words in PAGE_WORDS.items() if other != lang]
    assert not any(word in md for word in others)
    assert i18n.language() == "en"          # `use` gives the language back


def test_a_checks_diagnostic_is_in_the_language_in_use():
    got, want = np.array([1.0, 2.5]), np.array([1.0, 2.0])
    with i18n.use("de"), pytest.raises(CheckFailed) as caught:
        check_array(got, want, what="relu(z)")
    assert str(caught.value).startswith("relu(z): 1 von 2 Werten sind falsch")
    assert "relativer Fehler 0,2" in str(caught.value)
    with pytest.raises(CheckFailed) as caught:
        check_array(got, want, what="relu(z)")
    assert str(caught.value).startswith("relu(z): 1 of 2 values are wrong")


def test_an_unknown_language_is_one_line_and_a_usage_error(tmp_path):
    done = subprocess.run([sys.executable, "-m", "grader", "report", str(tmp_path),
                           "--lang", "fr"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "grader: error: unknown language 'fr'; the grader speaks en, da, sv, de"]


def test_grader_check_speaks_the_students_locale(tmp_path):
    """The untouched stub checked by a student whose locale is Danish, one whose locale is
    German, and one who asks for Swedish."""
    from grader.course import load_assignment

    stub = load_assignment("01_numpy_forward").stub_dir
    env_base = {k: v for k, v in os.environ.items()
                if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
    said = {}
    for key, env, extra in (("da", {"LANG": "da_DK.UTF-8"}, []), ("de", {"LC_ALL": "de_DE.UTF-8"}, []),
                            ("sv", {"LANG": "da_DK.UTF-8"}, ["--lang", "sv"])):
        done = subprocess.run([sys.executable, "-m", "grader", "check", "01_numpy_forward",
                               str(stub), *extra], capture_output=True, text=True, cwd=tmp_path,
                              env={**env_base, **env})
        assert done.returncode == 1, done.stderr[-2000:]
        said[key] = done.stdout
    assert said["da"].startswith("Testede forward.py.") and "endnu ikke implementeret" in said["da"]
    assert "  FEJL  sigmoid-værdier" in said["da"]          # a public test's title, translated
    assert "offentlige test bestået" in said["da"]
    assert said["de"].startswith("Getestet: forward.py.") and "noch nicht implementiert" in said["de"]
    assert said["sv"].startswith("Testade forward.py.") and "ännu inte implementerad" in said["sv"]


def test_the_course_language_gives_danish_pages_with_the_same_scores(tmp_path):
    """A result graded in English, its pages rebuilt by `grader report` with course.toml's
    language = "da" and with --lang de: the words change, the scores do not."""
    grades = tmp_path / "grades"
    folder = grades / "alice" / "01_numpy_forward"
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps(_result()))
    course = tmp_path / "course"
    course.mkdir()
    (course / "assignments").symlink_to(ROOT / "assignments")
    (course / "course.toml").write_text('language = "da"\n')
    env = {**os.environ, "GRADER_COURSE_DIR": str(course)}
    for lang_args, words in (([], PAGE_WORDS["da"]), (["--lang", "de"], PAGE_WORDS["de"])):
        done = subprocess.run([sys.executable, "-m", "grader", "report", str(grades),
                               *lang_args], capture_output=True, text=True, env=env, cwd=ROOT)
        assert done.returncode == 0, done.stderr[-2000:]
        page = (folder / "feedback.md").read_text().replace("\\", "")
        assert all(w in page for w in words), page[:500]
    (course / "course.toml").write_text('language = "fr"\n')
    done = subprocess.run([sys.executable, "-m", "grader", "report", str(grades)],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == 2 and "course.toml" in done.stderr and "'fr'" in done.stderr


def test_a_result_graded_in_another_language_is_graded_again(tmp_path):
    """Its diagnostics were written in that language: resuming would mix two on a page."""
    from grader import late
    from grader.grading import fingerprint, is_up_to_date, result_path, secret_id
    from grader.submissions import Submission

    folder = tmp_path / "subs" / "alice" / "01_numpy_forward"
    folder.mkdir(parents=True)
    (folder / "forward.py").write_text("x = 1\n")
    sub = Submission("alice", "01_numpy_forward", folder)
    out = tmp_path / "grades"
    path = result_path(out, sub)
    path.parent.mkdir(parents=True)
    result = _result()
    result["extra_data"].update(content_hash=sub.content_hash(), secret_id=secret_id("s"),
                                fingerprint=fingerprint(sub.assignment), internal_errors=0,
                                late_policy=late.policy_id(), language="en")
    path.write_text(json.dumps(result))
    assert is_up_to_date(out, sub, "s")
    with i18n.use("da"):
        assert not is_up_to_date(out, sub, "s")


def test_the_example_class_graded_in_danish_has_danish_pages_and_the_same_scores(tmp_path):
    """The example class's 01 (a perfect one, wrong values, a syntax error, a notebook...)
    graded twice, in English and with --lang da: every score equal, the pages Danish."""
    scores = {}
    for lang in ("en", "da"):
        out = tmp_path / lang
        done = subprocess.run([sys.executable, "-m", "grader", "grade", str(ROOT / "examples" /
                               "submissions"), "-a", "01_numpy_forward", "-s", "alice", "-s",
                               "bob", "-s", "carol", "-s", "erin", "-s", "frank", "--out",
                               str(out), "--lang", lang, "-j", "2", "--json"],
                              capture_output=True, text=True, cwd=ROOT, timeout=900)
        assert done.returncode == 0, done.stderr[-2000:]
        results = {p.parent.parent.name: json.loads(p.read_text())
                   for p in out.glob("*/01_numpy_forward/results.json")}
        assert len(results) == 5
        scores[lang] = {s: (r["score"], r["max_score"], [t["extra_data"]["verdict"]
                                                         for t in r["tests"]])
                        for s, r in results.items()}
        pages = {s: (out / s / "01_numpy_forward" / "feedback.md").read_text() for s in results}
        if lang == "da":
            assert all("Hvad resultaterne betyder" in page for page in pages.values())
            assert "## Ret disse først" in pages["bob"] and "forkert svar" in pages["bob"]
            # a hidden suite's own words, and a check's, in Danish around the code they name
            assert "softmax(z, axis=-1) med elementer op til 1e4 gav en advarsel" in pages["bob"]
            assert "syntaksfejl" in pages["carol"]
            assert all(r["extra_data"]["language"] == "da" for r in results.values())
    assert scores["da"] == scores["en"]
    assert any(score < most for score, most, _ in scores["en"].values())   # failures, too


# --- the assignments' READMEs ----------------------------------------------------------------

CODE_SPAN = re.compile(r"`[^`]+`")


def code_spans(text: str) -> list[str]:
    """The inline code of a Markdown text (outside its code blocks), a span broken over two
    lines counted as one."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return sorted({" ".join(span.split()) for span in CODE_SPAN.findall(text)})


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_assignment_readme_exists_in_every_language_and_says_the_same_code(lang):
    """A translation that drops or renames a function, an argument or a command is caught:
    it keeps every code span, every heading and every code block of the English README."""
    for english in sorted((ROOT / "assignments").glob("*/README.md")):
        translated = english.with_name(f"README.{lang}.md")
        assert translated.is_file(), f"{translated.relative_to(ROOT)} is missing"
        en, tr = english.read_text(encoding="utf-8"), translated.read_text(encoding="utf-8")
        assert code_spans(tr) == code_spans(en), translated.name
        blocks = [re.findall(r"^```.*?^```", text, re.S | re.M) for text in (en, tr)]
        assert blocks[0] == blocks[1], translated
        assert [line.count("#") for line in en.splitlines() if line.startswith("#")] == \
            [line.count("#") for line in tr.splitlines() if line.startswith("#")]


def test_the_student_bundle_ships_the_courses_language(tmp_path):
    from grader import release

    course = tmp_path / "course"
    course.mkdir()
    for name in ("assignments", "solutions", "docs", "pyproject.toml"):
        (course / name).symlink_to(ROOT / name)
    (course / "course.toml").write_text('language = "sv"\n[grading]\nallow_reduced_isolation = true\n')
    dest = tmp_path / "bundle"
    files = set(release.build_student_bundle(dest, root=course, assignment_ids=["02_perceptron"]))
    folder = dest / "assignments" / "02_perceptron"
    assert (folder / "README.md").read_text().startswith("# Uppgift 02 — Perceptronen")
    assert (folder / "README.en.md").read_text().startswith("# Assignment 02 — The perceptron")
    assert (dest / "course.toml").read_text() == 'language = "sv"\n'   # nothing else of it
    assert "assignments/02_perceptron/README.da.md" in files
