# One-command entry points for newcomers and CI. Everything lives in .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test bench clean

$(BIN)/kubectl-nim: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

## run: set up and show the NIM catalog embedded in the plugin (no cluster needed)
run: $(BIN)/kubectl-nim
	$(BIN)/kubectl-nim models --offline

## test: set up and run the whole test suite
test: $(BIN)/kubectl-nim
	$(BIN)/python -m pytest

## bench: regenerate the figures in BENCHMARKS.md
bench: $(BIN)/kubectl-nim
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info
