# dispo — common tasks. `make demo` and `make test` work on a fresh Debian 12 machine with Swift.
SHELL := /bin/bash
SWIFT ?= swift
DEBIAN_PACKAGES := libyaml-dev libinotifytools0-dev libxen-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DISPO := .build/debug/dispo

.PHONY: deps build test demo format bench-load clean

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

## demo: validate the Qubes example and print it normalised
demo: build
	$(DISPO) validate -c examples/qubes --print
	$(DISPO) validate -c examples/qubes

## bench-load: load-and-validate benchmark (10,000 objects in 100 files) vs raw libyaml scan and PyYAML CSafeLoader
bench-load: deps
	Benchmarks/load/run.sh

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

clean:
	rm -rf .build
