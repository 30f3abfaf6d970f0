// Fits standard_scaler on diabetes through the packaged mlpipe, round-trips it through JSON and checks the result:
// the package's include directories, its C++20 requirement and its dependencies (Eigen, nlohmann/json) all at work.
// Small on purpose (a few seconds to compile): the tests and examples exercise the library itself.
#include <mlpipe/io/csv.hpp>
#include <mlpipe/io/serialize.hpp>
#include <mlpipe/preprocessing/standard_scaler.hpp>
#include <mlpipe/version.hpp>

#include <cmath>
#include <cstdio>

int main() {
  namespace mp = mlpipe;
  const auto data = mp::read_csv(MLPIPE_DATA_DIR "/diabetes.csv", {.target = "target"});
  const auto fitted = mp::standard_scaler{}.fit(data.X, data.y);
  const auto loaded = mp::from_json<mp::standard_scaler::fitted>(mp::to_json(fitted));
  const mp::matrix Z = loaded.transform(data.X);
  const double mean = Z.mean();
  const double variance = Z.col(0).squaredNorm() / static_cast<double>(Z.rows());
  std::printf("mlpipe %s: %d x %d scaled, mean %.1e, variance %.6f\n", mp::version_string,
              static_cast<int>(Z.rows()), static_cast<int>(Z.cols()), mean, variance);
  return std::abs(mean) < 1e-12 && std::abs(variance - 1.0) < 1e-12 && Z == fitted.transform(data.X) ? 0 : 1;
}
