#!/usr/bin/python3
"""Reference values for mlpipe's logistic_regression tests (tests/models/test_logistic_regression.cpp).

Run with Debian's scikit-learn (apt-get install python3-sklearn):
    /usr/bin/python3 tests/reference/linear_model.py > tests/reference/linear_model.json
The tests read the JSON; they never need Python.

Every case records two solutions of the same problem, L2-penalized logistic regression
    minimize  C * sum_i log_loss_i + 0.5 * ||W||^2     (intercepts not penalized)
binary for two classes (one coefficient row, positive class = classes_[1]) and multinomial (softmax) for more:
  - sklearn_*: scikit-learn 1.2's LogisticRegression(lbfgs) run with tol=1e-12, max_iter=100000. lbfgs still
    stops on scipy's relative-decrease test a little short of the optimum (max_abs_coef_diff_sklearn_vs_exact).
  - exact_*: the exact optimum, found here by Newton's method on the full Hessian (float64) until the gradient is
    at rounding level (max_abs_grad_at_exact). The multinomial intercepts are only defined up to a common
    constant; both solutions have them summing to zero, as scikit-learn's lbfgs keeps them from its zero start.
Predictions (predict_proba, decision_function, predict) are scikit-learn's own, made by a LogisticRegression
whose coef_ and intercept_ were set to the exact optimum.
"""
import copy
import json
import sys

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from common import load, floats, rows


def log1pexp(z):
    return np.logaddexp(0.0, z)


def objective_and_derivatives(theta, X, codes, n_classes, C, fit_intercept):
    """C * sum log_loss + 0.5 ||W||^2, its gradient and Hessian; theta holds one block [w_k, b_k] per output."""
    n, p = X.shape
    Xa = np.hstack([X, np.ones((n, 1))]) if fit_intercept else X
    block = Xa.shape[1]
    n_out = 1 if n_classes == 2 else n_classes
    T = theta.reshape(n_out, block)
    Z = Xa @ T.T
    penalty_mask = np.ones(block)
    if fit_intercept:
        penalty_mask[-1] = 0.0
    pen = np.tile(penalty_mask, n_out)
    if n_out == 1:
        z = Z[:, 0]
        y01 = (codes == 1).astype(float)
        loss = np.sum(log1pexp(np.where(y01 == 1, -z, z)))
        prob = 0.5 * (1.0 + np.tanh(0.5 * z))
        grad = C * Xa.T @ (prob - y01)
        d = prob * (1.0 - prob)
        H = C * (Xa.T * d) @ Xa
    else:
        m = Z.max(axis=1, keepdims=True)
        lse = m[:, 0] + np.log(np.exp(Z - m).sum(axis=1))
        P = np.exp(Z - lse[:, None])
        Y = np.eye(n_classes)[codes]
        loss = np.sum(lse - Z[np.arange(n), codes])
        grad = (C * (P - Y).T @ Xa).ravel()
        H = np.zeros((n_out * block, n_out * block))
        for k in range(n_out):
            for l in range(n_out):
                w = P[:, k] * ((k == l) - P[:, l])
                H[k * block:(k + 1) * block, l * block:(l + 1) * block] = C * (Xa.T * w) @ Xa
    f = C * loss + 0.5 * np.sum(pen * theta * theta)
    grad = grad + pen * theta
    H = H + np.diag(pen)
    return f, grad, H


def exact_optimum(X, y, C, fit_intercept):
    """Newton's method with Armijo backtracking until the gradient stops shrinking (rounding level)."""
    classes = np.unique(y)
    codes = np.searchsorted(classes, y)
    n_out = 1 if len(classes) == 2 else len(classes)
    block = X.shape[1] + int(fit_intercept)
    theta = np.zeros(n_out * block)
    # The multinomial intercepts share a flat direction (adding one constant to all of them changes nothing):
    # u u^T on it makes the Newton system regular without changing the step, whose intercepts then sum to zero.
    u = np.zeros(n_out * block)
    if n_out > 1 and fit_intercept:
        u[block - 1::block] = 1.0 / np.sqrt(n_out)
    best = np.inf
    for _ in range(200):
        f, g, H = objective_and_derivatives(theta, X, codes, len(classes), C, fit_intercept)
        gmax = np.max(np.abs(g))
        if gmax >= best and gmax < 1e-9 * max(1.0, C):
            break
        best = min(best, gmax)
        d = -np.linalg.solve(H + np.outer(u, u), g)
        t = 1.0
        while True:
            f_new = objective_and_derivatives(theta + t * d, X, codes, len(classes), C, fit_intercept)[0]
            if f_new <= f + 1e-4 * t * g.dot(d) + 1e-15 * abs(f) or t < 1e-12:
                break
            t *= 0.5
        theta = theta + t * d
    f, g, _ = objective_and_derivatives(theta, X, codes, len(classes), C, fit_intercept)
    T = theta.reshape(n_out, block)
    coef = T[:, :X.shape[1]]
    intercept = T[:, -1] if fit_intercept else np.zeros(n_out)
    return coef, intercept, f, float(np.max(np.abs(g)))


