# A service's tests alone, from a clean checkout: each services/<name>/Makefile includes this file,
# so `make test` there (or `make test-<name>` at the root) installs only servicekit and that service
# into their own venv, and a test that needs another service's code fails; RabbitMQ and PostgreSQL
# come from scripts/ensure-services.sh.
NAME   := $(notdir $(CURDIR))
ROOT   := $(abspath ../..)
PYTHON ?= python3
VENV   ?= $(ROOT)/.venv-$(NAME)
BIN    := $(VENV)/bin
PYTEST := $(BIN)/python -m pytest -q -p no:cacheprovider

.PHONY: install test test-sqlite

$(BIN)/.installed: pyproject.toml $(ROOT)/libs/servicekit/pyproject.toml $(ROOT)/constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c $(ROOT)/constraints.txt -e '$(ROOT)/libs/servicekit[test]' -e '.[test]'
	touch $@

install: $(BIN)/.installed

test: install
	@bash $(ROOT)/scripts/ensure-services.sh
	$(PYTEST) tests

test-sqlite: install
	WOHNENPLUS_TEST_DB=sqlite $(PYTEST) tests
