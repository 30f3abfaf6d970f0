// Only the last step of a pipeline may be a model; every earlier step must transform.
// build error: mlpipe: only the last step of a pipeline may be a model
#include <mlpipe/core/pipeline.hpp>
#include <mlpipe/models/ridge.hpp>
#include <mlpipe/preprocessing/standard_scaler.hpp>

int main() {
  namespace mp = mlpipe;
#ifdef MLPIPE_COMPILE_FAIL
  auto pipe = mp::step<"model">(mp::ridge{}) | mp::step<"scale">(mp::standard_scaler{});
#else
  auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{});
#endif
  return pipe.param_names().size() == 4 ? 0 : 1;
}