def objective(coef, intercept, X, y, C):
    classes = np.unique(y)
    codes = np.searchsorted(classes, y)
    n_out = coef.shape[0]
    theta = np.hstack([coef, np.asarray(intercept).reshape(n_out, 1)]).ravel()
    return objective_and_derivatives(theta, X, codes, len(classes), C, True)[0]


def case(X, y, C, fit_intercept, n_rows_shown):
    """scikit-learn's tight solution, the exact optimum, and sklearn's predictions at the exact optimum."""
    sk = LogisticRegression(C=C, fit_intercept=fit_intercept, tol=1e-12, max_iter=100000).fit(X, y)
    coef, intercept, f, gmax = exact_optimum(X, y, C, fit_intercept)
    model = copy.deepcopy(sk)  # the same fitted estimator, moved to the exact optimum
    model.coef_ = coef.copy()
    model.intercept_ = intercept.copy()
    shown = slice(0, n_rows_shown)
    return {
        "C": C,
        "fit_intercept": fit_intercept,
        "classes_": floats(model.classes_),
        "exact_coef_": rows(coef),
        "exact_intercept_": floats(intercept),
        "exact_objective": float(f),
        "max_abs_grad_at_exact": gmax,
        "sklearn_coef_": rows(sk.coef_),
        "sklearn_intercept_": floats(sk.intercept_),
        "sklearn_n_iter_": int(sk.n_iter_[0]),
        "sklearn_objective": float(objective(sk.coef_, sk.intercept_, X, y, C)),
        "max_abs_coef_diff_sklearn_vs_exact": float(np.max(np.abs(sk.coef_ - coef))),
        "predict_proba_rows": rows(model.predict_proba(X[shown])),
        "decision_function_rows": rows(np.atleast_2d(model.decision_function(X[shown]).T).T),
        "predict": floats(model.predict(X)),
        "train_accuracy": float(model.score(X, y)),
    }


out = {"produced_by": f"scikit-learn {sklearn.__version__}, numpy {np.__version__}", "values": {}}
Xi, yi = load("iris.csv")
Xb, yb = load("breast_cancer.csv")
Xs = StandardScaler().fit_transform(Xb)  # population standard deviation, as mlpipe's standard_scaler

# Multinomial (softmax) logistic regression on raw iris, 3 classes; rows 0, 50, 100 are one of each class.
iris_rows = [0, 1, 50, 51, 100, 101]
cases = []
for C, fit_intercept in [(1.0, True), (1.0, False), (0.05, True), (100.0, True)]:
    c = case(Xi, yi, C, fit_intercept, len(Xi))
    c["predict_proba_rows"] = [c["predict_proba_rows"][i] for i in iris_rows]
    c["decision_function_rows"] = [c["decision_function_rows"][i] for i in iris_rows]
    c["rows_shown"] = iris_rows
    cases.append(c)
out["values"]["logreg_multinomial_iris"] = cases

# Binary logistic regression on standardized breast_cancer with the 0/1 target relabelled: {0 -> -1, 1 -> 3} keeps
# the positive class, {0 -> 7, 1 -> 2} swaps it (classes_ = [2, 7]: the positive class is 7, the old 0).
binary = {}
for name, mapping in [("labels_-1_3", {0.0: -1.0, 1.0: 3.0}), ("labels_2_7", {0.0: 7.0, 1.0: 2.0})]:
    yl = np.array([mapping[v] for v in yb])
    c = case(Xs, yl, 1.0, True, 5)
    c["label_map"] = {"0": mapping[0.0], "1": mapping[1.0]}
    binary[name] = c
# Without an intercept, and with strong and weak penalties (C = 0.01, 100) on the original 0/1 labels.
binary["no_intercept"] = case(Xs, yb, 1.0, False, 5)
binary["C_0.01"] = case(Xs, yb, 0.01, True, 5)
binary["C_100"] = case(Xs, yb, 100.0, True, 5)
out["values"]["logreg_binary_breast_cancer_standardized"] = binary

json.dump(out, sys.stdout, indent=1)
print()
