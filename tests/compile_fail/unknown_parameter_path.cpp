// A literal parameter path that names nothing is a compile error.
// build error: mlpipe: unknown parameter path.*'m', 'o', 'd', 'e', 'l', '.', 'C'
#include <mlpipe/core/pipeline.hpp>
#include <mlpipe/models/ridge.hpp>
#include <mlpipe/preprocessing/standard_scaler.hpp>

int main() {
  namespace mp = mlpipe;
  auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{});
#ifdef MLPIPE_COMPILE_FAIL
  pipe.set<"model.C">(0.5);  // ridge has no C
#else
  pipe.set<"model.alpha">(0.5);
#endif
  return pipe.get<"model.alpha">() == 0.5 ? 0 : 1;
}
