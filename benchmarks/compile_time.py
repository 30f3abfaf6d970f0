#!/usr/bin/python3
"""Tracks how long g++ -O2 takes to compile mlpipe programs from scratch, so compile time cannot silently grow.

    /usr/bin/python3 benchmarks/compile_time.py [--repetitions 5] [--compiler g++] [--only TEXT] [--update-baseline]

For each tracked source (compile_time_budget.json) it prints the best of a few wall times of `g++ -std=c++20 -O2 -c`
(the least disturbed run) and its ratio to benchmarks/compile_yardstick.cpp (the dependencies alone), compiled in
the same run. It exits with 1
when a source takes longer than its limit in seconds, or when its ratio grew by more than the tolerance over the
recorded baseline; --update-baseline records the ratios measured now (after a change that is worth its cost).
An entry may add compiler flags ("flags"), a label (for one source tracked with several flags), its own
"repetitions", and "at_most_times": [label, factor], a limit relative to an entry measured before it (a harness of
eight run-time pipelines against a harness of one). --only TEXT measures the entries whose label contains TEXT.
Run it on an otherwise idle machine: it times one compiler process at a time.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUDGET = os.path.join(HERE, "compile_time_budget.json")


def include_flags():
    flags = ["-I", os.path.join(ROOT, "include")]
    for candidate in ("/usr/include/eigen3", "/usr/local/include/eigen3"):
        if os.path.isdir(candidate):
            flags += ["-isystem", candidate]
            break
    return flags


def compile_seconds(source, repetitions=3, compiler="g++", flags=()):
    """Best wall time of compiling `source` (relative to the repository root) with -std=c++20 -O2 and `flags`, no
    PCH."""
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        subprocess.run([compiler, "-std=c++20", "-O2", *flags, *include_flags(), "-c", os.path.join(ROOT, source),
                        "-o", os.devnull], check=True)
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--compiler", default="g++")
    parser.add_argument("--update-baseline", action="store_true")
    parser.add_argument("--only", default="", help="measure only the tracked entries whose label contains this")
    args = parser.parse_args()
    with open(BUDGET) as f:
        budget = json.load(f)

    yardstick = compile_seconds(budget["yardstick"], args.repetitions, args.compiler)
    print(f"{budget['yardstick']}: {yardstick:.2f} s (the yardstick)")
    failures = []
    rows = []
    measured = {}
    for entry in budget["tracked"]:
        label = entry.get("label", entry["source"])
        if args.only and args.only not in label:
            continue
        seconds = compile_seconds(entry["source"], entry.get("repetitions", args.repetitions), args.compiler,
                                  entry.get("flags", ()))
        measured[label] = seconds
        ratio = seconds / yardstick
        limit_ratio = entry["baseline_ratio"] * (1 + budget["tolerance"])
        verdict = "ok"
        if "limit_seconds" in entry and seconds > entry["limit_seconds"]:
            verdict = f"over the {entry['limit_seconds']} s limit"
        elif ("at_most_times" in entry and entry["at_most_times"][0] in measured
              and seconds > entry["at_most_times"][1] * measured[entry["at_most_times"][0]]):
            verdict = f"over {entry['at_most_times'][1]}x {entry['at_most_times'][0]}"
        elif ratio > limit_ratio:
            verdict = f"grew: ratio above {limit_ratio:.2f} (baseline {entry['baseline_ratio']:.2f})"
        if verdict != "ok":
            failures.append(label)
        rows.append((label, f"{seconds:.1f} s", f"{ratio:.2f}", f"{entry['baseline_ratio']:.2f}",
                     f"< {entry['limit_seconds']} s" if "limit_seconds" in entry else "-", verdict))
        entry["measured_ratio"] = ratio
    header = ("source", "best", "ratio", "baseline", "limit", "verdict")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    for r in [header] + rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))

    if args.update_baseline:
        for entry in budget["tracked"]:
            if "measured_ratio" in entry:
                entry["baseline_ratio"] = round(entry.pop("measured_ratio"), 2)
        with open(BUDGET, "w") as f:
            json.dump(budget, f, indent=2)
            f.write("\n")
        print(f"baselines written to {os.path.relpath(BUDGET, ROOT)}")
        return 0
    if failures:
        print("compile time regressed: " + ", ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
