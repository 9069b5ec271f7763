# Two commands on a fresh Debian 12 machine:
#   make demo   installs what is missing, builds, runs scenarios/quickstart.ks
#   make test   installs what is missing, builds, runs every test
# Meson does the building; this file only wraps it.

BUILD     ?= build
SAN_BUILD ?= build-san
REL_BUILD ?= build-release
CLANG_BUILD ?= build-clang
KAFKASIM  := $(BUILD)/tools/kafkasim

# Debian 12 packages the build and the tests need (chromium and its driver:
# the HTML report's test in a browser).
PACKAGES := gcc libc6-dev make python3 meson ninja-build pkg-config \
            libglib2.0-dev libjson-glib-dev libcmocka-dev libedit-dev graphviz libgraphviz-dev \
            chromium chromium-driver

# Only for `make bench`: the SimPy peer of the standard workload (it runs on
# SimPy 3 but imports SimPy 2 as well, so both), and GNU time for the peak
# memory of each run.
BENCH_PACKAGES := python3-simpy3 python3-simpy time

# Warnings are errors here and in CI, though not in a plain `meson setup`.
SETUP := meson setup -Dtests=enabled -Dwerror=true

.PHONY: all demo test test-sanitize test-release test-clang deps build bench format \
        format-check clean

all: build

demo: build
	$(KAFKASIM) run scenarios/quickstart.ks

test: build
	meson test -C $(BUILD) --print-errorlogs

# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer,
# which make it about 3 times slower (the model's tests take 17 s alone).
test-sanitize: deps
	@test -f $(SAN_BUILD)/build.ninja || $(SETUP) $(SAN_BUILD) \
	    -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
	ninja -C $(SAN_BUILD)
	meson test -C $(SAN_BUILD) --print-errorlogs --timeout-multiplier 3

# What a packager builds: -O3, no debug assertions; the suite runs on it.
test-release: deps
	@test -f $(REL_BUILD)/build.ninja || $(SETUP) $(REL_BUILD) -Dbuildtype=release
	ninja -C $(REL_BUILD)
	meson test -C $(REL_BUILD) --print-errorlogs

# A second compiler finds what the first lets through (CI installs clang).
test-clang:
	@$(MAKE) --no-print-directory deps PACKAGES="$(PACKAGES) clang"
	@test -f $(CLANG_BUILD)/build.ninja || CC=clang $(SETUP) $(CLANG_BUILD)
	ninja -C $(CLANG_BUILD)
	meson test -C $(CLANG_BUILD) --print-errorlogs

build: deps
	@test -f $(BUILD)/build.ninja || $(SETUP) $(BUILD)
	ninja -C $(BUILD)

# The standard workload at three sizes beside the bare loop and the SimPy
# peer (tools/bench; large takes minutes), then the engine's benchmarks, on
# the release build (-O3, no debug assertions): the one docs/performance.md
# quotes.
bench: deps
	@$(MAKE) --no-print-directory deps PACKAGES="$(BENCH_PACKAGES)"
	@test -f $(REL_BUILD)/build.ninja || $(SETUP) $(REL_BUILD) -Dbuildtype=release
	ninja -C $(REL_BUILD)
	tools/bench $(REL_BUILD)
	meson test -C $(REL_BUILD) --benchmark --verbose --suite engine

# Installs missing packages with apt-get, as root or through sudo; otherwise
# prints the command to run and stops.
deps:
	@missing=""; \
	for p in $(PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' \
	        || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    if [ "$$(id -u)" = 0 ]; then \
	        apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	    elif command -v sudo >/dev/null 2>&1; then \
	        sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	    else \
	        echo "Cannot install packages (not root, no sudo). Run this as root, then try again:"; \
	        echo "    apt-get update && apt-get install -y --no-install-recommends$$missing"; \
	        exit 1; \
	    fi; \
	fi

# Formatting is mechanical: clang-format with the checked-in .clang-format
# (bench/heap_limit.c is reference code, kept verbatim).
FORMATTED = $(shell git ls-files '*.c' '*.h' | grep -v '^bench/heap_limit.c$$')
format:
	clang-format -i $(FORMATTED)
format-check:
	clang-format --dry-run -Werror $(FORMATTED)

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(REL_BUILD) $(CLANG_BUILD)
