// The registry of run-time stage kinds alone: the one file of a program that includes it pays this once
// (compile_time.py states its time).
#include <mlpipe/dynamic_registry.hpp>
