#!/usr/bin/python3
"""Reference values from scikit-learn for mlpipe's simple_imputer and min_max_scaler tests.

Run with Debian's scikit-learn (apt-get install python3-sklearn):
    /usr/bin/python3 tests/reference/preprocessing.py > tests/reference/preprocessing.json
The tests read the JSON; they never need Python.

Missing values are injected into the real datasets with a fixed numpy seed; the JSON ships their positions
(`missing.<dataset>` is a list of [row, column] pairs), not the masked matrices, and the tests rebuild the
matrices from examples/data. NaN in a result is written as null (JSON has no NaN).
"""
import json

import numpy as np
import sklearn
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from common import load, floats, rows


def with_missing(X, rate, seed):
    """X with about `rate` of its entries set to NaN (uniformly at random), and those positions."""
    rng = np.random.RandomState(seed)
    mask = rng.uniform(size=X.shape) < rate
    Xm = X.copy()  # C order, as numpy reduces it
    Xm[mask] = np.nan
    return Xm, [[int(i), int(j)] for i, j in zip(*np.nonzero(mask))]


values = {}
out = {"produced_by": f"scikit-learn {sklearn.__version__}, numpy {np.__version__}", "values": values}

datasets = {}
missing = {}
for seed, (name, rate) in enumerate([("diabetes", 0.1), ("breast_cancer", 0.05), ("iris", 0.15)]):
    X, y = load(name + ".csv")
    Xm, positions = with_missing(X, rate, seed)
    datasets[name] = (Xm, y)
    missing[name] = positions
values["missing"] = missing

STRATEGIES = [("mean", {}), ("median", {}), ("most_frequent", {}), ("constant", {"fill_value": -1.5})]


def imputer_case(Xm, strategy, kwargs, first=5):
    imp = SimpleImputer(strategy=strategy, **kwargs).fit(Xm)
    Xt = imp.transform(Xm)
    return {
        "statistics_": floats(imp.statistics_),
        "n_features_out": int(Xt.shape[1]),
        "transform_first_rows": rows(Xt[:first]),
        "transform_column_sums": floats(Xt.sum(axis=0)),
    }


# SimpleImputer on each dataset with injected NaNs, every strategy (constant with fill_value = -1.5).
values["simple_imputer"] = {
    name: {strategy: imputer_case(Xm, strategy, kwargs) for strategy, kwargs in STRATEGIES}
    for name, (Xm, _) in datasets.items()
}

# iris with its column 2 (petal length) entirely missing: mean/median/most_frequent drop it, constant keeps it.
Xi = datasets["iris"][0].copy()
Xi[:, 2] = np.nan
values["simple_imputer_iris_column2_missing"] = {
    strategy: imputer_case(Xi, strategy, kwargs) for strategy, kwargs in STRATEGIES
}

# Small hand-made cases: ties in most_frequent (smallest wins), medians of even counts, an all-missing column.
nan = np.nan
X_small = np.array([
    [1.0, 5.0, nan, -2.0],
    [2.0, 5.0, 7.0, nan],
    [2.0, 4.0, 7.0, nan],
    [1.0, 4.0, nan, nan],
    [3.0, nan, nan, nan],
    [-1.0, nan, 8.0, nan],
])
values["simple_imputer_small"] = {
    "X": rows(X_small),
    "cases": {strategy: imputer_case(X_small, strategy, kwargs, first=len(X_small))
              for strategy, kwargs in STRATEGIES},
}


def min_max_case(Xm, X_new, **kwargs):
    s = MinMaxScaler(**kwargs).fit(Xm)
    return {
        "feature_range": [float(v) for v in s.feature_range],
        "clip": bool(s.clip),
        "data_min_": floats(s.data_min_),
        "data_max_": floats(s.data_max_),
        "data_range_": floats(s.data_range_),
        "scale_": floats(s.scale_),
        "min_": floats(s.min_),
        "n_samples_seen_": int(s.n_samples_seen_),
        "transform_first_rows": rows(s.transform(Xm[:5])),
        # Rows outside the training range: twice the first 3 training rows, and minus them.
        "transform_new_rows": rows(s.transform(X_new)),
        "inverse_transform_first_rows": rows(s.inverse_transform(s.transform(Xm[:5]))),
    }


def outside(Xm):
    return np.vstack([2.0 * Xm[:3], -Xm[:3]])


# MinMaxScaler on each dataset with injected NaNs (NaN ignored in fit, passed through in transform).
values["min_max_scaler"] = {name: min_max_case(Xm, outside(Xm)) for name, (Xm, _) in datasets.items()}
# A negative range, with and without clip, on breast_cancer.
Xb = datasets["breast_cancer"][0]
values["min_max_scaler_negative_range"] = {
    "no_clip": min_max_case(Xb, outside(Xb), feature_range=(-5.0, -2.0)),
    "clip": min_max_case(Xb, outside(Xb), feature_range=(-5.0, -2.0), clip=True),
}
# Constant and near-constant columns (sklearn's _handle_zeros_in_scale: a range below 10 eps counts as zero).
eps = np.finfo(float).eps
X_const = np.array([
    [5.0, 1.0, 0.25, 3.0],
    [5.0, 1.0 + 4 * eps, 0.25, nan],
    [5.0, 1.0, 0.25 + 64 * eps, 4.0],
    [5.0, 1.0 + 2 * eps, 0.25, 5.0],
])
values["min_max_scaler_constant_columns"] = {
    "X": rows(X_const),
    "result": min_max_case(X_const, np.array([[6.0, 2.0, 0.5, 10.0], [4.0, 0.0, 0.0, -10.0]]),
                           feature_range=(-1.0, 1.0)),
}

# SimpleImputer -> MinMaxScaler -> Ridge on diabetes with injected NaNs.
Xd, yd = datasets["diabetes"]
row_with_nan = int(np.flatnonzero(np.isnan(Xd).any(axis=1))[0])
pipes = {}
for strategy in ["mean", "median"]:
    pipe = make_pipeline(SimpleImputer(strategy=strategy), MinMaxScaler(), Ridge(alpha=1.0, solver="cholesky"))
    pipe.fit(Xd, yd)
    pipes[strategy] = {
        "coef_": floats(pipe[-1].coef_),
        "intercept_": float(pipe[-1].intercept_),
        "predict_first5": floats(pipe.predict(Xd[:5])),
        "row_with_nan": row_with_nan,
        "predict_row_with_nan": float(pipe.predict(Xd[row_with_nan:row_with_nan + 1])[0]),
        "train_r2": float(pipe.score(Xd, yd)),
    }
values["imputer_min_max_ridge_diabetes"] = pipes

# One line per entry of "values": small diffs when a case changes, without a line per number.
print("{")
print(f' "produced_by": {json.dumps(out["produced_by"])},')
print(' "values": {')
for i, (key, value) in enumerate(values.items()):
    comma = "," if i + 1 < len(values) else ""
    print(f"  {json.dumps(key)}: {json.dumps(value, separators=(',', ':'), allow_nan=False)}{comma}")
print(" }")
print("}")
