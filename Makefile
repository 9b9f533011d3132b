# Set-up and the project's own checks. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PIP := $(BIN)/pip install -q --disable-pip-version-check -c constraints.txt

.PHONY: install sandbox browser demo test bench release-check clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -e '.[dev,course]'
	touch $(STAMP)

# bubblewrap gives the full sandbox; without it grading runs in a reported reduced-isolation mode.
sandbox:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq >/dev/null && apt-get install -y -qq bubblewrap >/dev/null; \
	  else echo "note: bubblewrap is not installed; grading will run in reduced isolation"; fi; }

# Headless Chromium and its driver for the test that opens the class report in a browser;
# without them (no root, no apt, no network) that test is skipped with its reason.
browser:
	@{ command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	        --no-install-recommends chromium chromium-driver >/dev/null; } \
	    || echo "note: could not install chromium; the browser test will be skipped"; \
	  else echo "note: chromium/chromedriver are not installed; the browser test will be skipped"; fi; }

install: $(STAMP) sandbox

demo: install
	$(BIN)/grader demo

test: install browser
	$(BIN)/python -m pytest tests

bench: install
	$(PIP) -e '.[dev,course,bench]'
	$(BIN)/python bench/bench_grading.py

release-check: install
	$(BIN)/grader release --check

clean:
	rm -rf $(VENV) grades build *.egg-info
