#!/usr/bin/python3
"""Reference values for mlpipe's linear, naive Bayes and nearest-neighbour models
(tests/models/test_linear_models.cpp, tests/models/test_nb_neighbors.cpp).

Run with Debian's scikit-learn 1.2 (apt-get install python3-sklearn):
    /usr/bin/python3 tests/reference/models_linear.py > tests/reference/models_linear.json
The tests read the JSON; they never need Python.

Which optimum the linear models are compared against: scikit-learn's own solvers run far tighter than their
defaults (tol = 1e-12 or below, max_iter in the hundreds of thousands), so that their coefficients are within
about 1e-9 of the exact optimum; the tests then allow 1e-6.
"""
import json
import sys
import warnings

import numpy as np
import sklearn
from sklearn.linear_model import ElasticNet, Lasso, lasso_path, enet_path

from common import load, floats, rows, ints

warnings.filterwarnings("ignore")
out = {"produced_by": f"scikit-learn {sklearn.__version__}, numpy {np.__version__}", "values": {}}
V = out["values"]

Xd, yd = load("diabetes.csv")
Xi, yi = load("iris.csv")
Xb, yb = load("breast_cancer.csv")

rng = np.random.RandomState(0)
# A wide problem (more features than rows): 40 rows, 60 features, 5 of them informative.
Xw = rng.randn(40, 60)
yw = Xw[:, :5] @ np.array([3.0, -2.0, 1.5, 0.0, 4.0]) + 0.5 * rng.randn(40) + 2.0
V["wide_X"] = rows(Xw)
V["wide_y"] = floats(yw)
sw_d = rng.uniform(0.2, 3.0, size=len(yd))
V["diabetes_sample_weight"] = floats(sw_d)


def cd_case(model, X, y, **fit):
    model.fit(X, y, **fit)
    return {"coef": floats(model.coef_), "intercept": float(model.intercept_),
            "predict": floats(model.predict(X[:10]))}


tight = dict(tol=1e-14, max_iter=1000000)
V["lasso_diabetes_alpha0.1"] = cd_case(Lasso(alpha=0.1, **tight), Xd, yd)
V["lasso_diabetes_alpha0.01_no_intercept"] = cd_case(Lasso(alpha=0.01, fit_intercept=False, **tight), Xd, yd)
V["lasso_wide_alpha0.05"] = cd_case(Lasso(alpha=0.05, **tight), Xw, yw)
V["enet_diabetes_alpha0.01_l1_0.5"] = cd_case(ElasticNet(alpha=0.01, l1_ratio=0.5, **tight), Xd, yd)
# l1_ratio = 0: scikit-learn's duality gap never falls below tol without an L1 term; 2000 sweeps reach the optimum
# (Ridge(alpha = 0.01 n)) to 1e-12.
V["enet_diabetes_alpha0.01_l1_0"] = cd_case(ElasticNet(alpha=0.01, l1_ratio=0.0, tol=1e-14, max_iter=2000), Xd, yd)
V["enet_diabetes_alpha0.01_l1_0.1"] = cd_case(ElasticNet(alpha=0.01, l1_ratio=0.1, **tight), Xd, yd)
V["enet_wide_alpha0.1_l1_0.7"] = cd_case(ElasticNet(alpha=0.1, l1_ratio=0.7, **tight), Xw, yw)
V["enet_diabetes_weighted"] = cd_case(ElasticNet(alpha=0.01, l1_ratio=0.5, **tight), Xd, yd, sample_weight=sw_d)
# scikit-learn's default tol and selection, for the iteration count and the duality gap it stops at.
m = Lasso(alpha=0.1).fit(Xd, yd)
V["lasso_diabetes_alpha0.1_default"] = {"n_iter": int(m.n_iter_), "dual_gap": float(m.dual_gap_),
                                       "coef": floats(m.coef_)}

# Paths: scikit-learn's lasso_path / enet_path expect centred data (they fit no intercept).
Xc = Xd - Xd.mean(axis=0)
yc = yd - yd.mean()
alphas, coefs, gaps = lasso_path(Xc, yc)
V["lasso_path_diabetes_default_alphas"] = floats(alphas)
alphas, coefs, gaps = lasso_path(Xc, yc, eps=1e-2, n_alphas=10, tol=1e-14, max_iter=1000000)
V["lasso_path_diabetes"] = {"alphas": floats(alphas), "coefs": rows(coefs)}
alphas, coefs, gaps = enet_path(Xc, yc, l1_ratio=0.5, eps=1e-2, n_alphas=7, tol=1e-14, max_iter=1000000)
V["enet_path_diabetes"] = {"alphas": floats(alphas), "coefs": rows(coefs)}

json.dump(out, sys.stdout, indent=1)
