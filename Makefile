# WohnenPlus — `make run` starts the whole system, `make test` runs every test. Both set up from nothing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SERVICES := matching contracts support notifications
PYTEST := $(abspath $(BIN))/python -m pytest -q -p no:cacheprovider

.PHONY: install run test test-kit test-services test-sqlite test-e2e contracts $(foreach s,$(SERVICES),test-$(s)) bench broker migrate token clean tools demo soak records chaos fuzz compose-test

$(BIN)/.installed: constraints.txt libs/servicekit/pyproject.toml $(foreach s,$(SERVICES),services/$(s)/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e 'libs/servicekit[test]' $(foreach s,$(SERVICES),-e 'services/$(s)[test]') honcho
	touch $@

install: $(BIN)/.installed

broker:
	@bash scripts/ensure-services.sh

migrate: install
	$(BIN)/wohnenplus keys
	$(BIN)/wohnenplus migrate

run: install broker migrate
	@echo "Starting all eight processes (Ctrl-C stops them) ..."
	$(BIN)/honcho start -f Procfile

test: install broker tools test-kit test-services test-sqlite test-e2e

tools:
	@bash deploy/install-tools.sh

test-kit: install
	cd libs/servicekit && $(PYTEST) tests

test-services: install
	@set -e; for s in $(SERVICES); do echo "== $$s"; (cd services/$$s && $(PYTEST) tests); done

# The kit's and the services' tests again on SQLite, the database `make run` gives every service
# by default (the runs above use PostgreSQL when it answers).
test-sqlite: install
	@set -e; for d in libs/servicekit $(foreach s,$(SERVICES),services/$(s)); do echo "== $$d on SQLite"; \
		(cd $$d && WOHNENPLUS_TEST_DB=sqlite $(PYTEST) tests); done

test-e2e: install
	$(PYTEST) --durations=12 tests

# One service's tests alone, as its team runs them before a release: its own venv with only
# servicekit and that service, RabbitMQ and PostgreSQL (services/<name>/Makefile). The event
# contracts with the other services are checked there against their documents in the repository.
$(foreach s,$(SERVICES),test-$(s)): test-%:
	$(MAKE) -C services/$* test

# The matrix of (producer, consumer, event, version) the contract check covers, with every problem,
# and each service against its released snapshot (docs/EVENT-CHANGES.md).
contracts: install
	$(BIN)/python -m servicekit.testing.contracts

# The compose stack for real: engine (started and stopped again where none runs), base images (from
# Debian packages where no registry answers), build, up, the story through the containers, down.
compose-test: install
	@bash scripts/compose-test.sh

bench: install broker
	@command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null || echo "install wrk for the read API benchmark"
	$(BIN)/python benchmarks/run.py

soak: install broker $(BIN)/.load-installed
	$(BIN)/python benchmarks/load/soak.py

$(BIN)/.load-installed: benchmarks/load-requirements.txt constraints.txt $(BIN)/.installed
	$(BIN)/python -m pip install -q -c constraints.txt -r benchmarks/load-requirements.txt
	touch $@

demo: install
	$(BIN)/python scripts/demo.py $(DEMO_ARGS)

token: install
	@$(BIN)/wohnenplus token --role $(or $(ROLE),staff) $(if $(COMPANY),--company-id $(COMPANY))

# The records of processing (Art. 30 GDPR), generated from the services' column classification.
records: install
	$(BIN)/wohnenplus privacy records > docs/RECORDS-OF-PROCESSING.md

clean:
	rm -rf var

# Chaos accounting: leases through the running system while workers, broker and database
# fail; prints present once / lost / duplicated / unexpected per effect. CHAOS_LEASES=200 by default;
# CHAOS_LOAD=3 runs three CPU hogs per core beside it and kills workers more often (a busy node).
chaos: install broker
	cd tests && $(abspath $(BIN))/python -m chaos --leases $(or $(CHAOS_LEASES),200) \
		$(if $(CHAOS_LOAD),--load $(CHAOS_LOAD)) $(CHAOS_ARGS)

# The full schemathesis run: every role over every operation of the four APIs, FUZZ_EXAMPLES
# per operation (default 50), a new seed each run; `make test` runs a bounded pass of the same test.
fuzz: install broker
	FUZZ_EXAMPLES=$(or $(FUZZ_EXAMPLES),50) FUZZ_SEED=$(FUZZ_SEED) FUZZ_EVERY_OPERATION=1 \
		$(PYTEST) -s tests/security/test_schemathesis.py
