// Two steps with the same name would make parameter paths ambiguous: a compile error.
// build error: mlpipe: two steps are named the same
#include <mlpipe/core/pipeline.hpp>
#include <mlpipe/models/ridge.hpp>
#include <mlpipe/preprocessing/standard_scaler.hpp>

int main() {
  namespace mp = mlpipe;
#ifdef MLPIPE_COMPILE_FAIL
  auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"scale">(mp::standard_scaler{}) | mp::ridge{};
#else
  auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"rescale">(mp::standard_scaler{}) | mp::ridge{};
#endif
  return pipe.param_names().size() == 6 ? 0 : 1;
}
