# Thin wrapper: `make demo` and `make test` are the two commands of the README's Quick start.
VENV    ?= .venv
PY      := $(VENV)/bin/python
BUILD   ?= build/cpp
OUT     ?= out
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all setup engine python build demo test test-cpp test-python test-sanitize geodata clean

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

# The C++ suite again, built with AddressSanitizer + UndefinedBehaviorSanitizer (leaks too), in its own folder;
# any report fails the run (.ci/run runs it after `make test`)
SAN_BUILD ?= build/sanitize
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
test-sanitize: setup
	@cmake -S . -B $(SAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTIERSLIEUX_BUILD_TESTS=ON \
		-DCMAKE_CXX_FLAGS="$(SAN_FLAGS)" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
	@cmake --build $(SAN_BUILD) -j $(JOBS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir $(SAN_BUILD) --output-on-failure -j $(JOBS)

# Rebuild geodata/baronnies.gpkg from geodata/raw/ (deterministic)
geodata: setup
	@$(PY) geodata/build_baronnies.py

clean:
	rm -rf build $(OUT)
