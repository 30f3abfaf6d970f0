#!/usr/bin/python3
"""Reference values from scikit-learn for mlpipe's tests, beyond those in examples/data/sklearn_reference.json.

Run with Debian's scikit-learn (apt-get install python3-sklearn):
    /usr/bin/python3 tests/reference/make_reference.py > tests/reference/reference.json
The tests read the JSON; they never need Python.
"""
import json
import sys

import numpy as np
import sklearn
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from common import load, floats


out = {"produced_by": f"scikit-learn {sklearn.__version__}, numpy {np.__version__}", "values": {}}
X, y = load("diabetes.csv")
Xb, yb = load("breast_cancer.csv")

# StandardScaler on breast_cancer: the learned statistics and the first transformed rows.
scaler = StandardScaler().fit(Xb)
out["values"]["standard_scaler_breast_cancer"] = {
    "mean_": floats(scaler.mean_),
    "var_": floats(scaler.var_),
    "scale_": floats(scaler.scale_),
    "transform_first3_rows": [floats(r) for r in scaler.transform(Xb[:3])],
}

# make_pipeline(StandardScaler(), Ridge(alpha)) on diabetes, for several alphas and fit_intercept settings.
cases = []
for alpha in [0.0, 0.1, 1.0, 10.0, 1000.0]:
    for fit_intercept in [True, False]:
        pipe = make_pipeline(StandardScaler(), Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="cholesky"))
        pipe.fit(X, y)
        ridge = pipe[-1]
        cases.append({
            "alpha": alpha,
            "fit_intercept": fit_intercept,
            "coef_": floats(ridge.coef_),
            "intercept_": float(ridge.intercept_),
            "predict_first5": floats(pipe.predict(X[:5])),
            "train_r2": float(pipe.score(X, y)),
        })
out["values"]["scaler_ridge_diabetes"] = cases

# Ridge with more features than rows (the dual solution): the first 8 rows of breast_cancer, 30 features.
wide = Ridge(alpha=0.5).fit(Xb[:8], yb[:8] * 3.0 + Xb[:8, 0])
out["values"]["ridge_wide_breast_cancer_first8"] = {
    "alpha": 0.5,
    "target": "3 * target + mean radius (column 0)",
    "coef_": floats(wide.coef_),
    "intercept_": float(wide.intercept_),
}

json.dump(out, sys.stdout, indent=1)
print()
