"""Helpers shared by the reference scripts in this folder: the shipped datasets and JSON-safe numbers."""
import math
import os

import numpy as np

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "data")


def load(name):
    """X and y of a CSV in examples/data whose target column is named "target"."""
    with open(os.path.join(DATA, name)) as f:
        header = f.readline().strip().split(",")
    values = np.loadtxt(os.path.join(DATA, name), delimiter=",", skiprows=1)
    target = header.index("target")
    return np.delete(values, target, axis=1), values[:, target]


def number(v):
    """A number for JSON: NaN as null, infinities as "inf" and "-inf"."""
    v = float(v)
    if math.isnan(v):
        return None
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def floats(a):
    return [number(v) for v in np.ravel(np.asarray(a, dtype=float))]


def rows(a):
    return [floats(r) for r in np.atleast_2d(np.asarray(a, dtype=float))]


def ints(a):
    return [int(v) for v in np.ravel(a)]
