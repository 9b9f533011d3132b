"""The class report and the feedback pages opened in headless Chromium: every chart decodes,
the tables are there, links lead to the pages, and nothing is fetched from outside the file."""
from __future__ import annotations

import shutil

import pytest

from grader.reports import write_reports, write_submission_outputs

pytest.importorskip("matplotlib")

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
CHROMEDRIVER = shutil.which("chromedriver")
NOT_INSTALLED = ("chromium and chromedriver are not installed (make test installs the Debian packages "
                 "chromium and chromium-driver where it runs as root with apt)")


def one_test(name, verdict, score, max_score, output="", visibility="visible"):
    return {"name": name, "score": score, "max_score": max_score, "output": output, "visibility": visibility,
            "status": "passed" if verdict in ("pass", "partial") else "failed",
            "extra_data": {"verdict": verdict}}


def result(student, assignment, tests, seconds, verdict="graded", reason=None):
    score = sum(t["score"] for t in tests)
    return {"score": score, "max_score": 6.0, "execution_time": seconds, "output": f"{score} / 6 points.",
            "visibility": "visible", "tests": tests,
            "extra_data": {"student": student, "assignment": assignment, "verdict": verdict, "reason": reason,
                           "internal_errors": 0, "stdout_tail": "epoch 1 loss 0.5", "isolation": "bubblewrap"}}


def a_class(out):
    """Two assignments; a timeout, a crash, a syntax error, an ungradable notebook, one slow run."""
    ok = [one_test("softmax values", "pass", 2, 2), one_test("relu values", "pass", 2, 2),
          one_test("tanh values", "pass", 2, 2)]
    results = [
        result("alice", "01_numpy_forward", ok, 1.5),
        result("bob", "01_numpy_forward", [
            one_test("softmax values", "timeout", 0, 2, "softmax(z) did not return within 2 s"),
            one_test("relu values", "pass", 2, 2),
            one_test("tanh values", "wrong answer", 0, 2, "tanh(z) for z: (4, 5) float64: 3 of 20 values are wrong")],
            42.0),
        result("carol", "01_numpy_forward", [one_test(t["name"], "syntax error", 0, 2, "line 3") for t in ok], 0.8),
        result("dave", "01_numpy_forward", [], 0.1, verdict="ungradable", reason="invalid notebook: not JSON"),
        result("alice", "02_perceptron", [one_test("fit converges", "crashed", 0, 3, "killed by SIGSEGV"),
                                          one_test("predict", "pass", 3, 3)], 3.0),
        result("bob", "02_perceptron", [one_test("fit converges", "partial", 1.5, 3),
                                        one_test("predict", "pass", 3, 3)], 2.0),
    ]
    for r in results:
        write_submission_outputs(out, r)
    write_reports(out)
    return out


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (the dev extra has it)")
    from selenium.webdriver.chrome.service import Service

    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip(NOT_INSTALLED)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # --no-sandbox: Chromium refuses to start as root (CI) with its own sandbox on.
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1024"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


# Per image: alt, natural size, and the opaque share of its last row of pixels once decoded.
DECODED_IMAGES = """
const done = arguments[arguments.length - 1];
Promise.all(Array.from(document.images, img => img.decode().then(() => {
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const context = canvas.getContext('2d');
  context.drawImage(img, 0, 0);
  const row = context.getImageData(0, canvas.height - 1, canvas.width, 1).data;
  let opaque = 0;
  for (let k = 3; k < row.length; k += 4) if (row[k] === 255) opaque++;
  return [img.alt, img.naturalWidth, img.naturalHeight, opaque / canvas.width];
}, error => [img.alt, 0, 0, error.name]))).then(done);
"""


def cells(driver, table):
    """The text of every body cell of a table, row by row."""
    return [[" ".join(td.text.split()) for td in row.find_elements("css selector", "td")]
            for row in driver.find_elements("css selector", f"{table} tbody tr")]


def open_page(driver, path):
    driver.get(path.resolve().as_uri())
    assert driver.execute_script("return document.readyState") == "complete"


def texts(driver, selector):
    return [" ".join(e.text.split()) for e in driver.find_elements("css selector", selector)]


