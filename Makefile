# Developer shortcuts. CI runs .ci/run, which installs into a fresh venv and runs the same checks.
PYTHON ?= python

.PHONY: install lint test check completions bench

install:
	$(PYTHON) -m pip install -e '.[dev]'

lint:
	ruff check .
	ruff format --check .
	mypy

test:
	$(PYTHON) -m pytest -q

check: lint test

# The committed completion scripts are generated from the app; tests/cli/test_completion.py fails when stale.
completions:
	$(PYTHON) -m exportctl completion bash > completions/exportctl.bash
	$(PYTHON) -m exportctl completion zsh > completions/_exportctl
	$(PYTHON) -m exportctl completion fish > completions/exportctl.fish

bench:
	$(PYTHON) benchmarks/run_all.py --quick
