#include <catch2/catch.hpp>

#include <algorithm>  // std::max
#include <any>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <utility>    // std::pair
#include <vector>

#include "mlpipe/core/concepts.hpp"
#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/min_max_scaler.hpp"
#include "mlpipe/preprocessing/simple_imputer.hpp"
#include "support.hpp"

// File-local names live here: the test files are compiled together in batches (a unity build).
namespace test_imputer_and_minmax_tests {

namespace mp = mlpipe;
using mp::test::error_message;
using mp::test::max_relative_error;
using mp::test::to_vector;

namespace {

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

const nlohmann::json& reference() { return mp::test::test_reference("preprocessing"); }

// A list of numbers from the reference, null read as NaN.
mp::vector to_vector_nan(const nlohmann::json& j) {
  mp::vector v(static_cast<mp::index>(j.size()));
  for (mp::index i = 0; i < v.size(); ++i) {
    const auto& x = j[static_cast<std::size_t>(i)];
    v(i) = x.is_null() ? not_a_number : x.get<double>();
  }
  return v;
}

mp::matrix to_matrix_nan(const nlohmann::json& rows) {
  mp::matrix m(static_cast<mp::index>(rows.size()), static_cast<mp::index>(rows.at(0).size()));
  for (mp::index i = 0; i < m.rows(); ++i) m.row(i) = to_vector_nan(rows[static_cast<std::size_t>(i)]).transpose();
  return m;
}

// The dataset's X with NaN at the positions the reference script chose (missing.<name>: [row, column] pairs).
mp::matrix with_missing(const std::string& name) {
  mp::matrix X = mp::test::load(name + ".csv").X;
  for (const auto& position : reference()["missing"][name])
    X(position[0].get<mp::index>(), position[1].get<mp::index>()) = not_a_number;
  return X;
}

// Equal to the bit, NaN where the other has NaN.
bool identical(const mp::matrix& a, const mp::matrix& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (mp::index j = 0; j < a.cols(); ++j)
    for (mp::index i = 0; i < a.rows(); ++i)
      if (std::isnan(a(i, j)) ? !std::isnan(b(i, j)) : a(i, j) != b(i, j)) return false;
  return true;
}

// transform_one applied to every row of X.
template <class Fitted>
mp::matrix row_by_row(const Fitted& f, const mp::matrix& X) {
  mp::matrix out(X.rows(), f.n_features_out());
  std::vector<double> in(static_cast<std::size_t>(X.cols())), row(static_cast<std::size_t>(out.cols()));
  for (mp::index i = 0; i < X.rows(); ++i) {
    for (mp::index j = 0; j < X.cols(); ++j) in[static_cast<std::size_t>(j)] = X(i, j);
    f.transform_one(in, row);
    for (mp::index j = 0; j < out.cols(); ++j) out(i, j) = row[static_cast<std::size_t>(j)];
  }
  return out;
}

// A stand-in for the archives of io/serialize.hpp: saving records what serialize lists, loading writes it back into
// an empty shell, so a round trip shows that serialize covers everything transform needs.
class memory_archive {
 public:
  template <class Spec>
  void params(Spec& spec) {
    if (loading_) spec = std::any_cast<Spec>(entries_.at("params"));
    else entries_["params"] = spec;
  }
  template <class T>
  void operator()(std::string_view name, T& value) {
    if (loading_) value = std::any_cast<T>(entries_.at(std::string(name)));
    else entries_[std::string(name)] = value;
  }

  template <class Fitted>
  static Fitted round_trip(const Fitted& f) {
    memory_archive ar;
    Fitted saved = f;
    saved.serialize(ar);
    ar.loading_ = true;
    Fitted loaded;
    loaded.serialize(ar);
    return loaded;
  }

