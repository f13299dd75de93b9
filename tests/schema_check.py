#!/usr/bin/env python3
"""schema_check.py SCHEMA JSON... — validate each JSON document against a schema of
doc/schema/ (JSON Schema 2020-12, python3-jsonschema). A "$ref" to another file of that
folder ("health.json") is resolved from the folder itself, so the check needs no network
and works with old and new jsonschema releases alike. Exit 0 when every document is
valid; otherwise one line per error on stderr and exit 1."""
import json
import os
import sys

import jsonschema


def inline(node, folder, seen=()):
    """Replace {"$ref": "file.json"} by that schema (without its $id/$schema)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.endswith(".json") and ref not in seen:
            with open(os.path.join(folder, ref)) as f:
                sub = json.load(f)
            sub.pop("$id", None)
            sub.pop("$schema", None)
            return inline(sub, folder, seen + (ref,))
        return {k: inline(v, folder, seen) for k, v in node.items()}
    if isinstance(node, list):
        return [inline(v, folder, seen) for v in node]
    return node


def main():
    if len(sys.argv) < 3:
        print("usage: schema_check.py SCHEMA JSON...", file=sys.stderr)
        return 2
    path = sys.argv[1]
    with open(path) as f:
        schema = inline(json.load(f), os.path.dirname(os.path.abspath(path)))
    schema.pop("$id", None)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)
    bad = 0
    for doc in sys.argv[2:]:
        with open(doc) as f:
            data = json.load(f)
        for err in validator.iter_errors(data):
            where = "/".join(str(p) for p in err.absolute_path)
            print("%s: /%s: %s" % (doc, where, err.message), file=sys.stderr)
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
