# Thin wrapper: `make demo` and `make test` are the two commands of the README's Quick start.
VENV    ?= .venv
PY      := $(VENV)/bin/python
BUILD   ?= build/cpp
OUT     ?= out
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
# The demo's command line, after `tierslieux` (extend it here)
DEMO_ARGS ?= run --out $(OUT)/baronnies.gpkg --report $(OUT)/baronnies.html
DEMO_LOG  ?= build/demo-build.log

.PHONY: all setup engine python build demo test test-cpp test-python test-sanitize fuzz geodata clean

all: build

# The tests also drive real clients (QGIS 3.22's Python bindings, headless Chromium and its driver): `make test` and
# `make test-python` have setup.sh install them too (the flag reaches `setup` through their prerequisites);
# `make demo` does not need them.
test test-python: SETUP_FLAGS := --test-clients
setup:
	@bash scripts/setup.sh $(SETUP_FLAGS)

# C++ engine and GoogleTest suite (plain CMake, no Python involved)
engine: setup
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DTIERSLIEUX_BUILD_TESTS=ON >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Python package (scikit-build-core builds the engine + pybind11 module; the build folder is kept, so rebuilds are incremental)
PIP_INSTALL := $(PY) -m pip install --no-build-isolation --no-deps .
python: setup
	@$(PIP_INSTALL) -q

build: engine python

# Only what the demo needs: the Python package (the engine compiled once, in pip's build; no C++ tests), a few
# progress lines and the total time. The build's output goes to $(DEMO_LOG); its end is shown only if it fails.
demo:
	@t0=$$(date +%s); \
	echo "demo: set-up (Debian packages, Python environment in $(VENV))…"; \
	bash scripts/setup.sh || exit $$?; \
	echo "demo: building the engine and the Python package (≈ 1–2 min the first time, seconds after; log in $(DEMO_LOG))…"; \
	mkdir -p $(dir $(DEMO_LOG)); \
	$(PIP_INSTALL) >$(DEMO_LOG) 2>&1 || { rc=$$?; tail -n 40 $(DEMO_LOG); \
		echo "demo: the build failed (exit $$rc); the whole output is in $(DEMO_LOG)"; exit $$rc; }; \
	echo "demo: scoring the Baronnies…"; \
	$(VENV)/bin/tierslieux $(DEMO_ARGS) || exit $$?; \
	t=$$(( $$(date +%s) - t0 )); echo "demo: done in $$([ $$t -ge 60 ] && echo "$$((t / 60)) min ")$$((t % 60)) s"

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

# Rebuild geodata/baronnies.gpkg and geodata/departements-26-05-04-84.gpkg from geodata/raw/ (deterministic)
geodata: setup
	@$(PY) geodata/build_baronnies.py
	@$(PY) geodata/build_baronnies.py --area departements

clean:
	rm -rf build $(OUT)