 private:
  std::map<std::string, std::any> entries_;
  bool loading_ = false;
};

mp::imputation strategy_named(const std::string& name) {
  mp::simple_imputer s;
  mp::set_param(s, "strategy", name);
  return s.strategy;
}

}  // namespace

static_assert(mp::transformer<mp::simple_imputer> && mp::transformer<mp::min_max_scaler>);
static_assert(mp::fitted_row_transformer<mp::simple_imputer::fitted>);
static_assert(mp::fitted_row_transformer<mp::min_max_scaler::fitted>);

// ---- simple_imputer ---------------------------------------------------------------------------------------------

TEST_CASE("simple_imputer matches scikit-learn's SimpleImputer on real data with missing values", "[preprocessing]") {
  for (const std::string name : {"diabetes", "breast_cancer", "iris"}) {
    const mp::matrix X = with_missing(name);
    for (const auto& [strategy, ref] : reference()["simple_imputer"][name].items()) {
      CAPTURE(name, strategy);
      const auto f = mp::simple_imputer{.strategy = strategy_named(strategy), .fill_value = -1.5}.fit(X);
      // The same operations in the same order as numpy: the mean sums each column in row order and divides once,
      // the median averages the middle pair as (a + b) / 2, the others select a value. So agreement is to the bit.
      CHECK(identical(f.statistics(), to_vector_nan(ref["statistics_"])));
      CHECK(f.n_features_in() == X.cols());
      CHECK(f.n_features_out() == ref["n_features_out"].get<mp::index>());
      const mp::matrix Xt = f.transform(X);
      CHECK(identical(Xt.topRows(5), to_matrix_nan(ref["transform_first_rows"])));
      // Column sums of the whole output: Eigen and numpy add in different orders, so equal to rounding only.
      CHECK(max_relative_error(Xt.colwise().sum().transpose(), to_vector(ref["transform_column_sums"])) < 1e-12);
    }
  }
}

TEST_CASE("simple_imputer drops columns with no observed value, except with strategy constant", "[preprocessing]") {
  mp::matrix X = with_missing("iris");
  X.col(2).setConstant(not_a_number);
  for (const auto& [strategy, ref] : reference()["simple_imputer_iris_column2_missing"].items()) {
    CAPTURE(strategy);
    const auto f = mp::simple_imputer{.strategy = strategy_named(strategy), .fill_value = -1.5}.fit(X);
    CHECK(identical(f.statistics(), to_vector_nan(ref["statistics_"])));
    const mp::matrix Xt = f.transform(X);
    CHECK(identical(Xt.topRows(5), to_matrix_nan(ref["transform_first_rows"])));
    CHECK(f.n_features_in() == 4);
    if (strategy == "constant") {
      CHECK(f.n_features_out() == 4);
      CHECK(Xt.col(2).isConstant(-1.5));
    } else {
      CHECK(std::isnan(f.statistics()(2)));
      CHECK(f.n_features_out() == 3);
      CHECK(Xt.cols() == 3);
      // The remaining columns keep their order: input columns 0, 1, 3 are output columns 0, 1, 2.
      bool in_order = true;
      for (const auto& [from, to] : {std::pair<mp::index, mp::index>{0, 0}, {1, 1}, {3, 2}})
        for (mp::index i = 0; i < X.rows(); ++i)
          in_order &= Xt(i, to) == (std::isnan(X(i, from)) ? f.statistics()(from) : X(i, from));
      CHECK(in_order);
    }
    CHECK(Xt.allFinite());
    CHECK(identical(row_by_row(f, X), Xt));
  }
}

TEST_CASE("simple_imputer breaks most_frequent ties toward the smallest value and averages even medians",
          "[preprocessing]") {
  const auto& small = reference()["simple_imputer_small"];
  const mp::matrix X = to_matrix_nan(small["X"]);
  for (const auto& [strategy, ref] : small["cases"].items()) {
    CAPTURE(strategy);
    const auto f = mp::simple_imputer{.strategy = strategy_named(strategy), .fill_value = -1.5}.fit(X);
    CHECK(identical(f.statistics(), to_vector_nan(ref["statistics_"])));
    CHECK(identical(f.transform(X), to_matrix_nan(ref["transform_first_rows"])));
  }
  // Read off the data by hand: column 0 observes 1, 2, 2, 1, 3, -1 (1 and 2 twice each); column 1 observes 5, 5, 4, 4.
  const auto most_frequent = mp::simple_imputer{.strategy = mp::imputation::most_frequent}.fit(X);
  CHECK(most_frequent.statistics()(0) == 1.0);
  CHECK(most_frequent.statistics()(1) == 4.0);
  const auto median = mp::simple_imputer{.strategy = mp::imputation::median}.fit(X);
  CHECK(median.statistics()(0) == 1.5);
  CHECK(median.statistics()(1) == 4.5);
  CHECK(median.statistics()(2) == 7.0);  // 7, 7, 8: odd count, the middle value
}

TEST_CASE("simple_imputer fills only the missing entries, the same way row by row", "[preprocessing]") {
  const mp::matrix X = with_missing("breast_cancer");
  for (const auto strategy :
       {mp::imputation::mean, mp::imputation::median, mp::imputation::most_frequent, mp::imputation::constant}) {
    CAPTURE(static_cast<int>(strategy));
    const auto f = mp::simple_imputer{.strategy = strategy, .fill_value = 7.25}.fit(X);
    const mp::matrix Xt = f.transform(X);
    REQUIRE(Xt.cols() == X.cols());  // breast_cancer keeps every column: each has observed values
    CHECK(Xt.allFinite());
    bool filled_correctly = true;
    for (mp::index j = 0; j < X.cols(); ++j) {
      for (mp::index i = 0; i < X.rows(); ++i)
        filled_correctly &= Xt(i, j) == (std::isnan(X(i, j)) ? f.statistics()(j) : X(i, j));
      if (strategy != mp::imputation::constant) {
        // Every statistic lies within the column's observed values.
        const double lo = X.col(j).array().isNaN().select(inf, X.col(j).array()).minCoeff();
        const double hi = X.col(j).array().isNaN().select(-inf, X.col(j).array()).maxCoeff();
        CHECK(f.statistics()(j) >= lo);
        CHECK(f.statistics()(j) <= hi);
      }
    }
    CHECK(filled_correctly);
    CHECK(identical(row_by_row(f, X), Xt));
    // A new matrix is filled with the statistics learned at fit, not its own.
    mp::matrix new_rows = mp::matrix::Constant(2, X.cols(), not_a_number);
    new_rows(1, 4) = 123.0;
    const mp::matrix filled = f.transform(new_rows);
    CHECK(filled.row(0) == f.statistics().transpose());
    CHECK(filled(1, 4) == 123.0);
  }
  // The constant strategy learns fill_value for every column, whatever the column holds.
  const auto constant = mp::simple_imputer{.strategy = mp::imputation::constant, .fill_value = 7.25}.fit(X);
  CHECK(constant.statistics() == mp::vector::Constant(X.cols(), 7.25));
}

TEST_CASE("simple_imputer saves everything it needs to transform the same way", "[preprocessing]") {
  mp::matrix X = with_missing("iris");
  X.col(1).setConstant(not_a_number);  // a dropped column: its nan statistic must survive the round trip
  const auto f = mp::simple_imputer{.strategy = mp::imputation::median}.fit(X);
  const auto loaded = memory_archive::round_trip(f);
  CHECK(loaded.spec().strategy == mp::imputation::median);
  CHECK(loaded.n_features_out() == 3);
  CHECK(identical(loaded.statistics(), f.statistics()));
  CHECK(identical(loaded.transform(X), f.transform(X)));
  CHECK(mp::simple_imputer::fitted().n_features_in() == 0);
}

TEST_CASE("simple_imputer rejects bad hyperparameters, infinities and mis-shaped input with precise messages",
          "[preprocessing]") {
  mp::matrix X(3, 4);
  X << 1, 2, not_a_number, 4,  //
      not_a_number, 6, not_a_number, 8,  //
      9, not_a_number, not_a_number, 12;
  CHECK(error_message<mp::invalid_parameter>([&] { mp::simple_imputer{.fill_value = not_a_number}.fit(X); }) ==
        "simple_imputer: fill_value = nan is not a finite number");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::simple_imputer{.fill_value = -inf}.fit(X); }) ==
        "simple_imputer: fill_value = -inf is not a finite number");
  CHECK(error_message<mp::invalid_parameter>([&] {
          mp::simple_imputer{.strategy = static_cast<mp::imputation>(9)}.fit(X);
        }) == "simple_imputer: strategy = 9 is not a valid value; expected one of \"mean\", \"median\", "
              "\"most_frequent\", \"constant\"");
  CHECK(error_message<mp::invalid_input>([&] { mp::simple_imputer{}.fit(mp::matrix(0, 4)); }) ==
        "simple_imputer: X is empty (0 rows, 4 columns); expected at least one row and one column");
  CHECK(error_message<mp::invalid_input>([&] {
          mp::simple_imputer{.strategy = mp::imputation::median}.fit(mp::matrix::Constant(3, 2, not_a_number));
        }) == "simple_imputer: X is all nan (missing); expected at least one observed value for strategy "
              "\"median\" (strategy \"constant\" fills columns that have none)");
  mp::matrix infinite = X;
  infinite.col(1).setConstant(inf);  // a column of infinities is not "missing"
  CHECK(error_message<mp::invalid_input>([&] { mp::simple_imputer{}.fit(infinite); }) ==
        "simple_imputer: X has inf at row 0, column 1; expected finite values, or nan for a missing value");
  CHECK(error_message<mp::invalid_input>([&] {
          mp::simple_imputer{.strategy = mp::imputation::constant}.fit(infinite);
        }) == "simple_imputer: X has inf at row 0, column 1; expected finite values, or nan for a missing value");

  const auto f = mp::simple_imputer{}.fit(X);
  REQUIRE(f.n_features_out() == 3);
  infinite = X;
  infinite(1, 3) = -inf;
  CHECK(error_message<mp::invalid_input>([&] { f.transform(infinite); }) ==
        "simple_imputer: X has -inf at row 1, column 3; expected finite values, or nan for a missing value");
  CHECK(error_message<mp::invalid_input>([&] { f.transform(X.leftCols(3)); }) ==
        "simple_imputer: X has 3 columns but this step was fitted on 4; expected 4 columns");
  CHECK(error_message<mp::invalid_input>([&] { f.transform(mp::matrix(0, 4)); }) ==
        "simple_imputer: X is empty (0 rows, 4 columns); expected at least one row and one column");
  std::vector<double> out(3);
  const std::vector<double> short_row{1.0, 2.0, 3.0};
  CHECK(error_message<mp::invalid_input>([&] { f.transform_one(short_row, out); }) ==
        "simple_imputer: the row has 3 values but this step was fitted on 4 features; expected 4 values");
  const std::vector<double> infinite_row{1.0, not_a_number, not_a_number, inf};
  CHECK(error_message<mp::invalid_input>([&] { f.transform_one(infinite_row, out); }) ==
        "simple_imputer: the row has inf at column 3; expected finite values, or nan for a missing value");
}

