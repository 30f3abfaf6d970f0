// Fits scaler | ridge on diabetes through the packaged mlpipe and checks the fit is sensible.
// The headers it uses (<mlpipe/mlpipe.hpp> would do too; the header checks compile that one).
#include <mlpipe/core/pipeline.hpp>
#include <mlpipe/io/csv.hpp>
#include <mlpipe/models/ridge.hpp>
#include <mlpipe/preprocessing/standard_scaler.hpp>
#include <mlpipe/version.hpp>

#include <cstdio>

int main() {
  namespace mp = mlpipe;
  const auto data = mp::read_csv(MLPIPE_DATA_DIR "/diabetes.csv", {.target = "target"});
  auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{.alpha = 1.0});
  const auto fitted = pipe.fit(data.X, data.y);
  const mp::vector residual = fitted.predict(data.X) - data.y;
  const double r2 = 1.0 - residual.squaredNorm() / (data.y.array() - data.y.mean()).square().sum();
  std::printf("mlpipe %s: training R^2 = %.4f\n", mp::version_string, r2);
  return r2 > 0.5 && r2 < 0.52 ? 0 : 1;  // scikit-learn: 0.5177
}
