# dispo — common tasks. `make demo` and `make test` work on a fresh Debian 12 machine with Swift.
SHELL := /bin/bash
SWIFT ?= swift
# git, gnupg and openssh-client: the git source runs them (and its tests serve and sign real repositories)
DEBIAN_PACKAGES := libyaml-dev libinotifytools0-dev libxen-dev libyajl-dev git gnupg openssh-client
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DISPO := .build/debug/dispo

QUBES_PACKAGES := libvirt-dev pkg-config python3-venv

.PHONY: deps deps-qubes test-qubes bench-qubes build test test-asan test-tsan test-tsan-core fuzz demo format bench-load \
	bench-plan bench-watch bench-ownership bench-reload bench-git bench-soak bench-attack clean

## deps: install the Debian packages the build needs, when missing
deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing" >&2; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@python3 -c 'import jsonschema, yaml' 2>/dev/null || python3 -m pip install -q jsonschema PyYAML

build: deps
	$(SWIFT) build

## test: unit and end-to-end tests, then the schema/examples agreement check, then the scenarios against qubesd
test: deps
	$(SWIFT) build
	$(SWIFT) test
	python3 Tests/schema/check_schema.py --dispo $(DISPO)
	$(MAKE) test-qubes

## deps-qubes: what the real qubesd of Tests/qubesd needs (libvirt-python 9.0.0 builds against libvirt-dev)
deps-qubes:
	@missing=""; for p in $(QUBES_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing" >&2; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

## test-qubes: dispo's apply/diff/status/request/prune/drift/conflict/restart scenarios against the real qubesd
## (the pinned qubes-core-admin of ../shared/third_party on libvirt's test driver, Python 3.13; venv cached in
## ~/.cache/dispo). Skipped, LOUDLY, only when its prerequisites cannot be installed.
test-qubes:
	@if ! $(MAKE) -s deps-qubes || ! python3 Tests/qubesd/harness.py prepare >/dev/null; then \
	  echo "################################################################################" >&2; \
	  echo "## SKIPPED: the Qubes scenarios against the real qubesd (prerequisites missing: ##" >&2; \
	  echo "## libvirt-dev, pkg-config, python3-venv, pyenv's Python 3.13, the snapshots in ##" >&2; \
	  echo "## ../shared/third_party). See Tests/qubesd/harness.py.                         ##" >&2; \
	  echo "################################################################################" >&2; \
	  exit 0; \
	fi; \
	$(SWIFT) build --build-tests && DISPO_QUBESD_TESTS=1 $(SWIFT) test --skip-build --filter QubesScenarioTests

## bench-qubes: Admin API calls and time of apply (examples/qubes, from nothing) and of a no-op diff against the
## real qubesd; a hand-out by dispo request vs a direct CreateDisposable
bench-qubes: deps-qubes build
	Tests/qubesd/measure.sh

## test-asan: the whole unit suite under AddressSanitizer and LeakSanitizer (its own build directory, .build/asan);
## Tests/sanitizers/lsan.supp names the toolchain's own leaks (Foundation's Process, XCTest)
test-asan: deps
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build/asan
	ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/sanitizers/lsan.supp \
	  $(SWIFT) test --skip-build --sanitize=address --scratch-path .build/asan

## test-tsan: the whole unit suite under ThreadSanitizer (.build/tsan); test-tsan-core: only the engine, daemon
## and sim suites (what .ci/run runs)
TSAN_OPTIONS ?= halt_on_error=1
test-tsan: deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build/tsan
	TSAN_OPTIONS=$(TSAN_OPTIONS) $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build/tsan
test-tsan-core: deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build/tsan
	TSAN_OPTIONS=$(TSAN_OPTIONS) $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build/tsan \
	  --filter 'DispoEngineTests|DispoDaemonTests|DispoSimTests'

## fuzz: each libFuzzer target (config, request, sim-state) for FUZZ_SECONDS (default 180) with AddressSanitizer;
## new inputs go to .build/fuzz/corpus/TARGET, findings to .build/fuzz/findings/ (copy a finding's reproducer to
## Fuzz/corpus/TARGET/ with its fix: FuzzCorpusTests replay that directory)
FUZZ_SECONDS ?= 180
FUZZ_TARGETS ?= config request sim-state
fuzz: deps
	$(SWIFT) build --scratch-path .build/fuzz --product dispo-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING \
	  -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld
	@mkdir -p .build/fuzz/findings; status=0; for target in $(FUZZ_TARGETS); do \
	  mkdir -p .build/fuzz/corpus/$$target; echo "== fuzz $$target for $(FUZZ_SECONDS) s"; \
	  DISPO_FUZZ_TARGET=$$target .build/fuzz/debug/dispo-fuzz -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix=.build/fuzz/findings/$$target- \
	    .build/fuzz/corpus/$$target Fuzz/corpus/$$target 2>.build/fuzz/$$target.log || status=1; \
	  grep -E "stat::number_of_executed_units|stat::peak_rss_mb|ERROR|SUMMARY" .build/fuzz/$$target.log || true; \
	done; exit $$status

## demo: a real job on a fresh simulated host: apply examples/qubes, then `dispo watch` on a copy of it that you
## can edit (in another terminal: dispo status --socket ...); Ctrl-C stops it
demo: build
	@work="$$(mktemp -d)"; chmod 755 "$$work"; host="sim:$$work/host.json"; set -e; \
	cp -r examples/qubes "$$work/config"; chmod -R go-w "$$work/config"; \
	echo "== dispo sim init --host $$host"; $(DISPO) sim init --boot 1s --host "$$host"; \
	echo "== dispo diff"; $(DISPO) diff -c "$$work/config" --host "$$host" || [ $$? = 2 ]; \
	echo "== dispo apply"; $(DISPO) apply -c "$$work/config" --host "$$host"; \
	echo "== dispo status"; $(DISPO) status -c "$$work/config" --host "$$host"; \
	echo "== dispo watch: edit $$work/config/*.yaml (e.g. change a preload max), then in another terminal:"; \
	echo "   $(DISPO) status --socket $$work/dispo.sock      (Ctrl-C here stops the daemon)"; \
	$(DISPO) watch -c "$$work/config" --host "$$host" --socket "$$work/dispo.sock" || true

## bench-load: load-and-validate benchmark (10,000 objects in 100 files) vs raw libyaml scan and PyYAML CSafeLoader
bench-load: deps
	Benchmarks/load/run.sh

## bench-watch: idle CPU and RSS of `dispo watch` with 100 disposable templates over 60 s, and edit latency
bench-watch: deps
	Benchmarks/watch/idle.sh

## bench-ownership: a second controller's refusal, the takeover after kill -9, /v1/events latency (sim)
bench-ownership: deps
	Benchmarks/ownership/run.sh

## bench-reload: hand-out latency (p50/p99) while the controller reloads a 10,000-object config, before and after
## the config-source seam (the "before" side is built in a copy of the commit before it; see Benchmarks/README.md)
bench-reload: deps
	Benchmarks/reload/run.sh

## bench-git: the git source: push -> reconcile with a 10 s interval (median of 20), an unchanged fetch, RSS
bench-git: deps
	Benchmarks/git-source/run.sh 20 10s

## bench-soak: `dispo watch` (release) on the simulated host for SOAK_MINUTES (default 10) under a seeded random
## mix of edits, requests, releases, crashes, unpauses, faults and SIGHUPs; invariants and resources checked
SOAK_MINUTES ?= 10
SOAK_SEED ?= 1
bench-soak: deps
	$(SWIFT) build -c release --product dispo
	python3 Benchmarks/soak/soak.py --dispo .build/release/dispo --minutes $(SOAK_MINUTES) --seed $(SOAK_SEED)

## bench-attack: hostile clients on the socket of a running `dispo watch` (release, sim) — slowloris, huge heads and
## bodies, wrong Content-Length, pipelining, floods — with /v1/ping latency measured during each
bench-attack: deps
	$(SWIFT) build -c release --product dispo
	python3 Benchmarks/attack/attack.py --dispo .build/release/dispo --seconds 10

## bench-plan: planner time for 100, 1,000 and 10,000 declared objects
bench-plan: deps
	$(SWIFT) build --package-path Benchmarks -c release --product PlanTimer
	Benchmarks/.build/release/PlanTimer

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

clean:
	rm -rf .build

## e2e: real Xen 4.17 + Linux dom0 under QEMU (TCG); dom0 runs e2e/scenario.sh against `dispo --host xen`
## and the PASS/FAIL lines come back on the serial console (see e2e/README.md; cache in .e2e-cache/)
.PHONY: e2e
e2e:
	e2e/run.sh