// ---- min_max_scaler ---------------------------------------------------------------------------------------------

namespace {

// Compares a fitted min_max_scaler with scikit-learn's MinMaxScaler fitted on X.
void check_min_max(const mp::min_max_scaler::fitted& f, const mp::matrix& X, const nlohmann::json& ref) {
  // nanmin/nanmax select values; data_range, scale, min_ and transform are the same one or two IEEE operations
  // in the same order as scikit-learn's. So agreement is to the bit, NaN for NaN.
  CHECK(identical(f.data_min(), to_vector_nan(ref["data_min_"])));
  CHECK(identical(f.data_max(), to_vector_nan(ref["data_max_"])));
  CHECK(identical(f.data_range(), to_vector_nan(ref["data_range_"])));
  CHECK(identical(f.scale(), to_vector_nan(ref["scale_"])));
  CHECK(identical(f.min(), to_vector_nan(ref["min_"])));
  CHECK(f.n_samples_seen() == ref["n_samples_seen_"].get<mp::index>());
  CHECK(identical(f.transform(X.topRows(5)), to_matrix_nan(ref["transform_first_rows"])));
  mp::matrix new_rows(6, X.cols());
  new_rows << 2.0 * X.topRows(3), -X.topRows(3);  // beyond the training range, as the script made them
  CHECK(identical(f.transform(new_rows), to_matrix_nan(ref["transform_new_rows"])));
  CHECK(identical(f.inverse_transform(f.transform(X.topRows(5))), to_matrix_nan(ref["inverse_transform_first_rows"])));
}

}  // namespace

