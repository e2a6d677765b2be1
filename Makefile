# golem-fakes — developer commands. Each target creates its virtualenv when missing.
#   make test      the whole suite on Python 3.12 (parity included), then on 3.11, then the example
#   make example   the bundled example worker (examples/shop) and its own tests
#   make bench     the benchmarks (print medians and ratios to a baseline)
SHELL := /bin/bash

# Find an interpreter that really runs: pyenv's newest X.Y.*, else pythonX.Y on PATH
# (pyenv shims exist for every version but only run the selected ones).
find_python = $(shell for p in $(sort $(wildcard $(HOME)/.pyenv/versions/$(1).*/bin/python$(1))) $$(command -v python$(1)); do "$$p" -c 'import sys; sys.exit(sys.version_info[:2] != tuple(map(int, "$(1)".split("."))))' 2>/dev/null && echo "$$p"; done | head -1)
PY312 ?= $(call find_python,3.12)
PY311 ?= $(call find_python,3.11)
PYTEST_ARGS ?=

VENV312 := .venv
VENV311 := .venv311

.PHONY: test test-312 test-311 example bench clean

test: test-312 test-311 example

$(VENV312)/.installed: pyproject.toml
	@test -n "$(PY312)" || { echo "Python 3.12 not found (set PY312=/path/to/python3.12)"; exit 1; }
	test -x $(VENV312)/bin/python || $(PY312) -m venv $(VENV312)
	$(VENV312)/bin/python -m pip install -q -e '.[test]'
	touch $@

$(VENV311)/.installed: pyproject.toml
	@test -n "$(PY311)" || { echo "Python 3.11 not found (set PY311=/path/to/python3.11)"; exit 1; }
	test -x $(VENV311)/bin/python || $(PY311) -m venv $(VENV311)
	$(VENV311)/bin/python -m pip install -q -e '.[test]'
	touch $@

test-312: $(VENV312)/.installed
	$(VENV312)/bin/python -m pytest $(PYTEST_ARGS)

# Python 3.11: the whole suite but the parity comparison (run once, above, on 3.12).
test-311: $(VENV311)/.installed
	$(VENV311)/bin/python -m pytest -m "not parity" $(PYTEST_ARGS)

# examples/shop is a Golem application as `golem-cli app new` lays it out; golem-cli
# puts the shared WIT packages in its wit/deps, here they come from the vendored golem-wit.
EXAMPLE := examples/shop
example: $(VENV312)/.installed
	test -d $(EXAMPLE)/wit/deps || cp -r golem_fakes/data/wit/deps $(EXAMPLE)/wit/deps
	cd $(EXAMPLE)/components-python/shop-cart && $(CURDIR)/$(VENV312)/bin/python -m pytest $(PYTEST_ARGS)

bench: $(VENV312)/.installed
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(VENV312)/bin/python $$b || exit 1; done

clean:
	rm -rf $(VENV312) $(VENV311) .pytest_cache build *.egg-info
