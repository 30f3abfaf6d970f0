// The registry of stage kinds, compiled once in the test program when tests/dynamic/test_dynamic.cpp (which includes
// it itself) is not part of the build: test_experiment.cpp builds pipelines from JSON through it.
#include "mlpipe/dynamic_registry.hpp"
