#!/usr/bin/python3
"""Runs mlpipe's benchmark workloads and the same workloads in scikit-learn, one after the other on this machine,
and prints one table of medians and ratios (see README.md for the workloads and targets).

    cmake --preset bench && cmake --build --preset bench
    /usr/bin/python3 benchmarks/compare_sklearn.py [--build build/bench] [--repetitions 5] [--markdown]

scikit-learn comes from Debian's python3-sklearn (run this with /usr/bin/python3); without it, only mlpipe's side
is printed. mlpipe itself never needs Python.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

from compile_time import compile_seconds  # benchmarks/compile_time.py: the same measurement, tracked there

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run_mlpipe(binary, repetitions):
    out = subprocess.run([binary, "--benchmark_format=json", f"--benchmark_repetitions={repetitions}",
                          "--benchmark_report_aggregates_only=true", "--benchmark_min_time=0.2"],
                         check=True, capture_output=True, text=True).stdout
    medians = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") == "median":
            name = b["run_name"]
            scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
            medians[name] = {"seconds": b["real_time"] * scale, **{k: v for k, v in b.items() if k in (
                "allocations_per_row", "fits_saved", "bytes_per_second", "items_per_second")}}
    return medians


def median_seconds(f, repetitions, inner=1):
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        for _ in range(inner):
            f()
        times.append((time.perf_counter() - start) / inner)
    return statistics.median(times)


def run_sklearn(binary, repetitions):
    try:
        import warnings
        warnings.filterwarnings("ignore")  # lbfgs's ConvergenceWarning at the default max_iter: the same defaults
        import numpy as np
        import sklearn
        from sklearn.feature_selection import SelectKBest, f_classif
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler
    except ImportError:
        return None, None

    def load(path):
        data = np.loadtxt(path, delimiter=",", skiprows=1)
        return data[:, :-1], data[:, -1]

    def pipeline(k=10, C=1.0):
        return Pipeline([("scale", StandardScaler()), ("select", SelectKBest(f_classif, k=k)),
                         ("model", LogisticRegression(C=C))])

    grid = {"select__k": [5, 10, 20, 30], "model__C": [0.01, 0.1, 1.0, 10.0, 100.0]}
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    X, y = load(os.path.join(ROOT, "examples", "data", "breast_cancer.csv"))
    with tempfile.TemporaryDirectory() as tmp:
        synthetic = os.path.join(tmp, "synthetic.csv")
        subprocess.run([binary, f"--write_synthetic={synthetic}"], check=True)
        Xs, ys = load(synthetic)
    fitted = pipeline().fit(X, y)
    Xm = X[np.arange(1_000_000) % X.shape[0]]
    row = X[:1]
    out = {
        "grid_search_breast_cancer": median_seconds(lambda: GridSearchCV(pipeline(), grid, cv=cv, n_jobs=1).fit(X, y), repetitions),
        "grid_search_synthetic/n_jobs:1": median_seconds(lambda: GridSearchCV(pipeline(), grid, cv=cv, n_jobs=1).fit(Xs, ys), max(1, repetitions // 2)),
        "predict_one": median_seconds(lambda: fitted.predict(row), repetitions, inner=200),
        "predict_batch": median_seconds(lambda: fitted.predict(Xm), repetitions),
        "cross_validate_breast_cancer": median_seconds(lambda: cross_validate(pipeline(), X, y, cv=cv, scoring=["accuracy", "roc_auc"]), repetitions),
    }
    return out, f"scikit-learn {sklearn.__version__}, numpy {np.__version__}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(ROOT, "build", "bench"))
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args()
    binary = os.path.join(args.build, "benchmarks", "mlpipe_bench_workloads")
    if not os.path.exists(binary):
        sys.exit(f"{binary} is missing: cmake --preset bench && cmake --build --preset bench")

    mlpipe = run_mlpipe(binary, args.repetitions)
    sklearn, sklearn_version = run_sklearn(binary, args.repetitions)
    build_time = compile_seconds("examples/quickstart.cpp", repetitions=3)

    def ms(s):
        return f"{s * 1e3:.1f} ms" if s >= 1e-3 else f"{s * 1e6:.2f} µs"

    rows = []  # (workload, mlpipe, sklearn, ratio, target, met)
    def compare(label, key, sk_key, target, minimum=None):
        m = mlpipe[key]["seconds"]
        s = sklearn.get(sk_key) if sklearn else None
        ratio = s / m if s else None
        met = "-" if ratio is None or minimum is None else ("yes" if ratio >= minimum else "no")
        rows.append((label, ms(m), ms(s) if s else "-", f"{ratio:.1f}x" if ratio else "-", target, met))

    compare("1. grid search, breast_cancer, 20 x 5 fits, n_jobs=1", "grid_search_breast_cancer/reuse:1",
            "grid_search_breast_cancer", ">= 10x", 10)
    compare("2. grid search, synthetic 20,000 x 100, n_jobs=1", "grid_search_synthetic/n_jobs:1/iterations:1/real_time",
            "grid_search_synthetic/n_jobs:1", ">= 3x", 3)
    one = mlpipe["grid_search_synthetic/n_jobs:1/iterations:1/real_time"]["seconds"]
    two = mlpipe["grid_search_synthetic/n_jobs:2/iterations:1/real_time"]["seconds"]
    rows.append(("   the same, n_jobs=2 vs n_jobs=1 (mlpipe)", ms(two), ms(one), f"{one / two:.2f}x", ">= 1.7x",
                 "yes" if one / two >= 1.7 else "no"))
    p1 = mlpipe["predict_one"]
    rows.append(("3. predict_one, k=10, C=1 (per row)", ms(p1["seconds"]), ms(sklearn["predict_one"]) if sklearn else "-",
                 f"{sklearn['predict_one'] / p1['seconds']:.0f}x" if sklearn else "-", "<= 1 µs, 0 allocations",
                 "yes" if p1["seconds"] <= 1e-6 and p1.get("allocations_per_row", 1) == 0 else "no"))
    rows[-1] = rows[-1][:4] + (rows[-1][4] + f" (measured {p1.get('allocations_per_row', '?'):g})",) + rows[-1][5:]
    compare("4. batch predict, 1,000,000 x 30", "predict_batch", "predict_batch", ">= 3x", 3)
    bandwidth = mlpipe["copy_same_bytes"]["bytes_per_second"]
    batch = mlpipe["predict_batch"]["bytes_per_second"]
    rows.append(("   batch predict's input read rate, as a share of memory bandwidth (a copy's read + write)",
                 f"{batch / 1e9:.2f} GB/s", f"copy {bandwidth / 1e9:.2f} GB/s", f"{batch / bandwidth:.0%}", "(stated)", "-"))
    compare("   cross_validate, breast_cancer, 5 splits, 2 scorers", "cross_validate_breast_cancer",
            "cross_validate_breast_cancer", "(none)")
    rows.append(("5. compile examples/quickstart.cpp, g++ -O2 (best of 3)", f"{build_time:.1f} s", "-", "-", "< 20 s",
                 "yes" if build_time < 20 else "no"))
    rows.append(("   save + load of the fitted pipeline, JSON / CBOR",
                 f"{ms(mlpipe['save_load/cbor:0']['seconds'])} / {ms(mlpipe['save_load/cbor:1']['seconds'])}",
                 "-", "-", "(none)", "-"))
    saved = mlpipe["grid_search_breast_cancer/reuse:1"].get("fits_saved", 0)
    plain = mlpipe["grid_search_breast_cancer/reuse:0"]["seconds"]

    header = ("workload", "mlpipe", "scikit-learn", "ratio", "target", "met")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"scikit-learn: {sklearn_version or 'not installed (apt-get install python3-sklearn)'}")
    print(f"workload 1 without prefix reuse and warm starts: {ms(plain)}; stage fits saved by reuse: {saved:g} of 300")
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for r in rows:
            print("| " + " | ".join(r) + " |")
    else:
        widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
        for r in [header] + rows:
            print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))


if __name__ == "__main__":
    main()
