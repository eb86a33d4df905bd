#!/usr/bin/env python3
"""dexter's method beside pgsift's advice, on the same logs and the same loaded server.

dexter (github.com/ankane/dexter) takes each slow query, creates HypoPG hypothetical indexes on the columns its
WHERE, JOIN and ORDER BY name (each column alone, then pairs), explains the query with each, and suggests the
one index that cuts the planner's cost most, when it cuts it by at least half. dexter itself is a Ruby gem this
machine cannot install, so this script applies that method, written here from its README, to each query pgsift
reports as slow (its slowest logged text), and prints what each suggests for it.

usage: dexter-method.py PSQL_ARGS... -- REPORT.json...   (psql's connection options, then pgsift JSON reports)
needs: pglast (pip install pglast), psql, a database with HypoPG and the fixtures' tables loaded.
"""
import itertools
import json
import subprocess
import sys

from pglast import ast, parse_sql
from pglast.visitors import Visitor

split = sys.argv.index("--")
PSQL = ["psql", "-X", "-A", "-t", "-q"] + sys.argv[1:split]
reports = sys.argv[split + 1:]


def sql(statement):
    out = subprocess.run(PSQL + ["-c", statement], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    return out.stdout.strip()


def cost(query, indexes):
    """The planner's total cost of `query` with these hypothetical indexes (one psql session)."""
    script = "SELECT hypopg_reset();\n" + "".join(
        f"SELECT indexrelid FROM hypopg_create_index($i${ddl}$i$);\n" for ddl in indexes)
    script += f"EXPLAIN (FORMAT JSON) {query};\n"
    out = subprocess.run(PSQL, input=script, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    text = out.stdout[out.stdout.index("["):]
    return json.loads(text)[0]["Plan"]["Total Cost"]


columns_of = {}
for row in sql("SELECT table_name, column_name FROM information_schema.columns "
               "WHERE table_schema = 'public'").splitlines():
    table, column = row.split("|")
    columns_of.setdefault(table, set()).add(column)


class Columns(Visitor):
    """Tables by alias, and the columns of WHERE, JOIN ON and ORDER BY (dexter's candidates)."""

    def __init__(self):
        self.aliases = {}
        self.refs = []
        self.depth = 0

    def visit_RangeVar(self, ancestors, node):
        self.aliases[node.alias.aliasname if node.alias else node.relname] = node.relname

    def visit_ColumnRef(self, ancestors, node):
        names = [f.sval for f in node.fields if isinstance(f, ast.String)]
        inside = False
        step = ancestors
        while step is not None and step.parent is not None:
            inside = inside or step.member in ("whereClause", "quals", "sortClause")
            step = step.parent
        if names and inside:
            self.refs.append(names)


def candidates(query):
    visitor = Columns()
    visitor(parse_sql(query))
    by_table = {}
    for names in visitor.refs:
        if len(names) == 2:
            table = visitor.aliases.get(names[0])
        else:
            tables = [t for t in visitor.aliases.values() if names[-1] in columns_of.get(t, ())]
            table = tables[0] if len(tables) == 1 else None
        if table and names[-1] in columns_of.get(table, ()):
            by_table.setdefault(table, [])
            if names[-1] not in by_table[table]:
                by_table[table].append(names[-1])
    singles = [(t, (c,)) for t, cs in by_table.items() for c in cs]
    pairs = [(t, p) for t, cs in by_table.items() for p in itertools.permutations(cs, 2)]
    return singles, pairs


def ddl(table, cols):
    return f"CREATE INDEX ON {table} ({', '.join(cols)})"


print("| log | query | before | dexter's method | its cost | pgsift |")
print("| --- | --- | --- | --- | --- | --- |")
for path in reports:
    report = json.load(open(path))
    name = path.rsplit("/", 1)[-1].removesuffix(".json")
    served = {}
    for s in report["index_suggestions"]:
        for f in s["fingerprints"]:
            served.setdefault(f, []).append(s["ddl"].split(" ON ", 1)[1].rstrip(";"))
    for q in report["queries"]:
        text = (q["example"] or "").strip().rstrip(";")
        if q["slow_calls"] == 0 or not text.lower().startswith("select") or "$1" in text:
            continue
        try:
            before = cost(text, [])
            singles, pairs = candidates(text)
            best = None
            for table, cols in singles + pairs:
                after = cost(text, [ddl(table, cols)])
                if best is None or after < best[0] - 0.01:
                    best = (after, f"{table} ({', '.join(cols)})")
        except Exception as error:  # a query HypoPG or the parser cannot take: say so, go on
            print(f"| {name} | {q['fingerprint']} | | not run: {str(error)[:60]} | | |")
            continue
        pick = best[1] if best and best[0] <= before * 0.5 else "none"
        print(f"| {name} | {q['fingerprint']} | {before:.0f} | {pick} | "
              f"{best[0] if best else before:.0f} | {'; '.join(served.get(q['fingerprint'], ['none']))} |")
