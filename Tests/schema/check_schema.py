#!/usr/bin/env python3
"""Keep the JSON Schema, the examples and the dispo loader in agreement.

Usage: python3 Tests/schema/check_schema.py [--dispo PATH_TO_DISPO]

Checks, one output line each:
  - schema/dispo-v1.schema.json is a valid Draft 2020-12 schema, every object in it
    is closed (additionalProperties: false) and every property has a description;
  - every document of every *.yaml / *.yml under examples/ passes the schema;
  - Tests/schema/invalid/*.yaml (one document each, invalid on its own) fail the
    schema, Tests/schema/valid/*.yaml pass it;
  - with --dispo: `dispo validate -c DIR` exits 0 for each examples/* directory and
    for each valid case, and 1 for each invalid case. A case is checked in a
    temporary directory holding a copy of it plus Tests/schema/support/*.yaml, the
    objects its references name, so it is accepted or refused for its own reason.

Ends with `N passed, M failed`; exits 1 if any check failed. Needs only jsonschema
(4.x) and PyYAML.
"""

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "schema" / "dispo-v1.schema.json"
EXAMPLES = ROOT / "examples"
CASES = ROOT / "Tests" / "schema"
YAML_SUFFIXES = (".yaml", ".yml")
DISPO_TIMEOUT = 60  # seconds per `dispo validate` run


class CoreLoader(yaml.SafeLoader):
    """PyYAML's safe loader, resolving plain scalars by the YAML 1.2 core schema.

    dispo's libyaml-based loader does, so `on`, `no`, `0777`, `1:30` or `2024-01-01`
    must not turn into booleans, octal, sexagesimal numbers or dates here.
    """


CoreLoader.yaml_implicit_resolvers = {}
CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)
CoreLoader.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])


def _construct_int(loader, node):
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def _construct_float(loader, node):
    text = loader.construct_scalar(node).lower()
    if text.endswith(".inf"):
        return -math.inf if text.startswith("-") else math.inf
    if text == ".nan":
        return math.nan
    return float(text)


CoreLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
CoreLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def load_documents(path):
    """The non-empty documents of a YAML file, in order."""
    with open(path, encoding="utf-8") as f:
        return [doc for doc in yaml.load_all(f, Loader=CoreLoader) if doc is not None]


def rel(path):
    return str(Path(path).relative_to(ROOT))


def describe(doc):
    """A short label for a document: `Template debian-12`."""
    if not isinstance(doc, dict):
        return type(doc).__name__
    return " ".join(str(doc[key]) for key in ("kind", "name") if key in doc) or "document"


def schema_error(validator, doc):
    """The most relevant schema error for doc as one line, or None if it is valid."""
    error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
    if error is None:
        return None
    where = "/".join(str(part) for part in error.absolute_path) or "(document)"
    message = error.message if len(error.message) <= 120 else error.message[:117] + "..."
    return f"{where}: {message}"


def lint_schema(node, path="", problems=None):
    """Objects must be closed and properties described (the root defers to the kind $defs)."""
    if problems is None:
        problems = []
    if isinstance(node, dict):
        if "properties" in node:
            if path and node.get("additionalProperties") is not False:
                problems.append(f"{path or '/'}: object without additionalProperties: false")
            for name, prop in node["properties"].items():
                if "description" not in prop and "$ref" not in prop:
                    problems.append(f"{path}/properties/{name}: no description")
        for key, child in node.items():
            if key not in ("if", "not", "const", "enum", "default"):
                lint_schema(child, f"{path}/{key}", problems)
    elif isinstance(node, list):
        for index, child in enumerate(node):
            lint_schema(child, f"{path}/{index}", problems)
    return problems


def undescribed_refs(schema):
    """$defs reached through a bare $ref from a property must carry the description."""
    problems = []

    def walk(node, path):
        if isinstance(node, dict):
            for name, prop in node.get("properties", {}).items():
                if isinstance(prop, dict) and "description" not in prop and "$ref" in prop:
                    target = prop["$ref"].removeprefix("#/$defs/")
                    if "description" not in schema.get("$defs", {}).get(target, {}):
                        problems.append(f"{path}/properties/{name}: $ref {prop['$ref']} has no description")
            for key, child in node.items():
                if key != "if":
                    walk(child, f"{path}/{key}")
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, f"{path}/{index}")

    walk(schema, "")
    return problems


def yaml_files(directory):
    """*.yaml and *.yml under directory, recursively, in sorted order, hidden ones skipped."""
    found = []
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(
            Path(dirpath) / name
            for name in filenames
            if name.endswith(YAML_SUFFIXES) and not name.startswith(".")
        )
    return sorted(found)


def make_config_dir(parent, sources, tree=None):
    """A config directory under parent holding copies of sources (files) or of tree (a folder).

    Modes are set to 0755/0644 so a root run is not refused for group-writable checkouts.
    """
    target = Path(tempfile.mkdtemp(dir=parent))
    os.chmod(target, 0o755)
    if tree is not None:
        shutil.copytree(tree, target, dirs_exist_ok=True, copy_function=shutil.copyfile)
    for source in sources:
        shutil.copyfile(source, target / source.name)
    for dirpath, dirnames, filenames in os.walk(target):
        for name in dirnames:
            os.chmod(Path(dirpath) / name, 0o755)
        for name in filenames:
            os.chmod(Path(dirpath) / name, 0o644)
    return target


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, label, ok, detail=None):
        if ok:
            self.passed += 1
            print(f"ok    {label}" + (f"  ({detail})" if detail else ""))
        else:
            self.failed += 1
            print(f"FAIL  {label}" + (f": {detail}" if detail else ""))
        return ok

    def note(self, text):
        print(f"note  {text}")


