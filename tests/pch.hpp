#pragma once
// The precompiled header of the test executables: the dependencies and the library, parsed once per build instead
// of once per test file. Test files still include what they use; this only makes it cheap.
#include <catch2/catch.hpp>
#include <Eigen/Dense>
#include <nlohmann/json.hpp>

#include <mlpipe/mlpipe.hpp>
