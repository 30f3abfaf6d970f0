// Every branch of union_of must transform: a model's output cannot be concatenated as features.
// build error: mlpipe: every branch of union_of must be a transformer
#include <mlpipe/core/union.hpp>
#include <mlpipe/models/ridge.hpp>
#include <mlpipe/preprocessing/standard_scaler.hpp>

int main() {
  namespace mp = mlpipe;
#ifdef MLPIPE_COMPILE_FAIL
  auto both = mp::union_of(mp::standard_scaler{}, mp::ridge{});
#else
  auto both = mp::union_of(mp::step<"a">(mp::standard_scaler{}), mp::step<"b">(mp::standard_scaler{}));
#endif
  return both.param_names().size() == 4 ? 0 : 1;
}
