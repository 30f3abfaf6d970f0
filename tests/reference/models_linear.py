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
from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression, lasso_path, enet_path
from sklearn.preprocessing import StandardScaler

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

# logistic_regression with l1 / elasticnet penalties: scikit-learn's saga (tol = 1e-14), on standardized data (the tests standardize with mlpipe's standard_scaler). The
# multinomial intercepts are defined up to a common constant: recorded centred (summing to zero), as mlpipe keeps them.
Xbs = StandardScaler().fit_transform(Xb)
Xis = StandardScaler().fit_transform(Xi)


def logreg_case(X, y, tol=1e-14, max_iter=1000000, **kw):
    m = LogisticRegression(tol=tol, max_iter=max_iter, **kw).fit(X, y)
    intercept = m.intercept_ - (m.intercept_.mean() if len(m.classes_) > 2 else 0.0)
    m.intercept_ = intercept
    return {"coef": rows(m.coef_), "intercept": floats(intercept), "n_iter": int(m.n_iter_[0]),
            "predict_proba": rows(m.predict_proba(X[:10])), "decision_function": rows(m.decision_function(X[:10]))}


V["logreg_l1_breast_cancer_C0.5"] = logreg_case(Xbs, yb, penalty="l1", C=0.5, solver="saga")
V["logreg_l1_iris_C1"] = logreg_case(Xis, yi, penalty="l1", C=1.0, solver="saga")
V["logreg_enet_breast_cancer_C0.5_r0.3"] = logreg_case(Xbs, yb, penalty="elasticnet", l1_ratio=0.3, C=0.5,
                                                       solver="saga")
V["logreg_enet_iris_C2_r0.6"] = logreg_case(Xis, yi, penalty="elasticnet", l1_ratio=0.6, C=2.0, solver="saga")
# No penalty: newton-cg, which (unlike lbfgs) reaches the optimum to rounding.
V["logreg_none_breast_cancer_5"] = logreg_case(Xbs[:, :5], yb, penalty="none", solver="newton-cg", tol=1e-12,
                                                max_iter=1000)

# Naive Bayes: probabilities on the training rows. Counts for multinomial_nb and real values (binarized at 0.5) for
# bernoulli_nb come from a seeded generator; labels {3, 7, 12}.
from sklearn.naive_bayes import BernoulliNB, GaussianNB, MultinomialNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

rng = np.random.RandomState(1)
labels = np.array([3.0, 7.0, 12.0])[rng.randint(0, 3, size=90)]
counts = rng.poisson(lam=2.0, size=(90, 8)).astype(float) + (labels[:, None] == 7.0) * np.arange(8)
reals = rng.rand(90, 6) + 0.3 * (labels[:, None] == 12.0)
nb_weight = rng.uniform(0.5, 2.0, size=90)
V["nb_labels"] = floats(labels)
V["nb_counts"] = rows(counts)
V["nb_reals"] = rows(reals)
V["nb_weight"] = floats(nb_weight)


def nb_case(model, X, y, **fit):
    model.fit(X, y, **fit)
    return {"predict_proba": rows(model.predict_proba(X)), "predict_log_proba": rows(model.predict_log_proba(X)),
            "predict": floats(model.predict(X))}


V["gaussian_nb_iris"] = nb_case(GaussianNB(), Xi, yi)
V["gaussian_nb_iris_priors"] = nb_case(GaussianNB(priors=[0.5, 0.3, 0.2], var_smoothing=1e-3), Xi, yi)
V["iris_weight"] = floats(np.random.RandomState(5).uniform(0.5, 2.0, size=150))
V["gaussian_nb_iris_weighted"] = nb_case(GaussianNB(), Xi, yi,
                                         sample_weight=np.random.RandomState(5).uniform(0.5, 2.0, size=150))
V["multinomial_nb"] = nb_case(MultinomialNB(), counts, labels)
V["multinomial_nb_alpha0.5_uniform"] = nb_case(MultinomialNB(alpha=0.5, fit_prior=False), counts, labels)
V["multinomial_nb_class_prior"] = nb_case(MultinomialNB(class_prior=[0.2, 0.5, 0.3]), counts, labels)
V["multinomial_nb_weighted"] = nb_case(MultinomialNB(alpha=2.0), counts, labels, sample_weight=nb_weight)
V["bernoulli_nb"] = nb_case(BernoulliNB(binarize=0.5), reals, labels)
V["bernoulli_nb_alpha0.1_uniform"] = nb_case(BernoulliNB(alpha=0.1, binarize=0.5, fit_prior=False), reals, labels)
V["bernoulli_nb_weighted"] = nb_case(BernoulliNB(binarize=0.5), reals, labels, sample_weight=nb_weight)

# k-NN on continuous generated data (no tied distances): 200 training rows, 60 queries, 4 features, labels {3, 7, 12};
# scikit-learn's kd_tree (exact distances).
Xk = rng.randn(200, 4)
yk = np.array([3.0, 7.0, 12.0])[(Xk[:, 0] + 0.5 * Xk[:, 1] > 0).astype(int) + (Xk[:, 2] > 1).astype(int)]
tk = Xk[:, 0] * 2.0 - Xk[:, 3] + 0.1 * rng.randn(200)
Qk = rng.randn(60, 4)
V["knn_X"] = rows(Xk)
V["knn_labels"] = floats(yk)
V["knn_targets"] = floats(tk)
V["knn_queries"] = rows(Qk)
for k, weights, p in [(5, "uniform", 2), (5, "distance", 2), (7, "uniform", 1), (3, "distance", 3), (1, "uniform", 2)]:
    name = f"knn_k{k}_{weights}_p{p}"
    c = KNeighborsClassifier(n_neighbors=k, weights=weights, p=p, algorithm="kd_tree").fit(Xk, yk)
    r = KNeighborsRegressor(n_neighbors=k, weights=weights, p=p, algorithm="kd_tree").fit(Xk, tk)
    dist, ind = c.kneighbors(Qk)
    V[name] = {"predict": floats(c.predict(Qk)), "predict_proba": rows(c.predict_proba(Qk)),
               "regress": floats(r.predict(Qk)), "distances": rows(dist), "indices": rows(ind)}

json.dump(out, sys.stdout, indent=1)
