#!/usr/bin/env python3
"""list-sqlstates.py: every SQLSTATE pg_privacy's source raises, one per line
("CODE condition_name"), sorted. Read from:
  * src/pg/**/*.cpp: errcode(ERRCODE_X), the ErrorKind table of the error
    boundary (return ERRCODE_X in src/pg/boundary/), elog(ERROR) (XX000);
  * src/sql/parts/*.sql: RAISE ... USING ERRCODE = 'name' or '5-char code',
    and RAISE EXCEPTION without an ERRCODE (P0001 raise_exception).
Condition names and ERRCODE_ macros are resolved with PostgreSQL's
utils/errcodes.h (pg_config --includedir-server). An unknown name fails.
Used by test/doc/check-sqlstates.sh (doc/troubleshooting.md must list each)."""
import glob, os, re, subprocess, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
inc = subprocess.run(['pg_config', '--includedir-server'], capture_output=True, text=True, check=True).stdout.strip()
macros = {}
for m in re.finditer(r"#define (ERRCODE_[A-Z0-9_]+)\s+MAKE_SQLSTATE\('(.)',\s*'(.)',\s*'(.)',\s*'(.)',\s*'(.)'\)",
                     open(os.path.join(inc, 'utils', 'errcodes.h')).read()):
    macros[m.group(1)] = ''.join(m.group(i) for i in range(2, 7))
by_code = {}
for name, code in macros.items():
    by_code.setdefault(code, name)

found = {}  # code -> condition name


def add_macro(macro, where):
    if macro not in macros:
        sys.exit(f'list-sqlstates: unknown {macro} in {where}')
    found[macros[macro]] = macro[len('ERRCODE_'):].lower()


for path in sorted(glob.glob(os.path.join(root, 'src', 'pg', '**', '*.cpp'), recursive=True)):
    text = open(path).read()
    rel = os.path.relpath(path, root)
    for m in re.finditer(r'errcode\((ERRCODE_[A-Z0-9_]+)\)', text):
        add_macro(m.group(1), rel)
    if os.sep + 'boundary' + os.sep in path:
        for m in re.finditer(r'return (ERRCODE_[A-Z0-9_]+);', text):
            add_macro(m.group(1), rel)
    if re.search(r'\belog\(ERROR', text):
        found['XX000'] = 'internal_error'

for path in sorted(glob.glob(os.path.join(root, 'src', 'sql', 'parts', '*.sql'))):
    text = open(path).read()
    rel = os.path.relpath(path, root)
    # each RAISE statement up to its semicolon (messages never hold one
    # outside quotes in these files)
    for m in re.finditer(r"\bRAISE\s+(EXCEPTION|WARNING|NOTICE|LOG|INFO|DEBUG|'|[A-Za-z_]+)(.*?);", text, re.S):
        level, body = m.group(1), m.group(2)
        if level not in ('EXCEPTION',) and not level.startswith("'"):
            if level.upper() not in ('WARNING', 'NOTICE', 'LOG', 'INFO', 'DEBUG'):
                # RAISE condition_name
                add_macro('ERRCODE_' + level.upper(), rel)
            continue
        c = re.search(r"ERRCODE\s*=\s*'([^']+)'", body)
        if c is None and re.search(r"ERRCODE\s*=\s*SQLSTATE\b", body):
            # re-raises a caught error with its own SQLSTATE
            continue
        if c is None:
            found['P0001'] = 'raise_exception'
        elif re.fullmatch(r'[0-9A-Z]{5}', c.group(1)):
            found[c.group(1)] = by_code.get(c.group(1), 'ERRCODE_?')[len('ERRCODE_'):].lower()
        else:
            add_macro('ERRCODE_' + c.group(1).upper(), rel)

for code in sorted(found):
    print(code, found[code])
