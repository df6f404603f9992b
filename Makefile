# The README's two commands: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test shell install install-test bench bench-hot clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(PY) -m bot run

# every role in a terminal, no Telegram (README: 不连 Telegram，先在终端里试一试)
shell: install
	$(PY) -m bot shell

# the suite in TEST_WORKERS processes (pytest-xdist): most tests wait on a bot or a database, so three
# share two cores well; TEST_WORKERS=0 runs it in this process
TEST_WORKERS ?= 3
test: install-test
	$(PY) -m pytest -n $(TEST_WORKERS)

bench: install-test
	$(PY) -m bench.bench_roster_import

# the hot path side by side with a bare PTB echo bot (bench/README.md); Linux only
bench-hot: install-test
	$(PY) -m bench.bench_hot_path --rounds 3

clean:
	rm -rf $(VENV) data
