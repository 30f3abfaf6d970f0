#!/usr/bin/python3
"""Reference values for mlpipe's tree and forest tests: scikit-learn's DecisionTreeClassifier / Regressor (whole
trees: structure, thresholds, impurities, values, importances, predictions), their cost-complexity pruning paths,
and the spread over seeds of its random and extra-trees forests (test accuracy / R^2, importances, OOB scores).

Run with Debian's scikit-learn:
    nice -n 19 /usr/bin/python3 tests/reference/models_trees.py > tests/reference/models_trees.json

Tree cases are chosen so that no two candidate splits tie: the script asserts that scikit-learn grows the same tree
for ten random_state values (its random feature order decides ties, so a tie would show as another tree), which is
what lets mlpipe, with another random stream, be compared node for node.
"""
import json
import warnings

import numpy as np
import sklearn
from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor, RandomForestClassifier,
                              RandomForestRegressor)
from sklearn.metrics import accuracy_score, r2_score
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from common import floats, ints, load, rows

warnings.simplefilter("ignore")

values = {}
out = {"produced_by": f"scikit-learn {sklearn.__version__}, numpy {np.__version__}", "values": values}


def tree_arrays(t):
    tr = t.tree_
    value = tr.value[:, 0, :]
    return {
        "children_left": ints(tr.children_left),
        "children_right": ints(tr.children_right),
        "feature": ints(tr.feature),
        "threshold": floats(tr.threshold),
        "impurity": floats(tr.impurity),
        "n_node_samples": ints(tr.n_node_samples),
        "value": rows(value),
        "feature_importances": floats(t.feature_importances_),
    }


def same_tree(a, b):
    return (np.array_equal(a.tree_.feature, b.tree_.feature) and np.array_equal(a.tree_.threshold, b.tree_.threshold)
            and np.array_equal(a.tree_.children_left, b.tree_.children_left))


# scikit-learn grows trees on X cast to float32; mlpipe keeps doubles. On float32 values (the synthetic data) the two
# agree bit for bit; on others (diabetes) thresholds differ by float32 rounding.
# Continuous synthetic data without repeated values (the shipped datasets have exactly tied splits: breast_cancer's
# radius, perimeter and area order the rows alike): 300 rows, 6 features; three classes labelled 3, 7, 12, and a
# real-valued target.
rng = np.random.RandomState(0)
SX = rng.normal(size=(300, 6)).astype(np.float32).astype(np.float64)  # float32 values, see below
score = SX[:, 0] + 0.8 * SX[:, 1] - 0.6 * SX[:, 2] * SX[:, 3] + 0.5 * rng.normal(size=300)
SC = np.where(score < -0.5, 3.0, np.where(score < 0.7, 7.0, 12.0))
SR = 3 * SX[:, 0] + 2 * np.sin(2 * SX[:, 1]) + SX[:, 2] * SX[:, 4] + 0.3 * rng.normal(size=300)
values["synthetic"] = {"X": rows(SX), "classes": floats(SC), "values": floats(SR)}
DATA = {"synthetic_classes": (SX, SC), "synthetic_values": (SX, SR)}


def data(dataset):
    return DATA[dataset] if dataset in DATA else load(dataset)


def tree_case(name, cls, dataset, params):
    X, y = data(dataset)
    trees = [cls(random_state=seed, **params).fit(X, y) for seed in range(10)]
    assert all(same_tree(trees[0], t) for t in trees), f"{name}: ties between candidate splits"
    t = trees[0]
    case = {"dataset": dataset, "params": params, "tree": tree_arrays(t), "predict": floats(t.predict(X))}
    if hasattr(t, "predict_proba"):
        case["predict_proba"] = rows(t.predict_proba(X))
    values[name] = case
    return t


tree_case("gini_depth3", DecisionTreeClassifier, "synthetic_classes", {"max_depth": 3})
tree_case("gini_leaf20", DecisionTreeClassifier, "synthetic_classes", {"min_samples_leaf": 20})
tree_case("entropy_leaf20", DecisionTreeClassifier, "synthetic_classes", {"criterion": "entropy", "min_samples_leaf": 20})
tree_case("log_loss_depth3", DecisionTreeClassifier, "synthetic_classes", {"criterion": "log_loss", "max_depth": 3})
tree_case("gini_best_first", DecisionTreeClassifier, "synthetic_classes", {"max_leaf_nodes": 8})
tree_case("gini_min_impurity_decrease", DecisionTreeClassifier, "synthetic_classes",
          {"min_impurity_decrease": 0.01})
tree_case("squared_error_leaf5", DecisionTreeRegressor, "synthetic_values", {"min_samples_leaf": 5})
tree_case("squared_error_best_first", DecisionTreeRegressor, "synthetic_values",
          {"max_leaf_nodes": 12, "min_samples_leaf": 5})
tree_case("squared_error_diabetes", DecisionTreeRegressor, "diabetes.csv", {"max_depth": 4, "min_samples_leaf": 5})

