# Plantão: `make run` serves the app with demo data, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
# The suite runs in one process per core (pytest-xdist), a test file per
# process at a time, so a module's browser or served app is built once;
# each process makes its own PostgreSQL and SQLite databases.
PYTEST_WORKERS ?= auto

.PHONY: run test install install-run install-test system-deps browser-deps bench bench-deps check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Two stamps, each redone whenever the packaging metadata changes: serving
# needs only the package, so a first `make run` skips the test extras
# (Selenium, schemathesis...) and shows the first page sooner.
$(VENV)/.installed-run: $(BIN)/python setup.cfg pyproject.toml setup.py
	$(BIN)/pip install --quiet -e .
	@touch $@

# The test extras include everything serving needs, so this stamp counts
# for both.
$(VENV)/.installed-test: $(BIN)/python setup.cfg pyproject.toml setup.py
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $@ $(VENV)/.installed-run

install-run: $(VENV)/.installed-run

install-test: $(VENV)/.installed-test

# Everything: the package and the test extras.
install: install-test

# Installs the Debian packages listed in $(1) (one per line, # comments)
# that are missing, with apt (sudo when not root).  An install cut off
# earlier (a machine stopped mid-way) leaves dpkg half-configured and apt
# refusing everything until `dpkg --configure -a` finishes it, so that
# runs first; apt waits for a lock another apt holds instead of failing.
define debian-packages
	@missing=$$(for p in $$(grep -v '^#' $(1)); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages: $$missing"; \
		if [ "$$(id -u)" = 0 ]; then as_root=; else as_root=sudo; fi; \
		$$as_root env DEBIAN_FRONTEND=noninteractive dpkg --configure -a && \
		$$as_root apt-get -o DPkg::Lock::Timeout=600 update -qq && \
		$$as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq $$missing; \
	fi
endef

# Debian packages the tests need (Caddy, Chromium...), one per line in
# .ci/debian-packages.txt; installed only when missing.
system-deps:
	$(call debian-packages,.ci/debian-packages.txt)

# What the benchmark runs besides the app: wrk (the load client) and Caddy
# (one and two instances behind it), from benchmarks/debian-packages.txt.
bench-deps:
	$(call debian-packages,benchmarks/debian-packages.txt)

# axe-core, the accessibility checker the browser tests inject into every
# page (tests/browser/test_every_page.py), at the version its lock file pins.
# `npm ci` starts node_modules afresh, so it runs only when the lock (or
# package.json) is newer than the stamp it leaves there.
BROWSER_DEPS := tests/browser/node_modules/.installed

$(BROWSER_DEPS): tests/browser/package.json tests/browser/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		echo "npm is missing: the browser tests need it to install axe-core (Debian: apt-get install nodejs npm)." >&2; \
		exit 1; }
	npm ci --prefix tests/browser --no-audit --no-fund
	@touch $@

browser-deps: $(BROWSER_DEPS)

run: install-run
	$(BIN)/plantao serve --demo-if-empty

test: install-test system-deps browser-deps
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

bench: install bench-deps
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/hours_report.py
	$(BIN)/python benchmarks/fair_solver.py

check: install-run
	$(BIN)/plantao check

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis
