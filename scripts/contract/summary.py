"""What the contract run reached, from the server's access log: per operation of the schema, how many answers
were a success (2xx). An operation that never got past 4xx was only tested on its error paths; the list says
which, so that a green run is not mistaken for more than it is. Informational: it never fails the run.

    python scripts/contract/summary.py SCHEMA.json SERVER.log
"""

import collections
import json
import re
import sys
from urllib.parse import unquote

ACCESS = re.compile(r'"([A-Z]+) (\S+) HTTP/1\.[01]" (\d{3})')


def operations(schema):
    for path, item in schema["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        for method in item:
            if method in {"get", "post", "patch", "put", "delete"}:
                yield method.upper(), path, pattern


def main(schema_path, log_path):
    with open(schema_path) as schema_file:
        ops = list(operations(json.load(schema_file)))
    with open(log_path, errors="replace") as log_file:
        lines = log_file.readlines()
    counts = collections.defaultdict(collections.Counter)
    for line in lines:
        match = ACCESS.search(line)
        if not match:
            continue
        method, target, status = match.groups()
        path = unquote(target.split("?", 1)[0])
        for op_method, op_path, pattern in ops:
            if op_method == method and pattern.match(path):
                counts[(op_method, op_path)][status[0] + "xx"] += 1
                break
    total = collections.Counter()
    for counter in counts.values():
        total.update(counter)
    reached = [op for op in counts if counts[op]["2xx"]]
    print(
        f"contract summary: {sum(total.values())} requests to {len(counts)} of {len(ops)} operations; "
        + ", ".join(f"{kind} {total[kind]}" for kind in sorted(total))
    )
    print(f"contract summary: {len(reached)} of {len(ops)} operations answered 2xx at least once")
    for method, path, _ in sorted(ops, key=lambda op: (op[1], op[0])):
        counter = counts.get((method, path), collections.Counter())
        if not counter["2xx"]:
            seen = ", ".join(f"{kind} {n}" for kind, n in sorted(counter.items())) or "no request"
            print(f"  never 2xx: {method} {path} ({seen})")


if __name__ == "__main__":
    main(*sys.argv[1:3])
