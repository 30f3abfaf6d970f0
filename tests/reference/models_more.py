#!/usr/bin/python3
"""Reference values for tests/models/test_models_more.cpp: ridge_classifier, linear_svc, class weights and sample
weights in logistic_regression and the trees.

Run with Debian's scikit-learn 1.2:
    nice -n 19 /usr/bin/python3 tests/reference/models_more.py > tests/reference/models_more.json

Which optimum: RidgeClassifier is solved in closed form (cholesky), so both libraries are at the exact optimum.
LinearSVC runs liblinear's dual coordinate descent with tol = 1e-10 and max_iter = 10^6; the script asserts that its
coefficients are within 1e-8 of the unique minimizer of liblinear's primal (bias penalized, as its intercept_scaling
feature), found by Newton's method on the primal; the tests solve with tol = 1e-10 and allow 1e-6. LogisticRegression runs newton-cg with tol = 1e-12.
"""
import json
import sys
import warnings

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.class_weight import compute_class_weight

from common import floats, ints, load, rows

warnings.filterwarnings("ignore")
out = {"produced_by": f"scikit-learn {sklearn.__version__}, numpy {np.__version__}", "values": {}}
V = out["values"]

Xi, yi = load("iris.csv")
Xb, yb = load("breast_cancer.csv")
Xis = StandardScaler().fit_transform(Xi)
Xbs = StandardScaler().fit_transform(Xb)
# iris with labels {3, 7, 12} and the classes unbalanced (the first 30 rows of class 12 dropped).
keep = np.r_[0:100, 130:150]
Xu = Xis[keep]
yu = np.array([3.0, 7.0, 12.0])[yi[keep].astype(int)]
rng = np.random.RandomState(7)
sw_u = rng.uniform(0.2, 3.0, size=len(yu))
sw_b = rng.uniform(0.2, 3.0, size=len(yb))
V["unbalanced_X"] = rows(Xu)
V["unbalanced_y"] = floats(yu)
V["unbalanced_sample_weight"] = floats(sw_u)
V["breast_cancer_sample_weight"] = floats(sw_b)


def linear_case(model, X, y, **fit):
    model.fit(X, y, **fit)
    coef = np.atleast_2d(model.coef_)
    intercept = np.broadcast_to(np.atleast_1d(model.intercept_), (coef.shape[0],))
    return {"coef": rows(coef), "intercept": floats(intercept),
            "decision_function": rows(np.asarray(model.decision_function(X[:10])).reshape(10, -1)),
            "predict": floats(model.predict(X)),
            "n_iter": int(np.max(getattr(model, "n_iter_", None) or 0))}


given = {3.0: 0.5, 7.0: 2.0}
V["ridge_classifier_unbalanced"] = linear_case(RidgeClassifier(alpha=1.0), Xu, yu)
V["ridge_classifier_unbalanced_balanced"] = linear_case(RidgeClassifier(alpha=1.0, class_weight="balanced"), Xu, yu)
V["ridge_classifier_unbalanced_given"] = linear_case(RidgeClassifier(alpha=0.5, class_weight=given), Xu, yu)
V["ridge_classifier_unbalanced_weighted"] = linear_case(RidgeClassifier(alpha=2.0, class_weight="balanced"), Xu, yu,
                                                        sample_weight=sw_u)
V["ridge_classifier_unbalanced_no_intercept"] = linear_case(RidgeClassifier(alpha=1.0, fit_intercept=False), Xu, yu)
V["ridge_classifier_breast_cancer"] = linear_case(RidgeClassifier(alpha=3.0), Xbs, yb)
V["ridge_classifier_breast_cancer_weighted"] = linear_case(RidgeClassifier(alpha=3.0), Xbs, yb, sample_weight=sw_b)



