#!/usr/bin/env python3
"""Checks exposition bodies against the ABNF grammar of the OpenMetrics 2.0 specification.

The grammar is read at run time from the specification's Markdown (prometheus/docs,
docs/specs/om/open_metrics_spec_2_0.md, the single ```abnf block), so nothing of the specification
lives in this repository. Scripts/test.sh keeps a pinned copy of prometheus/docs outside the
repository and a virtualenv with the `abnf` package, and the Swift tests call this script.

Usage: check_openmetrics2_grammar.py SPEC.md BODY_FILE...
Prints one line per body and exits 0 when every body parses, 1 otherwise, 2 on a usage error.
"""

import sys

try:
    from abnf import Rule
except ImportError:
    print("the abnf package is missing: pip install abnf", file=sys.stderr)
    sys.exit(2)


class OpenMetrics2(Rule):
    """The grammar loaded from the specification."""


def grammar_text(spec_path):
    """The lines of the specification's one abnf code block, stripped as the rule loader wants."""
    rules, inside, blocks = [], False, 0
    with open(spec_path, encoding="utf-8") as spec:
        for line in spec:
            if inside:
                if line.startswith("```"):
                    inside = False
                else:
                    rules.append(line.strip())
            elif line.startswith("```abnf"):
                inside, blocks = True, blocks + 1
    if blocks != 1 or not rules:
        raise ValueError(f"{spec_path}: expected exactly one non-empty abnf block, found {blocks}")
    return "\n".join(rules)


def main(arguments):
    if len(arguments) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    OpenMetrics2.load_grammar(grammar_text(arguments[0]), strict=True)
    exposition = OpenMetrics2.get("exposition")
    failures = 0
    for path in arguments[1:]:
        with open(path, "rb") as body:
            text = body.read().decode("utf-8")
        try:
            exposition.parse_all(text)
            print(f"ok {path}")
        except Exception as error:  # the parser raises its own ParseError types
            failures += 1
            print(f"FAIL {path}: {error}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