# Pruning: the path of a tie-free tree, and the tree pruned at one of its alphas.
X, y = data("synthetic_classes")
params = {"min_samples_leaf": 20}
trees = [DecisionTreeClassifier(random_state=s, **params).fit(X, y) for s in range(10)]
assert all(same_tree(trees[0], t) for t in trees), "pruning: ties between candidate splits"
path = trees[0].cost_complexity_pruning_path(X, y)
values["pruning_path_classifier"] = {"dataset": "synthetic_classes", "params": params,
                                     "ccp_alphas": floats(path.ccp_alphas), "impurities": floats(path.impurities)}
alpha = float((path.ccp_alphas[3] + path.ccp_alphas[4]) / 2)
tree_case("gini_pruned", DecisionTreeClassifier, "synthetic_classes", {"min_samples_leaf": 20, "ccp_alpha": alpha})

X, y = data("synthetic_values")
params = {"min_samples_leaf": 5}
trees = [DecisionTreeRegressor(random_state=s, **params).fit(X, y) for s in range(10)]
assert all(same_tree(trees[0], t) for t in trees), "pruning regressor: ties between candidate splits"
path = trees[0].cost_complexity_pruning_path(X, y)
values["pruning_path_regressor"] = {"dataset": "synthetic_values", "params": params,
                                    "ccp_alphas": floats(path.ccp_alphas), "impurities": floats(path.impurities)}

# ---- forests: spread over seeds ------------------------------------------------------------------------------------
# Train on rows i % 3 != 0, test on rows i % 3 == 0.


def split(dataset):
    X, y = load(dataset)
    test = np.arange(len(y)) % 3 == 0
    return X[~test], y[~test], X[test], y[test]


SEEDS = range(20)


def forest_case(name, cls, dataset, params, classification):
    Xtr, ytr, Xte, yte = split(dataset)
    scores, importances, oob = [], [], []
    for seed in SEEDS:
        f = cls(random_state=seed, **params).fit(Xtr, ytr)
        pred = f.predict(Xte)
        scores.append(accuracy_score(yte, pred) if classification else r2_score(yte, pred))
        importances.append(f.feature_importances_)
        if params.get("oob_score"):
            oob.append(f.oob_score_)
    importances = np.array(importances)
    case = {"dataset": dataset, "params": params, "scores": floats(scores),
            "importance_mean": floats(importances.mean(axis=0)), "importance_std": floats(importances.std(axis=0))}
    if oob:
        case["oob_scores"] = floats(oob)
    values[name] = case


forest_case("random_forest_classifier", RandomForestClassifier, "breast_cancer.csv",
            {"n_estimators": 30, "max_features": "sqrt", "oob_score": True}, True)
forest_case("extra_trees_classifier", ExtraTreesClassifier, "breast_cancer.csv",
            {"n_estimators": 30, "max_features": "sqrt"}, True)
forest_case("random_forest_regressor", RandomForestRegressor, "diabetes.csv",
            {"n_estimators": 30, "max_features": 1.0, "oob_score": True}, False)
forest_case("extra_trees_regressor", ExtraTreesRegressor, "diabetes.csv",
            {"n_estimators": 30, "max_features": 1.0}, False)

# ---- XGBoost (Debian's python3-xgboost, the same libxgboost as the C API) --------------------------------------------
# Trained with xgb.train on the same data, labels (class indices) and parameters, predicted by inplace_predict on
# float64 X: what mlpipe's xgboost stages must predict exactly.
import xgboost as xgb  # noqa: E402

out["produced_by"] += f", xgboost {xgb.__version__}"
NAMES = {"learning_rate": "eta", "reg_lambda": "lambda", "reg_alpha": "alpha"}


def xgboost_case(name, dataset, params, objective):
    X, y = data(dataset)
    classes = np.unique(y)
    label = np.searchsorted(classes, y) if objective != "reg:squarederror" else y
    p = {"verbosity": 0, "nthread": 1, "tree_method": "hist", "objective": objective}
    for k, v in params.items():
        if k != "n_estimators":
            p[NAMES.get(k, k)] = v
    if objective == "multi:softprob":
        p["num_class"] = len(classes)
    booster = xgb.train(p, xgb.DMatrix(X, label=label), num_boost_round=params["n_estimators"])
    gain = booster.get_score(importance_type="gain")
    values[name] = {"dataset": dataset, "params": params, "predict": floats(booster.inplace_predict(X)),
                     "gain": floats([gain.get(f"f{j}", 0.0) for j in range(X.shape[1])])}


xgboost_case("xgboost_multiclass", "synthetic_classes",
             {"n_estimators": 20, "max_depth": 3, "learning_rate": 0.1, "subsample": 0.8, "colsample_bytree": 0.8,
              "seed": 7}, "multi:softprob")
xgboost_case("xgboost_binary", "breast_cancer.csv",
             {"n_estimators": 10, "max_depth": 4, "min_child_weight": 2.0, "reg_lambda": 2.0}, "binary:logistic")
xgboost_case("xgboost_regression", "diabetes.csv",
             {"n_estimators": 30, "max_depth": 3, "learning_rate": 0.1, "reg_alpha": 0.5, "gamma": 1.0,
              "subsample": 0.7, "seed": 3}, "reg:squarederror")

print(json.dumps(out, indent=1))
