"""Fail when a pip install (its --dry-run --report) would change any package Colab pins.

Usage: python .ci/colab_unchanged.py REPORT.json .ci/colab-constraints.txt
Prints what the install would add; exits 1 naming every pinned package it would replace.
"""

import json
import re
import sys


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def main(report_path: str, constraints_path: str) -> int:
    pins = {}
    with open(constraints_path, encoding="utf-8") as constraints:
        for line in constraints:
            line = line.split("#", 1)[0].strip()
            if line:
                name, version = line.split("==")
                pins[canonical(name)] = version
    with open(report_path) as report:
        installs = [(item["metadata"]["name"], item["metadata"]["version"]) for item in json.load(report)["install"]]
    print("the install would add: " + (", ".join(f"{n} {v}" for n, v in installs) or "nothing"))
    changed = [f"{n} {pins[canonical(n)]} -> {v}" for n, v in installs if canonical(n) in pins]
    if changed:
        print("it would replace Colab's own: " + "; ".join(changed), file=sys.stderr)
        return 1
    print(f"none of Colab's {len(pins)} pinned packages would change")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
