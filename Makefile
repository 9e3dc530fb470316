# The two commands a newcomer needs: `make run` and `make test`.
# Each creates the virtualenv and installs what it needs on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
# Checkers with many dependencies of their own (checkov) live in a separate virtualenv.
TOOLS := .venv-tools
TOOLS_STAMP := $(TOOLS)/.installed-$(shell cksum < requirements-tools.txt | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install tools run demo test bench package clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

tools: $(TOOLS_STAMP)

$(TOOLS_STAMP): requirements-tools.txt
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-tools.txt
	rm -f $(TOOLS)/.installed-*
	touch $@

# Serve the API with `chalice local` on the embedded SQLite store (./data/events.db),
# loading the demo data set first if the store is empty, and creating a local admin
# token in data/admin-token (mode 0600) unless a valid one is there. A busy port is
# one line naming it (`make run PORT=8080`); HOST=0.0.0.0 opens it to the network.
# Beside the server, the retention collector runs every EVENTS_GC_INTERVAL minutes
# (first pass after one interval) and stops when the server does.
run: install
	@$(BIN)/python -m chalicelib.cli check-port --host $(HOST) --port $(PORT)
	$(BIN)/python -m chalicelib.cli demo --if-empty
	$(BIN)/python -m chalicelib.cli token ensure-admin
	$(BIN)/python -m chalicelib.cli gc --every & $(BIN)/chalice local --stage local --host $(HOST) --port $(PORT) --no-autoreload

demo: install
	$(BIN)/python -m chalicelib.cli demo

test: install tools
	CHECKOV=$(TOOLS)/bin/checkov $(BIN)/python -m pytest

# Benchmarks (not tests): results in bench/results/, summary in docs/performance.md.
# `make bench ARGS=--quick` for the small CI-smoke size.
bench: install
	$(BIN)/python -m bench $(ARGS)

# The deployable CloudFormation (SAM) template and Lambda zip, in build/prod/, for the
# Lambda runtime infra/runtime.py names: chalice builds for the Python it runs under,
# so this refuses (with the fix) a .venv of another Python.
package: install
	$(BIN)/python -m infra.runtime
	mkdir -p build
	$(BIN)/python -m infra.template > build/merge.json
	rm -rf build/prod
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(BIN)/chalice package --stage prod \
	    --merge-template build/merge.json build/prod
	$(BIN)/python -m infra.bytecode build/prod/deployment.zip
	@echo "Lambda zip: $$(du -k build/prod/deployment.zip | cut -f1) KiB"

clean:
	rm -rf $(VENV) $(TOOLS) .venv-puppetboard data .pytest_cache .hypothesis
