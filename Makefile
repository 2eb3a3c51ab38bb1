# dispo — common tasks. `make demo` and `make test` work on a fresh Debian 12 machine with Swift.
SHELL := /bin/bash
SWIFT ?= swift
# git, gnupg and openssh-client: the git source runs them (and its tests serve and sign real repositories)
DEBIAN_PACKAGES := libyaml-dev libinotifytools0-dev libxen-dev libyajl-dev git gnupg openssh-client
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DISPO := .build/debug/dispo

QUBES_PACKAGES := libvirt-dev pkg-config python3-venv

.PHONY: deps deps-qubes test-qubes bench-qubes build test test-asan test-tsan test-tsan-core fuzz demo format bench-load \
	bench-plan bench-watch bench-ownership bench-reload bench-git bench-soak bench-attack clean \
	release release-deps install uninstall verify-unit substitute-unit deb deb-deps deb-check build-info

# Installation (make install PREFIX=... DESTDIR=...). SYSCONFDIR stays /etc for any PREFIX: dispo reads /etc/dispo
# by default; files there are installed only where none exist yet.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/dispo
DOCDIR ?= $(PREFIX)/share/doc/dispo
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
# The systemd-sleep hook (dispo sleep pre/post around a host suspend). systemd-sleep reads this one directory
# only, so it stays there for any PREFIX (as SYSCONFDIR does).
SLEEPDIR ?= /usr/lib/systemd/system-sleep
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/share/zsh/vendor-completions,$(PREFIX)/share/zsh/site-functions)
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
# The release build: Swift runtime linked statically (its C libraries stay shared), in its own scratch path.
RELEASE_SCRATCH ?= .build-release
RELEASE_FLAGS = -c release --static-swift-stdlib --scratch-path $(RELEASE_SCRATCH) -Xcc -I$(CURDIR)/$(BUILD_INFO) \
  -Xlinker -z -Xlinker now
RELEASE_DISPO = $(RELEASE_SCRATCH)/release/dispo
# What `make` knows of the build (the commit), as a C header outside git; see Sources/CBuildInfo.
BUILD_INFO := .build/build-info
# Man pages and completions, generated from the command tree of the release binary.
GENERATED := $(RELEASE_SCRATCH)/generated
VERSION := $(shell sed -n 's/.*static let number = "\(.*\)"/\1/p' Sources/DispoCommands/Dispo.swift)
# What `make release` checks first (debian/rules passes none: a package build installs nothing).
RELEASE_DEPS ?= release-deps
# The static Swift runtime's Foundation links libcurl (shared), as in e2e/build.sh.
RELEASE_PACKAGES := libcurl4-openssl-dev
# Debian packages `make deb` needs (on top of DEBIAN_PACKAGES and RELEASE_PACKAGES).
DEB_TOOLS := debhelper dpkg-dev lintian systemd
DEB_OUTPUT ?= .build/deb

# Installs the Debian packages $(1) that are missing.
apt_install_missing = missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing" >&2; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

## deps: install the Debian packages the build needs, when missing
deps:
	@$(call apt_install_missing,$(DEBIAN_PACKAGES))
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
	@$(call apt_install_missing,$(QUBES_PACKAGES))

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
## and sim suites (what .ci/run runs). Tests/sanitizers/tsan.supp: TSan does not see Swift's Mutex on Linux
TSAN_OPTIONS ?= halt_on_error=1 suppressions=$(CURDIR)/Tests/sanitizers/tsan.supp
test-tsan: deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build/tsan
	TSAN_OPTIONS="$(TSAN_OPTIONS)" $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build/tsan
test-tsan-core: deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build/tsan
	TSAN_OPTIONS="$(TSAN_OPTIONS)" $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build/tsan \
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
	rm -rf .build $(RELEASE_SCRATCH)

## build-info: record the git commit (`dispo --version`) in .build/build-info/dispo_build_info.h (rewritten only
## when it changes, so an unchanged tree rebuilds nothing)
build-info:
	@mkdir -p $(BUILD_INFO); \
	commit=$$(git describe --always --dirty --abbrev=12 --exclude='*' 2>/dev/null || echo unknown); \
	line="#define DISPO_BUILD_COMMIT \"$$commit\""; \
	[ "$$(cat $(BUILD_INFO)/dispo_build_info.h 2>/dev/null)" = "$$line" ] || echo "$$line" > $(BUILD_INFO)/dispo_build_info.h

