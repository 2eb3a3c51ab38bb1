#!/usr/bin/env python3
"""Times PyYAML's C loader on a config directory: list(yaml.load_all(f, Loader=yaml.CSafeLoader))
for every *.yaml/*.yml file (the files dispo reads), over several runs.

usage: pyyaml_time.py DIR [--runs N] [--expect N] [--json PATH]
"""
import argparse
import json
import os
import statistics
import sys
import time

import yaml


def config_files(directory):
    """*.yaml and *.yml under directory, sorted by relative path, skipping hidden entries."""
    found = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith(".") and name.endswith((".yaml", ".yml")):
                found.append(os.path.relpath(os.path.join(root, name), directory))
    return [os.path.join(directory, path) for path in sorted(found)]


def load_all(paths):
    documents = 0
    for path in paths:
        with open(path, "rb") as f:
            documents += len(list(yaml.load_all(f, Loader=yaml.CSafeLoader)))
    return documents


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--expect", type=int, default=10_000, help="documents the files must hold")
    parser.add_argument("--json")
    args = parser.parse_args()
    if not getattr(yaml, "__with_libyaml__", False) or not hasattr(yaml, "CSafeLoader"):
        sys.exit("PyYAML was built without libyaml: yaml.CSafeLoader is missing")
    paths = config_files(args.directory)
    documents = load_all(paths)  # warm-up, and the check
    if documents != args.expect:
        sys.exit(f"{args.directory}: {documents} documents, expected {args.expect}")
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        load_all(paths)
        times.append((time.perf_counter() - start) * 1e3)
    median = statistics.median(times)
    print(f"python CSafeLoader      median {median:8.2f} ms  min {min(times):8.2f} ms"
          f"  ({len(paths)} files, {documents} documents, PyYAML {yaml.__version__}, {args.runs} runs)")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"python_ms": times, "python_median_ms": median, "files": len(paths),
                       "documents": documents, "pyyaml": yaml.__version__}, out, indent=2)


if __name__ == "__main__":
    main()
