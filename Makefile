# dispo — common tasks. `make demo` and `make test` work on a fresh Debian 12 machine with Swift.
SHELL := /bin/bash
SWIFT ?= swift
DEBIAN_PACKAGES := libyaml-dev libinotifytools0-dev libxen-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DISPO := .build/debug/dispo

.PHONY: deps build test demo format bench-load bench-plan clean

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

## test: unit and end-to-end tests, then the schema/examples agreement check
test: deps
	$(SWIFT) build
	$(SWIFT) test
	python3 Tests/schema/check_schema.py --dispo $(DISPO)

## demo: a real job on a fresh simulated host: diff, apply examples/qubes, status (the state lives in a temp dir)
demo: build
	@host="sim:$$(mktemp -d)/host.json"; set -e; \
	echo "== dispo sim init --host $$host"; $(DISPO) sim init --boot 1s --host "$$host"; \
	echo "== dispo diff -c examples/qubes"; $(DISPO) diff -c examples/qubes --host "$$host" || [ $$? = 2 ]; \
	echo "== dispo apply -c examples/qubes"; $(DISPO) apply -c examples/qubes --host "$$host"; \
	echo "== dispo status -c examples/qubes"; $(DISPO) status -c examples/qubes --host "$$host"; \
	echo "== dispo sim ls"; $(DISPO) sim ls --host "$$host"

## bench-load: load-and-validate benchmark (10,000 objects in 100 files) vs raw libyaml scan and PyYAML CSafeLoader
bench-load: deps
	Benchmarks/load/run.sh

## bench-plan: planner time for 100, 1,000 and 10,000 declared objects
bench-plan: deps
	$(SWIFT) build --package-path Benchmarks -c release --product PlanTimer
	Benchmarks/.build/release/PlanTimer

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

clean:
	rm -rf .build