def svc_optimum(X, y, C, costs, scaling, fit_intercept):
    """The unique minimizer of liblinear's primal for one problem (targets y = +-1, per-row costs C_i), by Newton's
    method on its active set (the squared hinge is piecewise quadratic): what the tests compare against."""
    Z = np.hstack([X, np.full((len(X), 1), scaling)]) if fit_intercept else X
    w = np.zeros(Z.shape[1])
    for _ in range(200):
        m = 1 - y * (Z @ w)
        act = m > 0
        g = w - 2 * Z.T @ (costs * y * np.maximum(m, 0))
        H = np.eye(len(w)) + 2 * (Z[act].T * costs[act]) @ Z[act]
        w = w - np.linalg.solve(H, g)
    return w


def svc_case(X, y, C=1.0, class_weight=None, sample_weight=None, intercept_scaling=1.0, fit_intercept=True):
    # tol = 1e-10: liblinear then ends within about 1e-11 of the optimum; at 1e-12 it stalls (short of it by 1e-2).
    m = LinearSVC(C=C, class_weight=class_weight, intercept_scaling=intercept_scaling, fit_intercept=fit_intercept,
                  tol=1e-10, max_iter=1000000)
    case = linear_case(m, X, y, sample_weight=sample_weight)
    classes = m.classes_
    cw = compute_class_weight(class_weight, classes=classes, y=y)
    sw = np.ones(len(y)) if sample_weight is None else sample_weight
    problems = [1] if len(classes) == 2 else range(len(classes))
    for row, k in enumerate(problems):
        target = np.where(y == classes[k], 1.0, -1.0)
        # liblinear weighs a problem's positive rows by their class weight; its negative rows too with two classes,
        # by 1 with more (one-vs-rest).
        own = cw[np.searchsorted(classes, y)]
        factor = own if len(classes) == 2 else np.where(y == classes[k], own, 1.0)
        w = svc_optimum(X, target, C, C * factor * sw, intercept_scaling, fit_intercept)
        found = np.r_[m.coef_[row], m.intercept_[row] / intercept_scaling] if fit_intercept else m.coef_[row]
        assert np.abs(found - w).max() < 1e-8, (np.abs(found - w).max())
    return case


V["linear_svc_breast_cancer"] = svc_case(Xbs, yb, C=0.5)
V["linear_svc_breast_cancer_scaling10"] = svc_case(Xbs, yb, C=0.5, intercept_scaling=10.0)
V["linear_svc_breast_cancer_weighted"] = svc_case(Xbs, yb, C=0.5, class_weight="balanced", sample_weight=sw_b)
V["linear_svc_unbalanced"] = svc_case(Xu, yu)
V["linear_svc_unbalanced_balanced"] = svc_case(Xu, yu, class_weight="balanced")
V["linear_svc_unbalanced_given_weighted"] = svc_case(Xu, yu, C=2.0, class_weight=given, sample_weight=sw_u)
V["linear_svc_unbalanced_no_intercept"] = svc_case(Xu, yu, fit_intercept=False)

# logistic_regression (l2) with class weights and sample weights: newton-cg to 1e-12; multinomial intercepts centred.
def logreg_case(X, y, **kw):
    fit = {k: kw.pop(k) for k in list(kw) if k == "sample_weight"}
    m = LogisticRegression(solver="newton-cg", tol=1e-12, max_iter=10000, **kw).fit(X, y, **fit)
    if len(m.classes_) > 2:
        m.intercept_ = m.intercept_ - m.intercept_.mean()
    return {"coef": rows(m.coef_), "intercept": floats(m.intercept_), "predict_proba": rows(m.predict_proba(X[:10]))}


V["logreg_unbalanced_balanced"] = logreg_case(Xu, yu, class_weight="balanced")
V["logreg_unbalanced_given_weighted"] = logreg_case(Xu, yu, C=2.0, class_weight=given, sample_weight=sw_u)
V["logreg_breast_cancer_balanced_weighted"] = logreg_case(Xbs, yb, C=0.5, class_weight="balanced", sample_weight=sw_b)

