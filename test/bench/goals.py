#!/usr/bin/env python3
"""goals.py GOALS_TSV: prints the goal table of one `make bench` run.

Each line of the file is MEASURE, RESULT ("median [min-max]" or one number) and GOAL ("<= x", ">= x"
or "-"), tab-separated, written by the benchmarks as they ran (test/bench/goals.sh, summary.py, and
bench.ratio(goal => ...)). A goal is judged on the median; the spread is printed beside it.
"""
import re
import sys


def judge(result, goal):
    m = re.match(r"\s*(-?[0-9.]+)", result)
    g = re.match(r"\s*(<=|>=)\s*(-?[0-9.]+)", goal)
    if not m or not g:
        return "-" if goal.strip() in ("", "-") else "n/a"
    value, limit = float(m.group(1)), float(g.group(2))
    met = value <= limit if g.group(1) == "<=" else value >= limit
    return "met" if met else "MISSED"


def main(path):
    rows = []
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 3:
                rows.append(parts)
    print("| measure | median [min-max] | goal | |")
    print("| --- | --- | --- | --- |")
    for measure, result, goal in rows:
        print(f"| {measure} | {result} | {goal} | {judge(result, goal)} |")
    judged = [judge(r, g) for _, r, g in rows]
    print(f"\n{judged.count('met')} goals met, {judged.count('MISSED')} missed, of {len(rows)} rows")


if __name__ == "__main__":
    main(sys.argv[1])
