#!/usr/bin/env python3
"""render-examples.py: runs test/doc/examples.sql block by block against a
fresh database and renders doc/examples.md: every public function, view and
setting with an example and the output it really produced.

Format of examples.sql: everything before the first "-- @" line is setup
(run, not shown). Each block starts with one or more "-- @ <object>" lines
naming what it documents (a function as regprocedure text, a view, or a
setting), then optional "-- # caption" lines, an optional "-- ! error" line
when the block shows a refusal, and its SQL. "-- ## Title" starts a section.

Fails (exit 1) when a public object has no example, a block names an object
that does not exist, a block errors unexpectedly (or not at all when it
should), or, without --write, when doc/examples.md differs from the
rendering. Needs PGHOST/PGPORT of a cluster preloading pg_privacy with a
master key. Prints "examples: N passed, M failed".
"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DB = "doc_examples"
# Type support functions that SQL cannot call directly.
NOT_CALLABLE = {
    "privacy.card_token_recv(internal)":
        "binary input of privacy.card_token (COPY FROM ... (FORMAT binary), binary protocol; see test/roundtrip)",
}


def run_block(db, file):
    """Runs one example file as the superuser "postgres"; stdout and stderr interleaved."""
    args = ["psql", "-X", "-U", "postgres", "-d", db, "-v", "VERBOSITY=default", "-v", "SHOW_CONTEXT=never",
            "-f", file]
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def su(db, sql, user="postgres"):
    """Runs sql as user (None: the cluster's bootstrap superuser, PGUSER)."""
    r = subprocess.run(["psql", "-X", "-q", "-d", db, "-v", "ON_ERROR_STOP=1", "-At"] + (["-U", user] if user else []),
                       input=sql, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        raise SystemExit("examples: setup failed")
    return r.stdout


def parse(path):
    setup, blocks, current = [], [], None
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("-- ## "):
            current = None
            blocks.append({"section": line[6:]})
            continue
        if line.startswith("-- @ "):
            if current is None or current["sql"] or current["caption"]:
                current = {"tags": [], "caption": [], "error": False, "sql": []}
                blocks.append(current)
            current["tags"].append(line[5:].strip())
            continue
        if current is None:
            setup.append(line)
        elif line.startswith("-- # "):
            current["caption"].append(line[5:])
        elif line.strip() == "-- ! error":
            current["error"] = True
        else:
            current["sql"].append(line)
    return "\n".join(setup), blocks


def clean(output):
    lines = []
    for line in output.splitlines():
        line = re.sub(r"^psql:[^:]*:\d+: ", "", line)
        lines.append(line.rstrip())
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def main():
    write = "--write" in sys.argv
    setup, blocks = parse(os.path.join(ROOT, "test/doc/examples.sql"))
    failures = []
    # The page shows a superuser called postgres, as on most installations;
    # a test cluster whose bootstrap superuser has another name (the shifted
    # pass of make test) gets a postgres superuser for the examples.
    made_role = su("postgres", """SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'postgres');""",
                   user=None).strip() == "t"
    if made_role:
        su("postgres", "CREATE ROLE postgres SUPERUSER LOGIN;", user=None)
    su("postgres", "SET client_min_messages = warning;\nDROP DATABASE IF EXISTS %s;\nCREATE DATABASE %s OWNER postgres;" % (DB, DB))
    try:
        # the output must not depend on the machine's time zone or locale
        su(DB, "ALTER DATABASE %s SET timezone = 'UTC';\nALTER DATABASE %s SET datestyle = 'ISO, YMD';\n"
               "ALTER DATABASE %s SET lc_messages = 'C';\nALTER DATABASE %s SET extra_float_digits = 1;" % (DB, DB, DB, DB))
        su(DB, "CREATE EXTENSION pg_privacy;")
        public = su(DB, """
SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.pronamespace = 'privacy'::regnamespace AND p.proname !~ '^_'
UNION ALL SELECT c.oid::regclass::text FROM pg_class c WHERE c.relnamespace = 'privacy'::regnamespace AND c.relkind = 'v'
UNION ALL SELECT name FROM pg_settings WHERE name LIKE 'privacy.%' ORDER BY 1;""").splitlines()
        tagged = {t for b in blocks if "tags" in b for t in b["tags"]}
        for obj in public:
            if obj not in tagged and obj not in NOT_CALLABLE:
                failures.append("no example for %s" % obj)
        for t in sorted(tagged - set(public)):
            failures.append("example names %s, which is not a public function, view or setting" % t)
        su(DB, setup)
        out = ["# Examples (generated: `make test` runs every block and fails when this page is stale)", "",
               "Every public function, view and setting of pg_privacy with an example and the output it",
               "produced, as the superuser unless the block says `SET ROLE`. The examples run in order in one",
               "database prepared by the setup below (the masking secret and the data key are fixed so the",
               "output is reproducible; never do that in production). Regenerate with",
               "`test/doc/render-examples.py --write` against a test cluster.", "",
               "```sql", setup.strip(), "```", ""]
        for name in sorted(NOT_CALLABLE):
            out.append("`%s` is not callable from SQL: %s." % (name, NOT_CALLABLE[name]))
            out.append("")
        for b in blocks:
            if "section" in b:
                out += ["## " + b["section"], ""]
                continue
            sql = "\n".join(b["sql"]).strip()
            with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
                f.write(sql + "\n")
            r = run_block(DB, f.name)
            os.unlink(f.name)
            text = clean(r.stdout)
            has_error = bool(re.search(r"^(ERROR|FATAL):", text, re.M))
            if has_error != b["error"]:
                failures.append("%s: %s" % (b["tags"][0], "unexpected error:\n" + text if has_error
                                                           else "expected an error, got none"))
            out.append("### " + ", ".join("`%s`" % t for t in b["tags"]))
            out.append("")
            if b["caption"]:
                out += [" ".join(b["caption"]), ""]
            out += ["```sql", sql, "```", "", "```text", text, "```", ""]
        rendered = "\n".join(out).rstrip() + "\n"
    finally:
        su("postgres", "SET client_min_messages = warning;\nDROP DATABASE IF EXISTS %s;" % DB)
        if made_role:
            su("postgres", "DROP ROLE postgres;", user=None)
    page = os.path.join(ROOT, "doc/examples.md")
    if write:
        open(page, "w", encoding="utf-8").write(rendered)
    elif not os.path.exists(page) or open(page, encoding="utf-8").read() != rendered:
        old = open(page, encoding="utf-8").read().splitlines() if os.path.exists(page) else []
        import difflib
        diff = list(difflib.unified_diff(old, rendered.splitlines(), "doc/examples.md", "rendered", lineterm=""))
        sys.stderr.write("\n".join(diff[:60]) + "\n")
        failures.append("doc/examples.md is stale: run test/doc/render-examples.py --write against a test cluster")
    for f in failures:
        sys.stderr.write("examples: %s\n" % f)
    examples = sum(1 for b in blocks if "tags" in b)
    print("examples: %d passed, %d failed" % (0 if failures else 1, 1 if failures else 0))
    print("examples: %d blocks, %d public objects" % (examples, len(public)), file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