def run_dispo(dispo, config_dir):
    """(exit status, output) of `dispo validate -c config_dir`."""
    env = dict(os.environ, NO_COLOR="1")
    env.pop("DISPO_CONFIG", None)
    try:
        result = subprocess.run(
            [dispo, "validate", "-c", str(config_dir)],
            capture_output=True,
            text=True,
            timeout=DISPO_TIMEOUT,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return None, f"timed out after {DISPO_TIMEOUT}s"
    except OSError as error:
        return None, str(error)
    return result.returncode, (result.stdout + result.stderr).strip()


def indent(text):
    return "\n".join("        " + line for line in text.splitlines())


def check_dispo_run(report, dispo, label, config_dir, expected):
    status, output = run_dispo(dispo, config_dir)
    ok = status == expected
    detail = f"exit {status}, want {expected}"
    report.check(label, ok, detail if not ok else None)
    if not ok and output:
        print(indent(output))


def case_header(path, word):
    """The reason on the first line (`# invalid: ...`), or None if it is missing."""
    with open(path, encoding="utf-8") as f:
        first = f.readline().strip()
    prefix = f"# {word}:"
    return first[len(prefix):].strip() if first.startswith(prefix) else None


def check_schema_file(report):
    try:
        with open(SCHEMA_PATH, encoding="utf-8") as f:
            schema = json.load(f)
    except (OSError, ValueError) as error:
        report.check(f"{rel(SCHEMA_PATH)}: readable JSON", False, str(error))
        return None
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.exceptions.SchemaError as error:
        report.check(f"{rel(SCHEMA_PATH)}: valid Draft 2020-12 schema", False, error.message)
        return None
    report.check(f"{rel(SCHEMA_PATH)}: valid Draft 2020-12 schema", True)
    report.check(
        f"{rel(SCHEMA_PATH)}: has $id and title",
        bool(schema.get("$id")) and bool(schema.get("title")),
    )
    problems = lint_schema(schema) + undescribed_refs(schema)
    report.check(
        f"{rel(SCHEMA_PATH)}: objects closed, every property described",
        not problems,
        "; ".join(problems[:5]) + (f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""),
    )
    return jsonschema.Draft202012Validator(schema)


def check_examples(report, validator):
    files = yaml_files(EXAMPLES)
    report.check("examples/: has YAML files", bool(files))
    for path in files:
        try:
            docs = load_documents(path)
        except yaml.YAMLError as error:
            report.check(f"{rel(path)}: parses", False, str(error).replace("\n", " "))
            continue
        if not docs:
            report.check(f"{rel(path)}: has documents", False)
        for index, doc in enumerate(docs, 1):
            error = schema_error(validator, doc)
            report.check(f"{rel(path)}#{index} {describe(doc)}: schema accepts", error is None, error)


def check_cases(report, validator, word):
    """Schema checks of Tests/schema/<word>/*.yaml; returns the case files."""
    files = sorted((CASES / word).glob("*.yaml"))
    report.check(f"Tests/schema/{word}/: has cases", bool(files))
    for path in files:
        label = rel(path)
        reason = case_header(path, word)
        if reason is None:
            report.check(f"{label}: first line says why (`# {word}: ...`)", False)
            continue
        try:
            docs = load_documents(path)
        except yaml.YAMLError as error:
            report.check(f"{label}: parses", False, str(error).replace("\n", " "))
            continue
        if word == "invalid":
            if len(docs) != 1:
                report.check(f"{label}: exactly one document", False, f"found {len(docs)}")
                continue
            error = schema_error(validator, docs[0])
            report.check(
                f"{label}: schema rejects ({reason})",
                error is not None,
                error if error is not None else "accepted",
            )
        else:
            errors = [(index, schema_error(validator, doc)) for index, doc in enumerate(docs, 1)]
            errors = [f"#{index} {error}" for index, error in errors if error is not None]
            report.check(f"{label}: schema accepts ({reason})", not errors and bool(docs), "; ".join(errors) or None)
    return files


def check_binary(report, dispo, invalid_cases, valid_cases):
    if not (os.path.isfile(dispo) and os.access(dispo, os.X_OK)):
        report.check(f"dispo binary {dispo}: exists and is executable", False)
        return
    support = sorted((CASES / "support").glob("*.yaml"))
    with tempfile.TemporaryDirectory(prefix="dispo-schema-") as scratch:
        check_dispo_run(
            report, dispo, "dispo validate Tests/schema/support/: exit 0", make_config_dir(scratch, support), 0
        )
        for example in sorted(p for p in EXAMPLES.iterdir() if p.is_dir() and not p.name.startswith(".")):
            config = make_config_dir(scratch, [], tree=example)
            check_dispo_run(report, dispo, f"dispo validate {rel(example)}/: exit 0", config, 0)
        for expected, cases in ((1, invalid_cases), (0, valid_cases)):
            for path in cases:
                config = make_config_dir(scratch, support + [path])
                check_dispo_run(report, dispo, f"dispo validate {rel(path)}: exit {expected}", config, expected)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dispo", metavar="PATH", help="the dispo binary; without it the loader checks are skipped")
    args = parser.parse_args()

    report = Report()
    validator = check_schema_file(report)
    if validator is not None:
        check_examples(report, validator)
        invalid_cases = check_cases(report, validator, "invalid")
        valid_cases = check_cases(report, validator, "valid")
        if args.dispo:
            check_binary(report, os.path.abspath(args.dispo), invalid_cases, valid_cases)
        else:
            report.note("no --dispo given: skipped the `dispo validate` checks")
    print(f"{report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
