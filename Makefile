# Thin wrapper: `make demo` and `make test` are the two commands of the README's Quick start.
VENV    ?= .venv
PY      := $(VENV)/bin/python
BUILD   ?= build/cpp
OUT     ?= out
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all setup engine python build demo test test-cpp test-python geodata clean

all: build

setup:
	@bash scripts/setup.sh

# C++ engine and GoogleTest suite (plain CMake, no Python involved)
engine: setup
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DTIERSLIEUX_BUILD_TESTS=ON >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Python package (scikit-build-core builds the engine + pybind11 module; the build folder is kept, so rebuilds are incremental)
python: setup
	@$(PY) -m pip install -q --no-build-isolation --no-deps .

build: engine python

demo: build
	@$(VENV)/bin/tierslieux run --out $(OUT)/baronnies.gpkg

test-cpp: engine
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-python: python
	@$(PY) -m pytest

test: test-cpp test-python

# Rebuild geodata/baronnies.gpkg from geodata/raw/ (deterministic)
geodata: setup
	@$(PY) geodata/build_baronnies.py

clean:
	rm -rf build $(OUT)
