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

## test: set up, lint (ruff) and type-check (mypy, [tool.mypy] in pyproject.toml), then run the
##   whole test suite, the real-server tier included: builds
##   kube-apiserver, kube-controller-manager, kube-scheduler, etcd, kwok and KServe's controller
##   from the Go module proxy once per machine (tests/realcluster/build_binaries.sh; cached in
##   ~/.cache/kubectl-nim/realcluster; cold: see BENCHMARKS.md), and
##   Krew from the Go module proxy for tests/release/test_krew_install.py (scripts/build_krew.sh; cached
##   in ~/.cache/kubectl-nim/krew; cold: under a minute)
test: $(BIN)/kubectl-nim
	$(BIN)/ruff check kubectl_nim tests benchmarks scripts
	$(BIN)/mypy
	tests/realcluster/build_binaries.sh >/dev/null || echo "warning: some real-cluster binaries did not build: parts of tests/realcluster will be skipped" >&2
	scripts/build_krew.sh >/dev/null || echo "warning: no krew: tests/release/test_krew_install.py will be skipped" >&2
	$(BIN)/python -m pytest

## bench: regenerate the figures in BENCHMARKS.md (a few minutes; run on a quiet machine)
bench: $(BIN)/kubectl-nim
	$(BIN)/python benchmarks/cli_startup.py
	$(BIN)/python benchmarks/deploy.py
	$(BIN)/python benchmarks/fault_matrix.py
	$(BIN)/python benchmarks/catalog_generate.py
	$(BIN)/python benchmarks/status.py
	$(BIN)/python -m pytest tests/properties/test_day2_consistency.py -q -s
	$(BIN)/python benchmarks/realcluster.py

clean:
	rm -rf $(VENV) $(BUILD_VENV) build dist *.egg-info

## embedded-catalog: refresh kubectl_nim/data/catalog.yaml from NVIDIA (docs/catalog.md).
##   Needs network, a personal key (NGC_API_KEY, API_KEY_FILE=PATH or the prompt) and
##   EU_RESTRICTED=FILE, the output of `kubectl nim catalog detect-eu` run from an EU location.
EMBEDDED_CATALOG  ?= kubectl_nim/data/catalog.yaml
CATALOG_BUILD_DIR ?= build/catalog
.PHONY: embedded-catalog
embedded-catalog: $(BIN)/kubectl-nim
	@test -n "$(EU_RESTRICTED)" || { echo "set EU_RESTRICTED=FILE: the JSON list of 'kubectl nim catalog detect-eu' run from an EU location" >&2; exit 2; }
	mkdir -p $(CATALOG_BUILD_DIR)
	cp $(EMBEDDED_CATALOG) $(CATALOG_BUILD_DIR)/embedded.before.yaml
	$(BIN)/kubectl-nim catalog generate --eu-restricted $(EU_RESTRICTED) $(if $(API_KEY_FILE),--api-key-file $(API_KEY_FILE)) --output $(CATALOG_BUILD_DIR)/nvidia-nim-models-data.yaml
	$(BIN)/python scripts/embedded_catalog.py $(CATALOG_BUILD_DIR)/nvidia-nim-models-data.yaml --embedded $(EMBEDDED_CATALOG)
	$(BIN)/kubectl-nim catalog diff $(CATALOG_BUILD_DIR)/embedded.before.yaml $(EMBEDDED_CATALOG)

## embedded-catalog-reference: remake kubectl_nim/data/catalog.yaml without NVIDIA: the plugin's
##   own `catalog generate` against the fake NGC server serving the reference catalog in
##   SHARED_DATA (186 models, 4 EU-restricted). tests/verbs/catalog/test_catalog_embedded.py checks the result.
SHARED_DATA ?= ../shared/data
.PHONY: embedded-catalog-reference
embedded-catalog-reference: $(BIN)/kubectl-nim
	$(BIN)/python scripts/embedded_catalog.py --from-reference $(SHARED_DATA) --embedded $(EMBEDDED_CATALOG)

## binary: build the binary with PyInstaller (docs/distribution.md): on Linux and macOS
##   dist/kubectl-nim/kubectl-nim (onedir, what Krew installs), on Windows
##   dist/onefile/kubectl-nim.exe; reproducible. Built in .venv-build, made only from
##   requirements/build.lock with --require-hashes (as the release workflow does).
## binary-onefile: the single-file executable dist/onefile/kubectl-nim (the direct-download asset)
## krew: pack the binary for this OS/arch with LICENSE (dist/release/), and the single file as
##   kubectl-nim-onefile_<version>_<os>_<arch>.tar.gz, checksum them, and write
##   dist/release/nim.yaml, the Krew manifest of that archive, checked with Krew's rules.
## lock: refresh requirements/build.lock (uv pip compile --universal --generate-hashes: every
##   OS, Python 3.11+); existing pins are kept, UPGRADE=1 moves them to the newest allowed.
.PHONY: binary binary-onefile krew lock
BUILD_VENV ?= .venv-build
BUILD_BIN  := $(BUILD_VENV)/bin
UV_VERSION ?= 0.13.8
$(BUILD_VENV)/.locked: requirements/build.lock pyproject.toml
	rm -rf $(BUILD_VENV)
	$(PYTHON) -m venv $(BUILD_VENV)
	$(BUILD_BIN)/pip install --quiet --require-hashes -r requirements/build.lock
	$(BUILD_BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

binary: $(BUILD_VENV)/.locked
	$(BUILD_BIN)/python scripts/build_binary.py

binary-onefile: $(BUILD_VENV)/.locked
	$(BUILD_BIN)/python scripts/build_binary.py --onefile

krew: binary binary-onefile
	$(BUILD_BIN)/python scripts/package.py --out dist/release
	$(BUILD_BIN)/python scripts/package.py --single-file --out dist/release
	$(BUILD_BIN)/python scripts/checksum.py dist/release
	$(BUILD_BIN)/python scripts/krew_validate.py krew/nim.yaml
	$(BUILD_BIN)/python scripts/krew_manifest.py --local --archives dist/release --out dist/release/nim.yaml

lock: $(BIN)/kubectl-nim
	$(BIN)/pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml requirements/build-system.in --extra build \
	    --universal --python-version 3.11 --generate-hashes $(if $(UPGRADE),--upgrade) \
	    --custom-compile-command "make lock" --quiet -o requirements/build.lock