TEST_CASE("min_max_scaler matches scikit-learn's MinMaxScaler on real data with missing values", "[preprocessing]") {
  for (const std::string name : {"diabetes", "breast_cancer", "iris"}) {
    CAPTURE(name);
    const mp::matrix X = with_missing(name);
    const auto f = mp::min_max_scaler{}.fit(X);
    check_min_max(f, X, reference()["min_max_scaler"][name]);
    CHECK(f.n_features_in() == X.cols());
    CHECK(f.n_features_out() == X.cols());
  }
}

TEST_CASE("min_max_scaler maps onto negative ranges and clips values outside them", "[preprocessing]") {
  const mp::matrix X = with_missing("breast_cancer");
  const auto& ref = reference()["min_max_scaler_negative_range"];
  const auto plain = mp::min_max_scaler{.feature_range = {-5.0, -2.0}}.fit(X);
  check_min_max(plain, X, ref["no_clip"]);
  const auto clipped = mp::min_max_scaler{.feature_range = {-5.0, -2.0}, .clip = true}.fit(X);
  check_min_max(clipped, X, ref["clip"]);

  mp::matrix new_rows(6, X.cols());
  new_rows << 2.0 * X.topRows(3), -X.topRows(3);
  const mp::matrix unclipped = plain.transform(new_rows);
  const mp::matrix Xc = clipped.transform(new_rows);
  CHECK((unclipped.array() > -2.0).any());  // the rows really go beyond the range, so clip has work to do
  CHECK((unclipped.array() < -5.0).any());
  bool within = true;
  for (mp::index j = 0; j < Xc.cols(); ++j)
    for (mp::index i = 0; i < Xc.rows(); ++i)
      within &= std::isnan(new_rows(i, j)) ? std::isnan(Xc(i, j)) : (Xc(i, j) >= -5.0 && Xc(i, j) <= -2.0);
  CHECK(within);
  CHECK(identical(row_by_row(clipped, new_rows), Xc));
}

