#!/usr/bin/env python3
"""summary.py: prints the FF1 ratio table from the core benchmark's JSON output (run-bench.sh).

Each ratio is the median over interleaved rounds (floor and FF1 timed back to back on thread CPU time), with
the lowest and highest round: see test/bench/core/fpe_bench.cpp.
"""
import json
import os
import sys

GOALS = {
    "BM_Ff1VsFloor": ("FF1 per value / floor (10 one-block AES)", "<= 1.5"),
    "BM_Ff1ManyVsFloor": ("FF1 batch (EncryptMany, 32 lanes) per value / floor", "<= 1.0 (card16)"),
    "BM_Ff1BatchVsFloor": ("FF1 string batch (EncryptBatch) per value / floor", ""),
    "BM_TokenizeManyVsFloor": ("card tokens, batch (TokenFormat::TokenizeMany: parse, Luhn, FF1 lanes, rebuild) per value / floor",
                               "<= 1.0"),
    "BM_TokenizeVsFloor": ("card tokens, one call per value (TokenFormat::Tokenize) per value / floor", ""),
}

# the goals, recorded for the table run-bench.sh prints last (test/bench/goals.py)
RECORDED = {
    "BM_Ff1VsFloor": ("FF1 per value / its AES floor", "<= 1.5"),
    "BM_TokenizeManyVsFloor": ("card tokens through the batch path per value / the floor", "<= 1.0"),
}


def main(path):
    with open(path) as f:
        data = json.load(f)
    rows = []
    print("floor: 10 chained AesEcb::EncryptBlock calls (AES-NI round keys where the CPU has them, else EVP)")
    for bench in data.get("benchmarks", []):
        name = bench["name"].split("/")[0]
        if name not in GOALS or "x_floor" not in bench:
            continue
        label, goal = GOALS[name]
        rows.append((label, bench.get("label", ""), bench["x_floor"], bench["x_floor_min"], bench["x_floor_max"],
                     bench["ns_per_value"], bench["floor_ns"], int(bench["rounds"]), goal))
        if name in RECORDED and os.environ.get("BENCH_GOALS"):
            measure, target = RECORDED[name]
            with open(os.environ["BENCH_GOALS"], "a") as out:
                out.write(f"{measure}, {bench.get('label', '')}\t{bench['x_floor']:.2f} "
                          f"[{bench['x_floor_min']:.2f}-{bench['x_floor_max']:.2f}]\t{target}\n")
    print("| measure | case | ratio (median) | spread (min-max) | ns/value | floor ns | rounds | goal |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for label, case, ratio, lo, hi, ns, floor_ns, rounds, goal in rows:
        print(f"| {label} | {case} | {ratio:.2f} | {lo:.2f}-{hi:.2f} | {ns:.0f} | {floor_ns:.0f} | {rounds} | {goal} |")


if __name__ == "__main__":
    main(sys.argv[1])
