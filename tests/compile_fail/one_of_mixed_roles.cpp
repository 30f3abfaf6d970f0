// The alternatives of one_of share a role: a scaler and a model cannot stand in for each other.
// build error: mlpipe: the alternatives of one_of must share a role
#include <mlpipe/core/one_of.hpp>
#include <mlpipe/models/logistic_regression.hpp>
#include <mlpipe/models/ridge.hpp>
#include <mlpipe/preprocessing/standard_scaler.hpp>

int main() {
  namespace mp = mlpipe;
#ifdef MLPIPE_COMPILE_FAIL
  auto choice = mp::one_of(mp::standard_scaler{}, mp::logistic_regression{});
#else
  auto choice = mp::one_of(mp::logistic_regression{}, mp::step<"weak">(mp::logistic_regression{.C = 0.1}));
#endif
  return choice.param_names().size() > 2 ? 0 : 1;
}