TEST_CASE("min_max_scaler keeps constant and near-constant columns finite, as _handle_zeros_in_scale",
          "[preprocessing]") {
  const auto& ref = reference()["min_max_scaler_constant_columns"];
  const mp::matrix X = to_matrix_nan(ref["X"]);
  const auto f = mp::min_max_scaler{.feature_range = {-1.0, 1.0}}.fit(X);
  const auto& r = ref["result"];
  CHECK(identical(f.data_min(), to_vector_nan(r["data_min_"])));
  CHECK(identical(f.data_range(), to_vector_nan(r["data_range_"])));
  CHECK(identical(f.scale(), to_vector_nan(r["scale_"])));
  CHECK(identical(f.min(), to_vector_nan(r["min_"])));
  CHECK(identical(f.transform(X), to_matrix_nan(r["transform_first_rows"])));
  CHECK(identical(f.transform(to_matrix_nan({{6.0, 2.0, 0.5, 10.0}, {4.0, 0.0, 0.0, -10.0}})),
                  to_matrix_nan(r["transform_new_rows"])));
  // Column 0 is constant and column 1 spans 4 eps (< 10 eps): both keep scale (hi - lo) = 2 and map onto lo.
  CHECK(f.scale()(0) == 2.0);
  CHECK(f.scale()(1) == 2.0);
  CHECK(f.transform(X).col(0).isConstant(-1.0));
  CHECK(std::isnan(f.transform(X)(1, 3)));  // NaN passes through
}

TEST_CASE("min_max_scaler output spans feature_range on its training data, row by row too, and inverts",
          "[preprocessing]") {
  const mp::matrix X = with_missing("diabetes");
  for (const auto& range : {std::pair{0.0, 1.0}, std::pair{-3.0, 2.5}, std::pair{-10.0, -9.5}}) {
    CAPTURE(range.first, range.second);
    const auto f = mp::min_max_scaler{.feature_range = range}.fit(X);
    const mp::matrix Xt = f.transform(X);
    const double width = range.second - range.first;
    // An ulp of the largest value around: the outputs, and the inputs of the two roundings in x * scale + min.
    const double ulp = std::numeric_limits<double>::epsilon() *
                       std::max({1.0, std::abs(range.first), std::abs(range.second)});
    for (mp::index j = 0; j < X.cols(); ++j) {
      const auto missing = Xt.col(j).array().isNaN();
      const double lo = missing.select(inf, Xt.col(j).array()).minCoeff();
      const double hi = missing.select(-inf, Xt.col(j).array()).maxCoeff();
      // Two roundings, so the extremes land within a few ulps of the ends (measured: under 2), not always on them.
      CHECK(std::abs(lo - range.first) <= 8 * ulp);
      CHECK(std::abs(hi - range.second) <= 8 * ulp);
      CHECK((missing == X.col(j).array().isNaN()).all());
    }
    CHECK(identical(row_by_row(f, X), Xt));
    // ((x * scale + min) - min) / scale: a few ulps of the scaled values, which are width / data_range times the
    // original units; measured in units of the column's data_range that is a few ulps / width (measured: under 1).
    const mp::matrix back = f.inverse_transform(Xt);
    double worst = 0.0;
    for (mp::index j = 0; j < X.cols(); ++j)
      for (mp::index i = 0; i < X.rows(); ++i)
        if (!std::isnan(X(i, j))) worst = std::max(worst, std::abs(back(i, j) - X(i, j)) / f.data_range()(j));
    CHECK(worst <= 4 * ulp / width);
    CHECK((back.array().isNaN() == X.array().isNaN()).all());
  }
}