def test_the_class_report_renders_its_charts_and_tables(browser, tmp_path):
    out = a_class(tmp_path)
    open_page(browser, out / "report.html")
    images = browser.execute_async_script(DECODED_IMAGES)
    alts = [alt for alt, *_ in images]
    assert alts == ["failures by verdict across the class",
                    "score histogram of 01_numpy_forward", "pass rate per test of 01_numpy_forward",
                    "score histogram of 02_perceptron", "pass rate per test of 02_perceptron"]
    for alt, width, height, last_row_drawn in images:
        assert width > 100 and height > 50, alt
        # A truncated PNG still has its size, but its last rows stay transparent; matplotlib's
        # background is opaque white, so a wholly decoded chart has an opaque last row.
        assert last_row_drawn == 1, alt
    # Self-contained: the page fetched nothing (data: images are not resources).
    fetched = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith('data:'))")
    assert fetched == []

    summary = cells(browser, "#summary")
    assert [row[:3] for row in summary] == [["01_numpy_forward", "4", "2"], ["02_perceptron", "2", "3.75"]]
    verdicts = {row[0]: row[1:] for row in cells(browser, "#verdicts")}
    # per assignment the submissions with such a test, then all submissions and all tests
    assert verdicts == {"wrong answer": ["1", "", "1", "1"], "syntax error": ["1", "", "1", "3"],
                        "timeout": ["1", "", "1", "1"], "crashed": ["", "1", "1", "1"],
                        "ungradable": ["1", "", "1", ""]}
    slowest = cells(browser, "#slowest")
    assert slowest[0] == ["bob / 01_numpy_forward", "42.0", "wrong answer 1, timeout 1"] and len(slowest) == 6
    assert "dave: invalid notebook: not JSON" in browser.find_element("tag name", "body").text
    assert len(browser.find_elements("css selector", "table.tests")) == 2

    browser.find_element("link text", "bob / 01_numpy_forward").click()
    assert browser.find_element("tag name", "h1").text == "Feedback: 01_numpy_forward"


def test_a_feedback_page_renders_its_tests_and_explanations(browser, tmp_path):
    out = a_class(tmp_path)
    open_page(browser, out / "bob" / "01_numpy_forward" / "feedback.html")
    rows = texts(browser, "tbody tr")
    assert len(rows) == 3
    # each failure's text once, in "Fix these first" above the table; its row points there
    assert rows[0] == "softmax values 0 / 2 timeout shown in “Fix these first” above"
    assert texts(browser, "h3") == ["other tests: 2 tests failed, 4 points lost"]
    body = browser.find_element("tag name", "body").text
    assert body.count("softmax(z) did not return within 2 s") == 1
    assert body.count("3 of 20 values are wrong") == 1
    assert browser.find_element("class name", "score").text == "Score: 2 / 6"
    legend = texts(browser, "dt")
    assert legend == ["pass", "wrong answer", "timeout"]
    open_page(browser, out / "bob" / "feedback.html")
    # each assignment with its title, score and the day graded; the total below
    rows = texts(browser, "tbody tr")
    assert [r.split(" 20")[0] for r in rows] == ["01_numpy_forward Numpy forward pass 2 / 6",
                                                 "02_perceptron The perceptron 4.5 / 6"]
    assert texts(browser, "tfoot tr") == ["Total 6.5 / 12"]
    browser.find_element("link text", "02_perceptron").click()
    assert browser.find_element("tag name", "h1").text == "Feedback: 02_perceptron"


def test_the_report_opens_with_a_gradebook_that_sorts_links_and_fits_1280_px(browser, tmp_path):
    out = a_class(tmp_path / "grades")
    browser.set_window_size(1280, 900)
    open_page(browser, out / "report.html")
    browser.save_screenshot(str(tmp_path / "report-1280.png"))     # for a person to look at
    book = cells(browser, "#gradebook-table")
    # every student; dave (ungradable) first; a cell is the score of its assignment
    assert [row[0] for row in book] == ["dave", "alice", "bob", "carol"]
    assert book[0][-1] == "ungradable" and book[2][1:3] == ["2 / 6", "4.5 / 6"]
    header = browser.find_elements("css selector", "#gradebook-table thead th")
    header[-2].click()                                  # total, ascending
    totals = [row[-2] for row in cells(browser, "#gradebook-table")]
    assert totals == sorted(totals, key=lambda t: float(t.split(" / ")[0]))
    header[-2].click()                                  # and descending
    assert [row[-2] for row in cells(browser, "#gradebook-table")] == totals[::-1]
    # per test, the students who failed it, a click away
    failing = browser.find_elements("css selector", "table.tests details")
    assert failing
    failing[0].click()
    assert failing[0].find_elements("css selector", "a")
    # nothing is wider than the window
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 1280
    # the links resolve: a student's overview, then a submission's page
    browser.find_element("link text", "bob").click()
    assert browser.find_element("tag name", "h1").text == "Feedback: bob"
    browser.back()
    browser.find_element("css selector", "#gradebook-table a[href='alice/02_perceptron/feedback.html']").click()
    assert browser.find_element("tag name", "h1").text == "Feedback: 02_perceptron"
    browser.save_screenshot(str(tmp_path / "feedback-1280.png"))


def test_the_gradebook_of_every_assignment_fits_1280_px_without_scrolling(browser, tmp_path):
    from grader.course import list_assignments

    out = tmp_path / "grades"
    for student in ("alice", "bartholomew", "carol"):
        for a in list_assignments():
            verdict = "wrong answer" if student == "carol" else "pass"
            write_submission_outputs(out, result(student, a, [one_test("t", verdict, 6, 6)], 1.0))
    write_reports(out)
    browser.set_window_size(1280, 900)
    open_page(browser, out / "report.html")
    browser.save_screenshot(str(tmp_path / "gradebook-all-assignments.png"))
    for table in ("#gradebook-table", "#verdicts"):
        width, box = browser.execute_script(
            f"var t = document.querySelector('{table}');"
            "return [t.scrollWidth, t.parentElement.clientWidth]")
        assert width <= box, (table, width, box)     # every column visible, the last included
