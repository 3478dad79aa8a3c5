# Two commands do all set-up on a fresh machine: `make check` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.torchdojo-installed
DIR ?= exercises

.PHONY: check test watch install clean-venv

# The venv is made once; pyproject.toml changes trigger a reinstall, nothing else does.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

check: $(STAMP)
	$(BIN)/torchdojo check $(DIR)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

watch: $(STAMP)
	$(BIN)/torchdojo watch $(DIR)

clean-venv:
	rm -rf $(VENV)