# ---- trees: class weights and sample weights ---------------------------------------------------------------------
# Continuous float32-valued data (scikit-learn's trees read X as float32; on such values both libraries agree bit for
# bit), 300 rows, 5 features, classes {3, 7, 12} of unequal sizes; random weights, so that no two candidate splits tie
# (asserted: ten random_state values grow the same tree).
trng = np.random.RandomState(11)
TX = trng.normal(size=(300, 5)).astype(np.float32).astype(np.float64)
tscore = TX[:, 0] + 0.7 * TX[:, 1] - 0.5 * TX[:, 2] * TX[:, 3] + 0.4 * trng.normal(size=300)
TY = np.where(tscore < 0.3, 3.0, np.where(tscore < 1.4, 7.0, 12.0))
TR = 2 * TX[:, 0] + np.sin(2 * TX[:, 1]) + TX[:, 2] * TX[:, 4] + 0.3 * trng.normal(size=300)
TW = trng.uniform(0.1, 3.0, size=300)
V["trees_X"] = rows(TX)
V["trees_classes"] = floats(TY)
V["trees_values"] = floats(TR)
V["trees_sample_weight"] = floats(TW)


def same_tree(a, b):
    return (np.array_equal(a.tree_.feature, b.tree_.feature) and np.array_equal(a.tree_.threshold, b.tree_.threshold)
            and np.array_equal(a.tree_.children_left, b.tree_.children_left))


def tree_case(cls, y, params, sample_weight=None):
    trees = [cls(random_state=seed, **params).fit(TX, y, sample_weight=sample_weight) for seed in range(10)]
    assert all(same_tree(trees[0], t) for t in trees), "ties between candidate splits"
    t = trees[0]
    tr = t.tree_
    case = {"children_left": ints(tr.children_left), "feature": ints(tr.feature), "threshold": floats(tr.threshold),
            "impurity": floats(tr.impurity), "weighted_n_node_samples": floats(tr.weighted_n_node_samples),
            "value": rows(tr.value[:, 0, :]), "feature_importances": floats(t.feature_importances_),
            "predict": floats(t.predict(TX))}
    if hasattr(t, "predict_proba"):
        case["predict_proba"] = rows(t.predict_proba(TX))
    return case


V["tree_balanced"] = tree_case(DecisionTreeClassifier, TY, {"min_samples_leaf": 15, "class_weight": "balanced"})
V["tree_given_weighted"] = tree_case(DecisionTreeClassifier, TY,
                                     {"min_samples_leaf": 10, "class_weight": {3.0: 0.5, 12.0: 4.0}}, TW)
V["tree_entropy_weighted_best_first"] = tree_case(DecisionTreeClassifier, TY,
                                                  {"criterion": "entropy", "max_leaf_nodes": 10}, TW)
V["tree_regressor_weighted"] = tree_case(DecisionTreeRegressor, TR, {"min_samples_leaf": 8}, TW)

# ---- forests with class weights: balanced accuracy on held-out rows over 20 seeds ---------------------------------
# Not bit-comparable (other random streams): the tests compare the mean over seeds with scikit-learn's spread.
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.metrics import balanced_accuracy_score  # noqa: E402

test = np.arange(300) % 3 == 0
for name, params in [("forest_plain", {}), ("forest_balanced", {"class_weight": "balanced"}),
                     ("forest_balanced_subsample", {"class_weight": "balanced_subsample"})]:
    scores = []
    for seed in range(20):
        f = RandomForestClassifier(n_estimators=30, min_samples_leaf=3, random_state=seed, **params)
        f.fit(TX[~test], TY[~test], sample_weight=TW[~test])
        scores.append(balanced_accuracy_score(TY[test], f.predict(TX[test])))
    V[name] = {"balanced_accuracy": floats(scores)}

json.dump(out, sys.stdout, indent=1)
