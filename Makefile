# The README's two commands: `make demo` and `make test`. Both set up .venv on first use and are
# quick when nothing changed (stamp files under .venv/.stamps track what is installed).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMPS := $(VENV)/.stamps
CPP_BUILD := build/cpp

# What the compiled part of vops is built from; its Python sources are installed in editable mode.
VOPS_BUILD_INPUTS := $(shell find packages/vops/csrc packages/vops/cmake packages/vops/build_support -type f -not -path "*/__pycache__/*") \
	$(wildcard packages/vops/CMakeLists.txt packages/vops/pyproject.toml packages/vops/src/vops/*.in)
PURE_PACKAGE_METADATA := $(wildcard packages/vmodels/pyproject.toml packages/vdata/pyproject.toml packages/vrefs/pyproject.toml)

# The install stamp records VOPS_CUDA (AUTO|ON|OFF), so changing it rebuilds vops.
PACKAGES_STAMP := $(STAMPS)/packages-cuda-$(or $(VOPS_CUDA),AUTO)

.PHONY: demo test setup test-python test-cpp lint wheels clean

demo: setup
	$(PY) -m vrefs detection --device cpu --workers 1 --output-dir runs/demo && $(PY) -c "import json; r = [json.loads(l) for l in open('runs/demo/metrics.jsonl')]; print('Shapes validation: box AP %.3f, mask AP %.3f after %.1f minutes of training' % (r[-1]['val_box_AP'], r[-1]['val_mask_AP'], sum(e['time_train_s'] for e in r) / 60)); print('curves: runs/demo/curves.png; predictions: runs/demo/predictions.png')"

test: lint test-cpp test-python

setup: $(PACKAGES_STAMP)

test-python: setup
	$(PY) -m pytest

test-cpp: $(STAMPS)/requirements
	$(VENV)/bin/cmake -S . -B $(CPP_BUILD) -G Ninja -DCMAKE_MAKE_PROGRAM=$(CURDIR)/$(VENV)/bin/ninja \
		-DCMAKE_BUILD_TYPE=Release -DVOPS_BUILD_EXTENSION=OFF
	$(VENV)/bin/cmake --build $(CPP_BUILD)
	$(VENV)/bin/ctest --test-dir $(CPP_BUILD) --output-on-failure

lint: $(STAMPS)/requirements
	$(VENV)/bin/ruff check packages tests benchmarks examples

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMPS)/requirements: requirements-dev.txt | $(PY)
	$(PIP) install -r requirements-dev.txt
	mkdir -p $(STAMPS) && touch $@

# The four packages are installed together, editable, from local paths, so pip never looks up
# `vops` or `vdata` on the package index (both names belong to unrelated projects there). vops
# compiles against the torch already in the venv (--no-build-isolation); its CMake build directory
# is kept under packages/vops/build, so a rebuild only recompiles what changed.
$(PACKAGES_STAMP): $(STAMPS)/requirements $(VOPS_BUILD_INPUTS) $(PURE_PACKAGE_METADATA)
	$(PIP) install --no-build-isolation -e ./packages/vops \
		-e ./packages/vmodels -e ./packages/vdata -e ./packages/vrefs
	$(PIP) check
	rm -f $(STAMPS)/packages-cuda-* && touch $@

# The four wheels in $(DIST), for `pip install --find-links dist vmodels` (see the README). vops
# is compiled against the venv's torch and requires exactly it; its build directory is the one
# `make setup` uses, so only what changed recompiles.
DIST ?= dist
wheels: $(STAMPS)/requirements
	rm -rf $(DIST)
	$(PIP) wheel --no-build-isolation --no-deps --wheel-dir $(DIST) \
		./packages/vops ./packages/vmodels ./packages/vdata ./packages/vrefs

clean:
	rm -rf build dist packages/vops/build
