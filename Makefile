# Atrium: `make run` serves the app with demo data; `make test` runs lint and the suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app run
APT_PACKAGES := redis-server postgresql chromium dovecot-imapd dovecot-pop3d poppler-utils
STAMP_APT := $(VENV)/.apt-installed
STAMP_PIP := $(VENV)/.requirements-installed

.PHONY: run test lint setup system venv translations db bench clean

run: setup
	$(PY) run.py

test: setup lint
	$(PY) -m pytest
	ATRIUM_TEST_DB=postgres $(PY) -m pytest -m "not browser"

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

setup: system venv translations db

# System packages, installed only when a binary is missing (needs root, as on CI).
system: $(STAMP_APT)
$(STAMP_APT):
	@missing=""; \
	for cmd in redis-server:redis-server /usr/lib/postgresql/15/bin/initdb:postgresql \
	           chromium:chromium /usr/lib/dovecot/imap:dovecot-imapd /usr/lib/dovecot/pop3:dovecot-pop3d pdftoppm:poppler-utils; do \
	  bin=$${cmd%%:*}; pkg=$${cmd##*:}; \
	  command -v $$bin >/dev/null 2>&1 || [ -x $$bin ] || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	fi
	@mkdir -p $(VENV) && touch $@

venv: $(STAMP_PIP)
$(STAMP_PIP): requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

translations: venv
	$(FLASK) translate compile >/dev/null

db: venv
	$(FLASK) db upgrade
	$(FLASK) setup
	$(FLASK) seed-demo --if-empty

bench: setup
	$(PY) -m tests.bench.run --items $${BENCH_ITEMS:-100000}

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
