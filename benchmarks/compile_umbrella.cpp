// For benchmarks/compile_time.py: the price of #include <mlpipe/mlpipe.hpp> in a program that uses none of it.
#include <mlpipe/mlpipe.hpp>

int main() { return 0; }
