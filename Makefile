# The README's two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
CMAKE_FLAGS := -G Ninja -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 -DLETTERHEAD_WERROR=ON
# ccache hits from any checkout folder (CI clones elsewhere): paths inside the
# checkout are hashed relative to it (TOOLCHAIN.md).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 20

.PHONY: deps build build-asan build-fuzz test test-unit test-asan test-fuzz run bench clean

deps:
	@scripts/install-deps.sh

# Optimised binary with debug info at build/bin/letterhead (DESIGN.md contract).
build: deps
	@cmake -S . -B build $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=RelWithDebInfo > build.configure.log || { cat build.configure.log; exit 1; }
	@cmake --build build -j $(JOBS)

build-asan: deps
	@cmake -S . -B build-asan $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Debug -DLETTERHEAD_SANITIZE=ON > build-asan.configure.log || { cat build-asan.configure.log; exit 1; }
	@cmake --build build-asan -j $(JOBS)

build-fuzz: deps
	@cmake -S . -B build-fuzz $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLETTERHEAD_FUZZ=ON > build-fuzz.configure.log || { cat build-fuzz.configure.log; exit 1; }
	@cmake --build build-fuzz -j $(JOBS) --target $$(cd fuzz && ls fuzz_*.cpp | sed 's/\.cpp$$//' | tr '\n' ' ')

# Every test: unit and integration on the optimised build, again under ASan+UBSan,
# then each fuzz target briefly over its seed corpus.
test: build build-asan build-fuzz
	cd build && ctest --output-on-failure -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)
	@scripts/run-fuzzers.sh build-fuzz $(FUZZ_SECONDS)

# The fast tier while iterating.
test-unit: build
	cd build && ctest --output-on-failure -L unit -j $(JOBS)

run: build
	@scripts/demo.sh

# Side by side with Postfix + Dovecot (bench/README.md): minutes long, needs root,
# not part of `make test`. Options through BENCH_ARGS, e.g. "--rounds 5 --idle 10000".
bench: build
	bench/compare $(BENCH_ARGS)

clean:
	rm -rf build build-asan build-fuzz run
