"""Reference files for tests/io/test_npy.cpp: small .npy files written by numpy itself (each format version, each
supported dtype, C and Fortran order, a target file, NaN and infinities, and files numpy writes that read_npy refuses:
big-endian, an int64 beyond 2^53, a 1-D array, a structured array), and the values they hold.
Run:
    nice -n 19 /usr/bin/python3 tests/reference/npy.py > tests/reference/npy.json
It rewrites the files in tests/reference/npy/.
"""
import json
import os
import sys

import numpy as np

from common import rows, floats

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "npy")
os.makedirs(HERE, exist_ok=True)

rng = np.random.RandomState(0)
X = rng.normal(size=(6, 3))
X[0, 0] = 0.1          # not exact in binary: must read back bit for bit
X[1, 1] = -0.0
X[2, 2] = 1e-300
ints = rng.randint(-1000, 1000, size=(5, 4))
target = np.arange(6, dtype=float) * 1.5


def save(name, array, version=None):
    path = os.path.join(HERE, name)
    with open(path, "wb") as f:
        np.lib.format.write_array(f, array, version=version, allow_pickle=False)
    return name


files = {}
files["c_f8"] = save("c_f8.npy", np.ascontiguousarray(X))
files["fortran_f8"] = save("fortran_f8.npy", np.asfortranarray(X))
files["v2_f8"] = save("v2_f8.npy", X, version=(2, 0))
files["v3_f8"] = save("v3_f8.npy", X, version=(3, 0))
files["c_f4"] = save("c_f4.npy", X.astype("<f4"))
files["fortran_f4"] = save("fortran_f4.npy", np.asfortranarray(X.astype("<f4")))
files["c_i8"] = save("c_i8.npy", ints.astype("<i8"))
files["fortran_i4"] = save("fortran_i4.npy", np.asfortranarray(ints.astype("<i4")))
files["target"] = save("target.npy", target)
files["target_column"] = save("target_column.npy", target.reshape(-1, 1))
special = X.copy()
special[3, 1] = np.nan
special[4, 2] = np.inf
files["nan_inf"] = save("nan_inf.npy", special)
files["big_endian"] = save("big_endian.npy", X.astype(">f8"))
big = ints.astype("<i8")
big[2, 3] = 2**53 + 1
files["big_i8"] = save("big_i8.npy", big)
files["vector"] = save("vector.npy", target)
files["structured"] = save("structured.npy", np.zeros(3, dtype=[("a", "<f8"), ("b", "<i4")]))
files["unsigned"] = save("unsigned.npy", ints.astype("<u2"))

values = {
    "files": files,
    "X": rows(X),
    "X_f4": rows(X.astype("<f4").astype(float)),
    "ints": rows(ints.astype(float)),
    "target": floats(target),
    "nan_inf": rows(special),
}
out = {"produced_by": f"numpy {np.__version__}", "values": values}
json.dump(out, sys.stdout, separators=(",", ":"))
sys.stdout.write("\n")
