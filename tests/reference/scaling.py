#!/usr/bin/python3
"""Reference values for mlpipe's large-data search test (tests/tuning/test_grid_search.cpp, "[scaling]"): scikit-learn's
GridSearchCV of StandardScaler -> SelectKBest(f_classif) -> LogisticRegression on 20,000 x 10 rows drawn from numpy's
legacy RandomState(0), which the test draws identically with mlpipe::numpy_random_state:
    X[i, j] = 4 * random_sample() - 2 (row by row), noise[i] = random_sample() - 0.5,
    y[i] = 1 when sum_j w[j] X[i, j] + noise[i] > 0 (summed left to right), w = (1, -2, 0.5, 0, 0, 3, 0, 0, -1, 0).

Run with Debian's scikit-learn (apt-get install python3-sklearn):
    /usr/bin/python3 tests/reference/scaling.py > tests/reference/scaling.json
"""
import json
import warnings

import numpy as np
import sklearn
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

ROWS, COLS = 20000, 10
W = [1.0, -2.0, 0.5, 0.0, 0.0, 3.0, 0.0, 0.0, -1.0, 0.0]

rng = np.random.RandomState(0)
X = 4.0 * rng.random_sample((ROWS, COLS)) - 2.0
noise = rng.random_sample(ROWS) - 0.5
margin = np.zeros(ROWS)
for j in range(COLS):  # left to right, as the test sums
    margin = margin + W[j] * X[:, j]
margin = margin + noise
assert np.min(np.abs(margin)) > 1e-9, "a margin within rounding of 0 would make the labels fragile"
y = (margin > 0).astype(float)

warnings.filterwarnings("ignore")
pipe = Pipeline([("scale", StandardScaler()), ("select", SelectKBest(f_classif)),
                 ("model", LogisticRegression(tol=1e-10, max_iter=1000))])
grid = {"select__k": [3, 6], "model__C": [0.01, 1.0]}
search = GridSearchCV(pipe, grid, cv=StratifiedKFold(n_splits=3, shuffle=True, random_state=0), n_jobs=1).fit(X, y)
params = search.cv_results_["params"]
print(json.dumps({
    "produced_by": f"scikit-learn {sklearn.__version__}, numpy {np.__version__}",
    "values": {
        "rows": ROWS, "cols": COLS, "w": W, "positives": int(y.sum()),
        "candidates": [{"select.k": p["select__k"], "model.C": p["model__C"]} for p in params],
        "mean_test_score": [float(v) for v in search.cv_results_["mean_test_score"]],
        "split_test_scores": [[float(search.cv_results_[f"split{s}_test_score"][c]) for s in range(3)]
                              for c in range(len(params))],
        "best_params": {"select.k": search.best_params_["select__k"], "model.C": search.best_params_["model__C"]},
    }}, indent=1))
