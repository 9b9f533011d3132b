# Set-up and the project's own checks. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PIP := $(BIN)/pip install -q --disable-pip-version-check -c constraints.txt

.PHONY: install sandbox browser demo test bench mutation gpu-check release-check clean i18n

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -e '.[dev,course,cluster,tensorflow]'
	touch $(STAMP)

# A missing tool is a note on a person's machine, and an error in CI (CI=1, set by .ci/run):
# CI must never pass by skipping the tests that need it.
MISSING = if [ -n "$$CI" ]; then echo "error (CI must not skip): $$what" >&2; exit 1; \
	  else echo "note: $$what"; fi

# bubblewrap gives the full sandbox; without it `grader grade` refuses to grade unless asked
# to run in the reduced-isolation mode.
sandbox:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq >/dev/null && apt-get install -y -qq bubblewrap >/dev/null; fi; \
	  command -v bwrap >/dev/null 2>&1 || { what="bubblewrap is not installed; grader grade needs it (or --allow-reduced-isolation)"; $(MISSING); }; }

# Headless Chromium and its driver for the test that opens the class report in a browser;
# without them (no root, no apt, no network) that test is skipped with its reason.
browser:
	@{ command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	        --no-install-recommends chromium chromium-driver >/dev/null; } || true; fi; \
	  { command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; } \
	    || { what="chromium/chromedriver are not installed; the browser test will be skipped"; $(MISSING); }; }

install: $(STAMP) sandbox

demo: install
	$(BIN)/grader demo

test: install browser
	$(BIN)/python -m pytest tests

# The students' languages: two gettext domains, the grader's texts (babel.cfg ->
# grader/locale/) and the hidden suites' (babel-suites.cfg -> grader/suites/locale/, never in
# the student bundle). Extract every marked text, add the new ones to each catalogue, compile.
# A new or changed text then stands untranslated in da, sv and de: translate it there and run
# this again (tests/test_i18n.py fails until every text is translated and compiled).
LANGS := da sv de en
BABEL_OPTS := -w 100
DOMAINS := grader:babel.cfg:grader/locale suites:babel-suites.cfg:grader/suites/locale
i18n: install
	for spec in $(DOMAINS); do \
	  domain=$${spec%%:*}; rest=$${spec#*:}; cfg=$${rest%%:*}; dir=$${rest#*:}; \
	  mkdir -p $$dir; $(BIN)/pybabel -q extract -F $$cfg -k N_ -k ngettext:1,2 --no-location --sort-output \
	    --project=nn-autograder --version=0.1 --copyright-holder=nn-autograder \
	    --msgid-bugs-address="course staff" $(BABEL_OPTS) -o $$dir/$$domain.pot . || exit 1; \
	  for lang in $(LANGS); do \
	    if [ -f $$dir/$$lang/LC_MESSAGES/$$domain.po ]; then \
	      $(BIN)/pybabel -q update -i $$dir/$$domain.pot -d $$dir -D $$domain -l $$lang \
	        --ignore-pot-creation-date --ignore-obsolete $(BABEL_OPTS) || exit 1; \
	    else $(BIN)/pybabel -q init -i $$dir/$$domain.pot -d $$dir -D $$domain -l $$lang \
	        $(BABEL_OPTS) || exit 1; fi; done; done
	$(BIN)/python -m grader.i18n english
	for spec in $(DOMAINS); do domain=$${spec%%:*}; dir=$${spec##*:}; \
	  $(BIN)/pybabel compile -d $$dir -D $$domain --statistics || exit 1; done

bench: install
	$(PIP) -e '.[dev,course,bench]'
	$(BIN)/python bench/bench_grading.py
	$(BIN)/python bench/bench_torch.py
	$(BIN)/python bench/bench_cluster.py

# Every generated mutant of every reference, graded (about 20 minutes on 2 cores); CI runs a
# fixed sample of them (tests/test_generated_mutants.py).
mutation: install
	$(BIN)/grader validate --generated --report mutation

# On a machine with an NVIDIA GPU and a CUDA build of torch: the GPU tests, none skipped.
# On a GPU machine: installs the CUDA build of the pinned torch where the CPU build is, then
# prints the GPU decision with the probe's evidence and grades the 05 reference and a
# device-ignoring mutant. Without a GPU it ends with a "no GPU here" line.
gpu-check: install
	$(BIN)/python -m pytest tests/test_gpu.py -q -rs
	$(BIN)/python -m grader.gpu_check --install-torch

release-check: install
	$(BIN)/grader release --check

clean:
	rm -rf $(VENV) grades build *.egg-info
