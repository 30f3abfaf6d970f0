// serve -- predicts the rows of a CSV file with any model file saved by any mlpipe program, knowing nothing of the
// model's type: load_any reads the file through the registry of stage kinds.
//   serve MODEL CSV [TARGET]   writes one prediction per row (and the class probabilities of a classifier) as CSV;
//                              a TARGET column, when named, is left out of the features.
// Without arguments it makes its own model first, from a JSON spec, on data/breast_cancer.csv (run from a folder that
// holds it: the build's examples folder does), and serves the first rows of that file.
#include <mlpipe/dynamic.hpp>
#include <mlpipe/dynamic_registry.hpp>  // in exactly one source file of a program: every stage kind, compiled here
#include <mlpipe/io/csv.hpp>

#include <cstdio>
#include <exception>
#include <span>
#include <string>
#include <vector>

namespace mp = mlpipe;

int main(int argc, char** argv) {
  try {
    std::string model_path;
    std::string csv_path;
    std::string target;
    if (argc >= 3) {
      model_path = argv[1];
      csv_path = argv[2];
      if (argc >= 4) target = argv[3];
    } else {
      // A model to serve: a pipeline from a spec (the same JSON a saved model's "model" node holds), fitted and saved.
      csv_path = "data/breast_cancer.csv";
      target = "target";
      model_path = "serve_model.json";
      const auto train = mp::read_csv(csv_path, {.target = target});
      const auto pipe = mp::any_pipeline::from_json(R"({"steps": [
          {"name": "scale", "kind": "standard_scaler"},
          {"name": "select", "kind": "select_k_best", "params": {"k": 10}},
          {"name": "model", "kind": "logistic_regression", "params": {"C": 0.5}}]})");
      mp::save(pipe.fit(train.X, train.y), model_path);
    }

    const mp::any_model model = mp::load_any(model_path);
    const auto data = mp::read_csv(csv_path, {.target = target});
    std::fprintf(stderr, "%s: %s, %td features in; %td rows to predict\n", model_path.c_str(),
                 model.signature().c_str(), model.n_features_in(), data.X.rows());

    const bool proba = model.roles().predict_proba;
    std::printf("prediction");
    if (proba)
      for (const double c : model.classes()) std::printf(",proba_%g", c);
    std::printf("\n");
    const mp::index rows = argc >= 3 ? data.X.rows() : 5;
    std::vector<double> p(proba ? static_cast<std::size_t>(model.classes().size()) : 0);
    mp::vector row(data.X.cols());
    for (mp::index i = 0; i < rows; ++i) {
      row = data.X.row(i).transpose();
      const std::span<const double> r(row.data(), static_cast<std::size_t>(row.size()));
      std::printf("%.17g", model.predict_one(r));  // one row, one indirect call, no allocation
      if (proba) {
        model.predict_proba_one(r, p);
        for (const double x : p) std::printf(",%.17g", x);
      }
      std::printf("\n");
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "serve: %s\n", e.what());
    return 1;
  }
}
