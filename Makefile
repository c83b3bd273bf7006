# Thin wrapper: `make demo` and `make test` are the two commands of the README's Quick start.
VENV    ?= .venv
PY      := $(VENV)/bin/python
BUILD   ?= build/cpp
OUT     ?= out
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all setup engine python build demo test test-cpp test-python test-sanitize fuzz geodata clean

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

# libFuzzer on the three targets of fuzz/, FUZZ_SECONDS each (Clang, AddressSanitizer + UBSan). New corpus
# entries go to build/fuzz/corpus-<target>; an input that fails is written to fuzz/regressions/<target>/, which
# `make test` then replays for good: commit it with the fix.
FUZZ_BUILD   ?= build/fuzz
FUZZ_SECONDS ?= 60
fuzz: setup
	@command -v clang++ >/dev/null && dpkg-query -W libclang-rt-14-dev >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		 clang libclang-rt-14-dev >/dev/null)
	@cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_CXX_COMPILER=clang++ -DTIERSLIEUX_BUILD_TESTS=OFF -DTIERSLIEUX_FUZZ=ON \
		-DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
		-DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@for t in territory osm weights; do \
		mkdir -p $(FUZZ_BUILD)/corpus-$$t fuzz/regressions/$$t; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		$(FUZZ_BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 -print_final_stats=1 \
			-artifact_prefix=fuzz/regressions/$$t/ $(FUZZ_BUILD)/corpus-$$t fuzz/corpus/$$t || exit 1; \
	done

# Rebuild geodata/baronnies.gpkg from geodata/raw/ (deterministic)
geodata: setup
	@$(PY) geodata/build_baronnies.py

clean:
	rm -rf build $(OUT)
