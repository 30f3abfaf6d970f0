// graph_tour -- the shapes a pipeline can take: column routing, unions, lambdas as stages, nesting, and
// parameter paths that reach into all of them.
#include <mlpipe/mlpipe.hpp>

#include <cstdio>

namespace mp = mlpipe;

int main() {
  const auto data = mp::read_csv("data/diabetes.csv", {.target = "target"});

  // Standardize the body measures (age, bmi, bp: columns 0, 2, 3) and square them too; keep the rest as they are.
  auto body = mp::step<"scale">(mp::standard_scaler{}) |
              mp::step<"both">(mp::union_of(
                  mp::step<"linear">(mp::transform_fn([](const mp::matrix_view& X) { return mp::matrix(X); })),
                  mp::step<"squared">(mp::transform_fn([](const mp::matrix_view& X) {
                    return X.array().square().matrix();
                  }))));
  auto features = mp::column_transformer(mp::remainder::passthrough, mp::step<"body">(mp::columns({0, 2, 3}, body)));
  auto pipe = mp::step<"features">(features) | mp::step<"model">(mp::ridge{.alpha = 0.5});

  std::printf("parameters:\n");
  for (const auto& name : pipe.param_names()) std::printf("  %s = %s\n", name.c_str(), mp::format_value(pipe.get_param(name)).c_str());

  pipe.set<"features.body.scale.with_std">(false);  // checked when compiled
  pipe.set_param("model.alpha", 0.1);               // checked when run
  const auto fitted = pipe.fit(data.X, data.y);

  const auto& route = fitted.get<"features">();
  std::printf("%td input columns -> %td features (3 centred, 3 squared, %zu passed through)\n",
              route.n_features_in(), route.n_features_out(), route.passthrough().size());
  std::printf("body means: ");
  const auto& scale = fitted.get<"features.body.scale">();
  for (mp::index j = 0; j < scale.mean().size(); ++j) std::printf("%.2e ", scale.mean()(j));
  std::printf("\nfirst prediction: %.2f (true %.0f)\n", fitted.predict(data.X.topRows(1))(0), data.y(0));
  return 0;
}
