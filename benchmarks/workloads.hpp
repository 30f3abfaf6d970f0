#pragma once

// The data and pipelines of the benchmark workloads (see README.md), shared by the benchmark programs.

#include <cmath>
#include <fstream>
#include <string>

#include <mlpipe/mlpipe.hpp>  // with feature_selection/mutual_info.hpp: numpy's legacy normal stream

namespace bench {

namespace mp = mlpipe;

inline const mp::dataset& breast_cancer() {
  static const mp::dataset d = mp::read_csv(MLPIPE_DATA_DIR "/breast_cancer.csv", {.target = "target"});
  return d;
}

// Workload 2's data: 20,000 x 100 standard normal features (seed 0), of which the first 20 are informative:
// y = 1 when X[:, :20] w + noise > 0, with w and the noise standard normal from the same stream.
inline const mp::dataset& synthetic() {
  static const mp::dataset d = [] {
    constexpr mp::index rows = 20000, cols = 100, informative = 20;
    mp::detail::legacy_normal_stream normal(0);  // numpy's RandomState(0).standard_normal
    mp::dataset out;
    out.X.resize(rows, cols);
    for (mp::index i = 0; i < rows; ++i)
      for (mp::index j = 0; j < cols; ++j) out.X(i, j) = normal.next();
    mp::vector w(informative);
    for (mp::index j = 0; j < informative; ++j) w(j) = normal.next();
    out.y.resize(rows);
    for (mp::index i = 0; i < rows; ++i) {
      const double margin = out.X.row(i).head(informative).dot(w) + 2.0 * normal.next();
      out.y(i) = margin > 0.0 ? 1.0 : 0.0;
    }
    for (mp::index j = 0; j < cols; ++j) out.feature_names.push_back(std::string("x").append(std::to_string(j)));
    out.target_name = "target";
    return out;
  }();
  return d;
}

// Writes a dataset as CSV (header, then rows; the target last), so that scikit-learn reads the same numbers.
inline void write_csv(const mp::dataset& d, const std::string& path) {
  std::ofstream out(path);
  for (const auto& name : d.feature_names) out << name << ",";
  out << "target\n";
  for (mp::index i = 0; i < d.X.rows(); ++i) {
    for (mp::index j = 0; j < d.X.cols(); ++j) out << mp::format_double(d.X(i, j)) << ",";
    out << mp::format_double(d.y(i)) << "\n";
  }
}

// Workload 4's rows: breast_cancer's rows repeated to 1,000,000.
inline const mp::matrix& million_rows() {
  static const mp::matrix X = [] {
    const auto& d = breast_cancer();
    mp::matrix out(1000000, d.X.cols());
    for (mp::index i = 0; i < out.rows(); ++i) out.row(i) = d.X.row(i % d.X.rows());
    return out;
  }();
  return X;
}

// The pipeline of workloads 1 to 4: standard_scaler -> select_k_best(f_classif) -> logistic_regression.
inline auto scale_select_logistic(mp::index k = 10, double C = 1.0) {
  return mp::step<"scale">(mp::standard_scaler{}) | mp::step<"select">(mp::select_k_best{.k = k}) |
         mp::step<"model">(mp::logistic_regression{.C = C});
}

inline mp::grid workload_grid() {
  return mp::grid{{"select.k", {5, 10, 20, 30}}, {"model.C", {0.01, 0.1, 1.0, 10.0, 100.0}}};
}

// The searches' space: C log-uniform on [0.001, 1000], k from 2 to 30 (scikit-learn: loguniform, randint(2, 31)).
inline mp::space search_space() {
  return mp::space{{"model.C", mp::loguniform(1e-3, 1e3)}, {"select.k", mp::int_uniform(2, 30)}};
}

inline const mp::stratified_kfold workload_cv{.n_splits = 5, .shuffle = true, .seed = 0};

}  // namespace bench
