// regression -- fit a scaler | ridge pipeline on the diabetes data, tune it by parameter path, and predict.
// Run from a folder that holds data/diabetes.csv (the build's examples folder does).
#include <mlpipe/mlpipe.hpp>

#include <cstdio>

namespace mp = mlpipe;

int main() {
  auto data = mp::read_csv("data/diabetes.csv", {.target = "target"});
  std::printf("diabetes: %td rows x %td features\n", data.X.rows(), data.X.cols());

  // A pipeline is a type: each step is named, and parameters have paths like "model.alpha".
  auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{.alpha = 1.0});

  // fit is const and returns a new, immutable fitted pipeline.
  const auto fitted = pipe.fit(data.X, data.y);
  const mp::vector prediction = fitted.predict(data.X.topRows(3));
  std::printf("predictions for the first rows: %.2f %.2f %.2f (true: %.0f %.0f %.0f)\n", prediction(0),
              prediction(1), prediction(2), data.y(0), data.y(1), data.y(2));

  const auto& model = fitted.get<"model">();
  std::printf("coefficients on standardized features:");
  for (mp::index j = 0; j < model.coef().size(); ++j) std::printf(" %s=%.2f", data.feature_names[j].c_str(), model.coef()(j));
  std::printf("\nintercept: %.4f\n", model.intercept());

  // Paths checked at compile time (a typo does not compile) and at run time (a typo is a clear error).
  for (double alpha : {0.1, 10.0, 100.0}) {
    pipe.set<"model.alpha">(alpha);
    const mp::vector residual = pipe.fit(data.X, data.y).predict(data.X) - data.y;
    const double r2 = 1.0 - residual.squaredNorm() / (data.y.array() - data.y.mean()).square().sum();
    std::printf("alpha = %6.1f: training R^2 = %.4f\n", alpha, r2);
  }
  try {
    pipe.set_param("model.alhpa", 1.0);
  } catch (const mp::error& e) {
    std::printf("a mistyped path: %s\n", e.what());
  }
  try {
    fitted.predict(data.X.leftCols(4));
  } catch (const mp::error& e) {
    std::printf("the wrong width: %s\n", e.what());
  }
  return 0;
}