TEST_CASE("min_max_scaler saves everything it needs to transform the same way", "[preprocessing]") {
  const mp::matrix X = with_missing("iris");
  const auto f = mp::min_max_scaler{.feature_range = {-2.0, 3.0}, .clip = true}.fit(X);
  const auto loaded = memory_archive::round_trip(f);
  CHECK(loaded.spec().feature_range == std::pair{-2.0, 3.0});
  CHECK(loaded.spec().clip);
  CHECK(loaded.n_samples_seen() == 150);
  CHECK(identical(loaded.data_range(), f.data_range()));
  const mp::matrix wide = 3.0 * X;
  CHECK(identical(loaded.transform(wide), f.transform(wide)));
  CHECK(identical(loaded.inverse_transform(X), f.inverse_transform(X)));
}

TEST_CASE("min_max_scaler rejects bad ranges, infinities, empty columns and mis-shaped input with precise messages",
          "[preprocessing]") {
  mp::matrix X(3, 2);
  X << 1, 2,  //
      not_a_number, 4,  //
      3, 8;
  const auto fit_with = [&](std::pair<double, double> range) { mp::min_max_scaler{.feature_range = range}.fit(X); };
  CHECK(error_message<mp::invalid_parameter>([&] { fit_with({1.0, 1.0}); }) ==
        "min_max_scaler: feature_range = [1, 1] is out of range; expected feature_range[0] < feature_range[1]");
  CHECK(error_message<mp::invalid_parameter>([&] { fit_with({2.0, -1.5}); }) ==
        "min_max_scaler: feature_range = [2, -1.5] is out of range; expected feature_range[0] < feature_range[1]");
  CHECK(error_message<mp::invalid_parameter>([&] { fit_with({0.0, inf}); }) ==
        "min_max_scaler: feature_range = [0, inf] is not finite; expected two finite numbers with feature_range[0] "
        "< feature_range[1]");
  CHECK(error_message<mp::invalid_parameter>([&] { fit_with({not_a_number, 1.0}); }) ==
        "min_max_scaler: feature_range = [nan, 1] is not finite; expected two finite numbers with feature_range[0] "
        "< feature_range[1]");
  CHECK(error_message<mp::invalid_parameter>([&] { fit_with({-1e308, 1e308}); }) ==
        "min_max_scaler: feature_range = [-1e+308, 1e+308] is too wide; expected feature_range[1] - "
        "feature_range[0] to be a finite number");
  CHECK(error_message<mp::invalid_input>([&] { mp::min_max_scaler{}.fit(mp::matrix(2, 0)); }) ==
        "min_max_scaler: X is empty (2 rows, 0 columns); expected at least one row and one column");
  mp::matrix missing_column = X;
  missing_column.col(1).setConstant(not_a_number);
  CHECK(error_message<mp::invalid_input>([&] { mp::min_max_scaler{}.fit(missing_column); }) ==
        "min_max_scaler: X column 1 is all nan (missing); expected at least one observed value in every column "
        "(drop the column or impute it first)");
  mp::matrix infinite = X;
  infinite(2, 0) = -inf;
  CHECK(error_message<mp::invalid_input>([&] { mp::min_max_scaler{}.fit(infinite); }) ==
        "min_max_scaler: X has -inf at row 2, column 0; expected finite values, or nan for a missing value");
  mp::matrix tiny(2, 1);
  tiny << 0.0, std::ldexp(1.0, -30);  // a range of 2^-30: scale 1e300 * 2^30 overflows
  CHECK(error_message<mp::invalid_input>([&] {
          mp::min_max_scaler{.feature_range = {0.0, 1e300}}.fit(tiny);
        }) == "min_max_scaler: X column 0 spans [0, 9.313225746154785e-10], which cannot be mapped onto "
              "feature_range = [0, 1e+300] without overflow; expected a narrower feature_range or rescaled data");

  const auto f = mp::min_max_scaler{}.fit(X);
  CHECK(error_message<mp::invalid_input>([&] { f.transform(infinite); }) ==
        "min_max_scaler: X has -inf at row 2, column 0; expected finite values, or nan for a missing value");
  CHECK(error_message<mp::invalid_input>([&] { f.inverse_transform(infinite); }) ==
        "min_max_scaler: X has -inf at row 2, column 0; expected finite values, or nan for a missing value");
  CHECK(error_message<mp::invalid_input>([&] { f.transform(mp::matrix::Ones(2, 3)); }) ==
        "min_max_scaler: X has 3 columns but this step was fitted on 2; expected 2 columns");
  CHECK(error_message<mp::invalid_input>([&] { f.inverse_transform(mp::matrix::Ones(2, 1)); }) ==
        "min_max_scaler: X has 1 columns but this step was fitted on 2; expected 2 columns");
  std::vector<double> out(2);
  const std::vector<double> long_row{1.0, 2.0, 3.0};
  CHECK(error_message<mp::invalid_input>([&] { f.transform_one(long_row, out); }) ==
        "min_max_scaler: the row has 3 values but this step was fitted on 2 features; expected 2 values");
  const std::vector<double> infinite_row{inf, not_a_number};
  CHECK(error_message<mp::invalid_input>([&] { f.transform_one(infinite_row, out); }) ==
        "min_max_scaler: the row has inf at column 0; expected finite values, or nan for a missing value");
}