## release: the release binary (Swift runtime linked statically), its man pages (swift-argument-parser's
## generate-manual) and its bash, zsh and fish completions, under $(RELEASE_SCRATCH)/
release: $(RELEASE_DEPS) build-info
	$(SWIFT) build $(RELEASE_FLAGS) --product dispo
	$(SWIFT) build $(RELEASE_FLAGS) --product generate-manual
	rm -rf $(GENERATED) && mkdir -p $(GENERATED)/man/man1 $(GENERATED)/completions
	date=$$(git log -1 --format=%cs 2>/dev/null || date -u +%F); \
	$(RELEASE_SCRATCH)/release/generate-manual $(RELEASE_DISPO) --multi-page --date "$$date" \
	  --authors "the dispo developers" --output-directory $(GENERATED)/man/man1
	for page in $(GENERATED)/man/man1/*.1; do \
	  awk -f dist/fix-manpages.awk "$$page" > "$$page.tmp" && mv "$$page.tmp" "$$page" || exit 1; \
	done
	for shell in bash zsh fish; do \
	  $(RELEASE_DISPO) --generate-completion-script $$shell | sed '1{/^#!/d}' > $(GENERATED)/completions/dispo.$$shell \
	    || exit 1; \
	done
	$(RELEASE_DISPO) --version

## install: install the release build under $(DESTDIR)$(PREFIX) (default /usr/local): the binary, man pages,
## completions, the systemd unit, the systemd-sleep hook ($(SLEEPDIR)/dispo), the JSON schema (share/dispo/schema),
## the examples (share/doc/dispo/examples: nowhere they take effect); $(SYSCONFDIR)/dispo/README and
## $(SYSCONFDIR)/default/dispo only when missing
install: release
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SLEEPDIR) \
	  $(DESTDIR)$(DATADIR)/schema \
	  $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR) \
	  $(DESTDIR)$(SYSCONFDIR)/dispo $(DESTDIR)$(SYSCONFDIR)/default
	install -m 0755 $(RELEASE_DISPO) $(DESTDIR)$(BINDIR)/dispo
	install -m 0644 $(GENERATED)/man/man1/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(GENERATED)/completions/dispo.bash $(DESTDIR)$(BASHCOMPDIR)/dispo
	install -m 0644 $(GENERATED)/completions/dispo.zsh $(DESTDIR)$(ZSHCOMPDIR)/_dispo
	install -m 0644 $(GENERATED)/completions/dispo.fish $(DESTDIR)$(FISHCOMPDIR)/dispo.fish
	$(call substitute,dist/systemd/dispo.service.in) > $(DESTDIR)$(UNITDIR)/dispo.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/dispo.service
	$(call substitute,dist/systemd/system-sleep/dispo) > $(DESTDIR)$(SLEEPDIR)/dispo
	chmod 0755 $(DESTDIR)$(SLEEPDIR)/dispo
	install -m 0644 schema/*.json $(DESTDIR)$(DATADIR)/schema/
	cp -R examples/. $(DESTDIR)$(DOCDIR)/examples/
	chmod -R u=rwX,go=rX $(DESTDIR)$(DOCDIR)/examples
	[ -e $(DESTDIR)$(SYSCONFDIR)/dispo/README ] || \
	  { $(call substitute,dist/etc/README.in) > $(DESTDIR)$(SYSCONFDIR)/dispo/README; \
	    chmod 0644 $(DESTDIR)$(SYSCONFDIR)/dispo/README; }
	[ -e $(DESTDIR)$(SYSCONFDIR)/default/dispo ] || \
	  install -m 0644 dist/etc/default.dispo $(DESTDIR)$(SYSCONFDIR)/default/dispo
	@echo "installed dispo $(VERSION) under $(DESTDIR)$(PREFIX); $$(du -sh --apparent-size $(DESTDIR)$(BINDIR)/dispo | cut -f1) binary"

## uninstall: remove what `make install` installed (the files in $(SYSCONFDIR) stay)
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/dispo $(DESTDIR)$(MANDIR)/man1/dispo.1 $(DESTDIR)$(MANDIR)/man1/dispo.*.1 \
	  $(DESTDIR)$(BASHCOMPDIR)/dispo $(DESTDIR)$(ZSHCOMPDIR)/_dispo $(DESTDIR)$(FISHCOMPDIR)/dispo.fish \
	  $(DESTDIR)$(UNITDIR)/dispo.service $(DESTDIR)$(SLEEPDIR)/dispo
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)

# The unit with the installation's paths filled in.
substitute = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g' \
  -e 's|@DOCDIR@|$(DOCDIR)|g' $(1)

## verify-unit: `systemd-analyze verify` of the unit (pointing at the release binary), and its
## `systemd-analyze security` exposure score
verify-unit: release
	@dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; \
	$(MAKE) -s --no-print-directory substitute-unit BINDIR=$(CURDIR)/$(RELEASE_SCRATCH)/release > "$$dir/dispo.service"; \
	MANPATH=$(CURDIR)/$(GENERATED)/man systemd-analyze verify "$$dir/dispo.service" && echo "systemd-analyze verify: ok"; \
	systemd-analyze security --offline=yes --no-pager "$$dir/dispo.service" | tail -1

substitute-unit:
	@$(call substitute,dist/systemd/dispo.service.in)

release-deps: deps
	@$(call apt_install_missing,$(RELEASE_PACKAGES))

## deb-deps: install the Debian tools `make deb` uses, when missing
deb-deps: release-deps
	@$(call apt_install_missing,$(DEB_TOOLS))

## deb: the Debian package, built in place by debhelper (debian/rules build, then binary: no root needed) into
## $(DEB_OUTPUT)/ (dpkg-buildpackage would write into the parent directory), then lintian on it
deb: deb-deps
	@[ "$$(dpkg-parsechangelog -S Version)" = "$(VERSION)" ] || \
	  { echo "debian/changelog says $$(dpkg-parsechangelog -S Version), Dispo.swift $(VERSION)" >&2; exit 1; }
	dpkg-checkbuilddeps
	mkdir -p $(DEB_OUTPUT)
	debian/rules build
	debian/rules binary DEB_OUTPUT=$(CURDIR)/$(DEB_OUTPUT)
	debian/rules clean
	lintian --fail-on error,warning --pedantic --show-overrides $(DEB_OUTPUT)/dispo_$(VERSION)_*.deb
	@ls -l $(DEB_OUTPUT)/dispo_$(VERSION)_*.deb

## deb-check: boot Debian 12 with systemd in a container (mmdebstrap + systemd-nspawn, as root; the root is cached in
## $(DEB_OUTPUT)/rootfs), install the .deb with dpkg -i and check the unit on a simulated host: start returns once
## READY, reload rescans, a SIGSTOPped controller is restarted by the watchdog and adopts its preloads, journal
## priorities, stop exits 0, man pages, bash completion, skipped without Xen (PASS/FAIL lines). Run `make deb` first.
deb-check:
	@$(call apt_install_missing,mmdebstrap systemd-container)
	@set -e; root=$(DEB_OUTPUT)/rootfs; ls $(DEB_OUTPUT)/dispo_$(VERSION)_*.deb >/dev/null; \
	if [ ! -x $$root/bin/systemctl ]; then \
	  rm -rf $$root; mmdebstrap --variant=minbase --include=systemd,systemd-sysv,dbus,procps,man-db,bash-completion \
	    bookworm $$root; \
	fi; \
	cp $(DEB_OUTPUT)/dispo_$(VERSION)_*.deb $$root/tmp/dispo.deb; \
	chroot $$root sh -c 'apt-get install -y -qq --reinstall /tmp/dispo.deb' 2>&1 | grep -v "Can not write log" || true; \
	chroot $$root dpkg-query -W -f='$${Status} $${Version}\n' dispo | grep -q "install ok installed"; \
	rm -rf $$root/var/lib/dispo $$root/root/deb-check.txt $$root/etc/systemd/system/dispo.service.d; \
	mkdir -p $$root/etc/systemd/system/dispo.service.d $$root/etc/systemd/system/multi-user.target.wants; \
	cp examples/quickstart/dispo.yaml $$root/etc/dispo/; \
	cp dist/deb-check/sim.conf $$root/etc/systemd/system/dispo.service.d/; \
	install -m 0755 dist/deb-check/deb-check.sh $$root/usr/local/bin/; \
	cp dist/deb-check/deb-check.service $$root/etc/systemd/system/; \
	ln -sf /etc/systemd/system/deb-check.service $$root/etc/systemd/system/multi-user.target.wants/; \
	timeout 300 systemd-nspawn --register=no --keep-unit -q -D $$root -b < /dev/null > $(DEB_OUTPUT)/deb-check-boot.log 2>&1 \
	  || true; \
	cat $$root/root/deb-check.txt; \
	grep -q '^DONE' $$root/root/deb-check.txt && ! grep -q '^FAIL' $$root/root/deb-check.txt

## e2e: real Xen 4.17 + Linux dom0 under QEMU (TCG); dom0 runs e2e/scenario.sh against `dispo --host xen`
## and the PASS/FAIL lines come back on the serial console (see e2e/README.md; cache in .e2e-cache/)
.PHONY: e2e
e2e:
	e2e/run.sh
