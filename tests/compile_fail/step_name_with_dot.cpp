// A dot in a step name would break parameter paths.
// build error: mlpipe: a step name must be non-empty and must not contain '\.'
#include <mlpipe/core/step.hpp>
#include <mlpipe/preprocessing/standard_scaler.hpp>

int main() {
  namespace mp = mlpipe;
#ifdef MLPIPE_COMPILE_FAIL
  auto s = mp::step<"pre.scale">(mp::standard_scaler{});
#else
  auto s = mp::step<"pre_scale">(mp::standard_scaler{});
#endif
  return s.stage.with_mean ? 0 : 1;
}