// ---- in a pipeline ----------------------------------------------------------------------------------------------

TEST_CASE("impute | min_max | ridge matches scikit-learn's pipeline on diabetes with missing values",
          "[preprocessing][pipeline]") {
  const auto& d = mp::test::load("diabetes.csv");
  const mp::matrix X = with_missing("diabetes");
  const auto& refs = reference()["imputer_min_max_ridge_diabetes"];
  auto pipe = mp::step<"impute">(mp::simple_imputer{}) | mp::step<"scale">(mp::min_max_scaler{}) |
              mp::step<"model">(mp::ridge{});

  const auto check_against = [&](const nlohmann::json& ref) {
    const auto f = pipe.fit(X, d.y);
    // The imputed and scaled inputs agree to the bit; ridge's closed form rounds differently from scikit-learn's
    // Cholesky solve (measured: 4e-14 relative on the coefficients, 2e-15 on predictions), and the normal
    // equations square the condition number, so the bounds leave a few hundredfold of room.
    CHECK(max_relative_error(f.get<"model">().coef(), to_vector(ref["coef_"])) < 1e-11);
    CHECK(f.get<"model">().intercept() == Approx(ref["intercept_"].get<double>()).epsilon(1e-12));
    CHECK(max_relative_error(f.predict(X.topRows(5)), to_vector(ref["predict_first5"])) < 1e-12);
    const mp::vector residual = f.predict(X) - d.y;
    const double r2 = 1.0 - residual.squaredNorm() / (d.y.array() - d.y.mean()).square().sum();
    CHECK(r2 == Approx(ref["train_r2"].get<double>()).epsilon(1e-10));

    // One row with a missing value, without allocation: the same prediction as the batch path and scikit-learn.
    const auto i = ref["row_with_nan"].get<mp::index>();
    REQUIRE(X.row(i).array().isNaN().any());
    std::vector<double> row(static_cast<std::size_t>(X.cols()));
    for (mp::index j = 0; j < X.cols(); ++j) row[static_cast<std::size_t>(j)] = X(i, j);
    const double one = f.predict_one(row);
    // predict uses a matrix-vector product, predict_one a dot product: the same sum in a different order.
    CHECK(one == Approx(f.predict(X.row(i))(0)).epsilon(1e-13));
    CHECK(one == Approx(ref["predict_row_with_nan"].get<double>()).epsilon(1e-12));
    return f;
  };

  SECTION("strategy mean (the default)") {
    const auto f = check_against(refs["mean"]);
    CHECK(identical(f.get<"impute">().statistics(), mp::simple_imputer{}.fit(X).statistics()));
  }
  SECTION("set_param(\"impute.strategy\", \"median\")") {
    pipe.set_param("impute.strategy", "median");
    CHECK(pipe.get_param("impute.strategy") == mp::param_value(std::string("median")));
    CHECK(pipe.get<"impute.strategy">() == mp::imputation::median);
    const auto f = check_against(refs["median"]);
    CHECK(f.get<"impute">().spec().strategy == mp::imputation::median);
  }
}

