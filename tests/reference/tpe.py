"""Reference values for tests/tuning/test_tpe.cpp: the candidates of scikit-learn's ParameterGrid over a list of
grids (the order grid_list must reproduce).
Run:
    nice -n 19 /usr/bin/python3 tests/reference/tpe.py > tests/reference/tpe.json
"""
import json
import sys

import numpy as np
import sklearn
from sklearn.model_selection import ParameterGrid

out = {"produced_by": f"scikit-learn {sklearn.__version__}, numpy {np.__version__}", "values": {}}


def candidates(grids):
    """Each candidate as a list of [path, value] pairs, paths sorted (as ParameterGrid iterates them)."""
    return [[[k, v] for k, v in sorted(c.items())] for c in ParameterGrid(grids)]


out["values"]["grid_list"] = {
    "two grids": candidates([
        {"scale": ["standard_scaler"], "scale.standard_scaler.with_mean": [True, False]},
        {"scale": ["min_max_scaler"], "model.C": [0.1, 1.0]},
    ]),
    "three grids, unsorted keys": candidates([
        {"select.k": [5, 10], "model.C": [0.01, 0.1, 1.0]},
        {"model.penalty": ["l1", "l2"], "model.C": [1.0]},
        {"model.tol": [1e-4]},
    ]),
}
json.dump(out, sys.stdout, separators=(",", ":"))
sys.stdout.write("\n")
