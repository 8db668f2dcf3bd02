#!/usr/bin/env python3
"""schema.py: prints the extension's objects as pg_dump describes them.

Reads the output of `pg_dump --schema-only --binary-upgrade` on stdin (the
binary-upgrade mode dumps extension members one by one, with the ALTER
EXTENSION ... ADD that records their membership) and keeps only the blocks of
the extension's members (whatever their schema), of other objects in schema
privacy and of the extension itself, without the OID
assignments, so that an updated database and a fresh install can be
compared with diff. Blocks are sorted by their header so that a difference
in the order of creation does not count, only a difference in definition."""
import re
import sys

blocks, current = [], None
skip = 0
for line in sys.stdin:
    line = line.rstrip("\n")
    if skip:
        skip -= 1
        continue
    if line == "UPDATE pg_catalog.pg_class":
        skip = 2  # SET relfrozenxid ... / WHERE oid = ...: per-database values
        continue
    if line.startswith("-- Name: "):
        current = [line]
        blocks.append(current)
        continue
    if current is None:
        continue
    # per-database values: OID assignments, the extension's creation call
    # (its configuration tables are compared by run.sh), sequence positions
    # (they count rows) and pg_dump's random \restrict keys
    if (line.startswith("-- For binary upgrade") or "binary_upgrade_" in line
            or line.startswith("SELECT pg_catalog.setval(") or line.startswith("\\restrict")
            or line.startswith("\\unrestrict")):
        continue
    # session settings pg_dump emits before the first table, wherever that
    # falls in its order (objects outside the extension move it)
    if line.startswith("SET default_tablespace") or line.startswith("SET default_table_access_method"):
        continue
    if line.startswith("-- TOC entry") or line.startswith("-- Dependencies:"):
        continue
    current.append(line)

kept = []
for b in blocks:
    header = b[0]
    member = any(l.startswith("ALTER EXTENSION pg_privacy ADD ") for l in b)
    if (member or re.search(r"; Schema: privacy;", header) or header.startswith("-- Name: privacy; Type: SCHEMA;")
            or header.startswith("-- Name: pg_privacy; Type: EXTENSION;")):
        body = "\n".join(l for l in b if l.strip() and l != "--")
        kept.append(body)
for body in sorted(kept):
    print(body)
    print()