TEST_CASE("impute | min_max | ridge reports bad parameters and bad rows with the step's name",
          "[preprocessing][pipeline]") {
  const auto& d = mp::test::load("diabetes.csv");
  const mp::matrix X = with_missing("diabetes");
  auto pipe = mp::step<"impute">(mp::simple_imputer{}) | mp::step<"scale">(mp::min_max_scaler{}) |
              mp::step<"model">(mp::ridge{});
  CHECK(error_message<mp::invalid_parameter>([&] { pipe.set_param("impute.strategy", "medium"); }) ==
        "parameter 'impute.strategy' of simple_imputer expects one of \"mean\", \"median\", \"most_frequent\", "
        "\"constant\", got \"medium\" (a string)");
  CHECK(error_message<mp::invalid_parameter>([&] { pipe.set_param("scale.feature_range", 3.0); }) ==
        "parameter 'scale.feature_range' of min_max_scaler expects a list of two numbers, got 3 (a real number)");
  pipe.set_param("scale.feature_range", std::vector<double>{1.0, -1.0});
  CHECK(error_message<mp::invalid_parameter>([&] { pipe.fit(X, d.y); }) ==
        "step 'scale' (min_max_scaler): feature_range = [1, -1] is out of range; expected feature_range[0] < "
        "feature_range[1]");
  pipe.set<"scale.feature_range">(std::pair{-1.0, 1.0});
  mp::matrix infinite = X;
  infinite(3, 2) = inf;
  CHECK(error_message<mp::invalid_input>([&] { pipe.fit(infinite, d.y); }) ==
        "step 'impute' (simple_imputer): X has inf at row 3, column 2; expected finite values, or nan for a "
        "missing value");

  const auto f = pipe.fit(X, d.y);
  std::vector<double> row(10, not_a_number);
  CHECK(std::isfinite(f.predict_one(row)));  // every value missing: the statistics alone
  row[4] = -inf;
  CHECK(error_message<mp::invalid_input>([&] { f.predict_one(row); }) ==
        "step 'impute' (simple_imputer): the row has -inf at column 4; expected finite values, or nan for a "
        "missing value");
  CHECK(error_message<mp::invalid_input>([&] { f.predict(X.leftCols(9)); }) ==
        "step 'impute' (simple_imputer): X has 9 columns but this step was fitted on 10; expected 10 columns");
}

TEST_CASE("min_max_scaler on huge values: the rescaled data's exact mapping, or an error naming the column",
          "[preprocessing][overflow]") {
  // Scaling by a power of two is exact: diabetes (with missing values) times 2^1015 reaches 4e304 and maps exactly
  // as diabetes does.
  const mp::matrix X = with_missing("diabetes");
  const double big = std::ldexp(1.0, 1015);
  const auto f = mp::min_max_scaler{.feature_range = {-1.0, 1.0}}.fit(X);
  const auto g = mp::min_max_scaler{.feature_range = {-1.0, 1.0}}.fit(X * big);
  CHECK(g.data_range() == f.data_range() * big);
  CHECK(g.scale() == f.scale() / big);
  CHECK(g.min() == f.min());
  const mp::matrix Xt = g.transform(X * big);
  const mp::matrix expected = f.transform(X);
  for (mp::index i = 0; i < X.size(); ++i) {
    CAPTURE(i);
    CHECK((Xt.data()[i] == expected.data()[i] || (std::isnan(Xt.data()[i]) && std::isnan(expected.data()[i]))));
  }

  // A range beyond the largest double: an error, not scale 0 (which once mapped every value onto feature_range[0]).
  mp::matrix Y(3, 2);
  Y << 1, 1e308,  //
      2, -1e308,  //
      3, 0;
  CHECK(error_message<mp::invalid_input>([&] { mp::min_max_scaler{}.fit(Y); }) ==
        "min_max_scaler: X column 1 has values too large in magnitude (up to 1e+308): its range (max - min, from "
        "-1e+308 to 1e+308) is beyond the largest double; expected max - min below 1.7e308 (rescale the column "
        "first)");
}

}  // namespace test_imputer_and_minmax_tests
