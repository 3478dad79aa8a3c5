# Two commands do all set-up on a fresh machine: `make check` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.torchdojo-installed
TEST_STAMP := $(VENV)/.torchdojo-test-installed
DIR ?= exercises
# The suite runs on 2 processes (2 cores in CI); tests of one module stay together.
PYTEST_PARALLEL ?= -n 2 --dist loadscope

.PHONY: check test watch install instructor clean-venv

# The venv is made once; a changed pyproject.toml reinstalls, nothing else does.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $(STAMP)

# What the test suite needs on top: pexpect, nbgrader (instructor), dask (cluster).
$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,instructor,cluster]'
	@touch $(TEST_STAMP)

install: $(STAMP)

# Instructors: nbgrader, nbformat and ipykernel into this .venv (never whatever pip is first on PATH).
INSTRUCTOR_STAMP := $(VENV)/.torchdojo-instructor-installed
$(INSTRUCTOR_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[instructor]'
	@touch $(INSTRUCTOR_STAMP)

instructor: $(INSTRUCTOR_STAMP)
	@$(BIN)/python -c "import nbgrader, nbformat, ipykernel; print('instructor tools ready in $(VENV): nbgrader', nbgrader.__version__)"

check: $(STAMP)
	$(BIN)/torchdojo check $(DIR)

watch: $(STAMP)
	$(BIN)/torchdojo watch $(DIR)

test: $(TEST_STAMP)
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

clean-venv:
	rm -rf $(VENV)
