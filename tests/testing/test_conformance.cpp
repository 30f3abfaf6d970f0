// The conformance suite (mlpipe/testing/check_stage.hpp) on every stage and composite of the library, and on a toy
// stage broken in one way per rule, which proves that each rule can fail: its report names exactly that rule.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

#include "mlpipe/core/column_transformer.hpp"
#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/core/transform_fn.hpp"
#include "mlpipe/core/union.hpp"
#include "mlpipe/feature_selection/select_k_best.hpp"
#include "mlpipe/feature_selection/variance_threshold.hpp"
#include "mlpipe/models/elastic_net.hpp"
#include "mlpipe/models/forest.hpp"
#include "mlpipe/models/logistic_regression.hpp"
#include "mlpipe/models/naive_bayes.hpp"
#include "mlpipe/models/neighbors.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/models/tree.hpp"
#include "mlpipe/preprocessing/min_max_scaler.hpp"
#include "mlpipe/preprocessing/simple_imputer.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "mlpipe/testing/check_stage.hpp"
#include "mlpipe/tuning/grid_search.hpp"

#define MLPIPE_COUNTER_ONLY  // the counting operator new is defined in tests/counting_new.cpp
#include "counting_new.hpp"

// File-local names live here: the test files are compiled together in batches (a unity build).
namespace test_conformance_tests {

namespace mp = mlpipe;

namespace {

// 60 rows, 4 features; three classes 0, 1, 2 (first seen in the order 2, 0, 1) that the first two features separate,
// and a real-valued target.
struct data {
  mp::matrix X;
  mp::vector labels;
  mp::vector values;
};

const data& sample() {
  static const data d = [] {
    data out{mp::matrix(60, 4), mp::vector(60), mp::vector(60)};
    unsigned state = 12345u;
    const auto uniform = [&] {
      state = state * 1103515245u + 12345u;
      return static_cast<double>((state >> 8) % 10000u) / 5000.0 - 1.0;
    };
    for (mp::index i = 0; i < 60; ++i) {
      const double label = static_cast<double>((i + 2) % 3);
      out.labels(i) = label;
      for (mp::index j = 0; j < 4; ++j) out.X(i, j) = uniform() + (j < 2 ? 0.8 * label : 0.0);
      out.values(i) = 1.5 * out.X(i, 0) - 0.5 * out.X(i, 2) + 0.1 * uniform();
    }
    return out;
  }();
  return d;
}

mp::testing::check_options counted() {
#if MLPIPE_COUNT_ALLOCATIONS
  return {.count_allocations = [] { return mp::test::allocations; }};
#else
  return {};  // AddressSanitizer builds keep their own operator new
#endif
}

// Checks a library stage: every rule holds (the report is printed when one does not).
template <class Spec>
void expect_conformant(const Spec& spec, const mp::vector& y) {
  const mp::testing::report report = mp::testing::check_stage(spec, sample().X, y, counted());
  INFO(report.to_string());
  CHECK(report.ok());
#if MLPIPE_COUNT_ALLOCATIONS
  if (const auto* r = report.find("row_calls_do_not_allocate"); r && r->status == mp::testing::rule_status::skipped)
    CHECK(r->message != "no allocation counter (check_options::count_allocations)");
#endif
}

}  // namespace

TEST_CASE("every preprocessing stage keeps the stage contract", "[testing][conformance]") {
  expect_conformant(mp::standard_scaler{}, sample().values);
  expect_conformant(mp::min_max_scaler{}, sample().values);
  expect_conformant(mp::simple_imputer{}, sample().values);
  expect_conformant(mp::variance_threshold{}, sample().values);
}

TEST_CASE("select_k_best keeps the stage contract with f_classif and f_regression", "[testing][conformance]") {
  expect_conformant(mp::select_k_best{.k = 2, .score = mp::f_classif}, sample().labels);
  expect_conformant(mp::select_k_best{.k = 2, .score = mp::f_regression}, sample().values);
}

TEST_CASE("ridge and logistic_regression keep the stage contract", "[testing][conformance]") {
  expect_conformant(mp::ridge{}, sample().values);
  expect_conformant(mp::logistic_regression{}, sample().labels);
}

namespace {
struct square {
  mp::matrix operator()(const mp::matrix_view& X) const { return X.array().square().matrix(); }
};
}  // namespace

TEST_CASE("transform_fn keeps the stage contract", "[testing][conformance]") {
  expect_conformant(mp::transform_fn(square{}), sample().values);
}

TEST_CASE("pipelines, unions and column routing keep the stage contract", "[testing][conformance]") {
  expect_conformant(mp::step<"scale">(mp::standard_scaler{}) | mp::step<"select">(mp::select_k_best{.k = 2}) |
                        mp::step<"model">(mp::logistic_regression{}),
                    sample().labels);
  expect_conformant(mp::union_of(mp::standard_scaler{}, mp::min_max_scaler{}), sample().values);
  expect_conformant(mp::columns({0, 2}, mp::ridge{}), sample().values);
  expect_conformant(mp::column_transformer(mp::remainder::passthrough,
                                           mp::step<"num">(mp::columns({0, 1}, mp::standard_scaler{})),
                                           mp::step<"mm">(mp::columns({2}, mp::min_max_scaler{}))),
                    sample().values);
}

TEST_CASE("a pipeline that imputes first accepts NaN; composites take allows_nan and allocates_per_row from steps",
          "[testing][conformance]") {
  const auto imputed = mp::step<"impute">(mp::simple_imputer{}) | mp::step<"model">(mp::logistic_regression{});
  static_assert(decltype(imputed)::allows_nan);
  const mp::testing::report report = mp::testing::check_stage(imputed, sample().X, sample().labels, counted());
  INFO(report.to_string());
  CHECK(report.ok());
  CHECK(report.find("fit_rejects_nan")->status == mp::testing::rule_status::skipped);
  CHECK(report.find("fit_rejects_nan")->message == "the stage declares allows_nan");
  expect_conformant(mp::step<"impute">(mp::simple_imputer{}) | mp::step<"scale">(mp::standard_scaler{}) |
                        mp::step<"model">(mp::ridge{}),
                    sample().values);

  // A scaler first rejects NaN, and check_stage checks that it does.
  const auto scaled = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"impute">(mp::simple_imputer{});
  static_assert(!decltype(scaled)::allows_nan);
  CHECK(mp::testing::check_stage(scaled, sample().X, sample().values).find("fit_rejects_nan")->status ==
        mp::testing::rule_status::passed);

  // A row of NaN reaches every branch of a union or a column_transformer: accepted when every branch accepts it.
  static_assert(decltype(mp::union_of(mp::simple_imputer{}, mp::min_max_scaler{}))::allows_nan);
  static_assert(!decltype(mp::union_of(mp::simple_imputer{}, mp::standard_scaler{}))::allows_nan);
  static_assert(decltype(mp::column_transformer(
      mp::step<"a">(mp::columns({0}, mp::simple_imputer{})),
      mp::step<"b">(mp::columns({1}, mp::variance_threshold{}))))::allows_nan);
  static_assert(!decltype(mp::column_transformer(mp::step<"a">(mp::columns({0}, mp::simple_imputer{})),
                                                 mp::step<"b">(mp::columns({1}, mp::standard_scaler{}))))::allows_nan);
  static_assert(decltype(mp::columns({0}, mp::simple_imputer{}))::allows_nan);
  expect_conformant(mp::union_of(mp::simple_imputer{}, mp::min_max_scaler{}), sample().values);
  expect_conformant(mp::column_transformer(mp::step<"a">(mp::columns({0, 1}, mp::simple_imputer{})),
                                           mp::step<"b">(mp::columns({2, 3}, mp::variance_threshold{}))),
                    sample().values);

  // A step whose row calls allocate makes the whole composite's row calls allocate.
  static_assert(
      decltype(mp::step<"f">(mp::transform_fn(square{})) | mp::step<"model">(mp::ridge{}))::allocates_per_row);
  static_assert(
      !decltype(mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{}))::allocates_per_row);
  static_assert(decltype(mp::union_of(mp::standard_scaler{}, mp::transform_fn(square{})))::allocates_per_row);
  expect_conformant(mp::step<"f">(mp::transform_fn(square{})) | mp::step<"model">(mp::ridge{}), sample().values);
}

TEST_CASE("grid_search keeps the stage contract", "[testing][conformance]") {
  expect_conformant(mp::grid_search{mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{}),
                                    mp::grid{{"model.alpha", {0.1, 1.0}}}, {.cv = mp::kfold{.n_splits = 3}}},
                    sample().values);
}

// ---- a toy stage broken in one way per rule -----------------------------------------------------------------------

namespace {

// What is wrong with a toy stage: one defect per conformance rule.
enum class defect {
  none,
  fit_throws,
  lossy_param,
  no_validation,
  mutates_spec,
  nondeterministic,
  accepts_nan,
  accepts_inf,
  accepts_empty,
  accepts_zero_columns,
  ignores_y_length,
  ignores_column_count,
  predict_accepts_nan,
  row_mismatch,
  row_allocates,
  forgets_state,
  trusts_state,
  thread_dependent,
  unsorted_classes,
  unnormalized_proba,
  assumes_labels,
  accepts_one_class,
  accepts_continuous,
  wrong_width,
  no_invariants,
};

// A parameter type whose reflection loses half its value: what params_round_trip catches.
struct halved {
  double value = 1.0;
};

}  // namespace

}  // namespace test_conformance_tests

template <>
struct mlpipe::param_traits<test_conformance_tests::halved> {
  using halved = test_conformance_tests::halved;
  using param_value = mlpipe::param_value;
  static constexpr std::string_view expected = "a real number";
  static std::optional<halved> from_value(const param_value& v) {
    if (const auto* d = std::get_if<double>(&v)) return halved{*d / 2.0};
    return std::nullopt;
  }
  static param_value to_value(const halved& h) { return h.value; }
};

namespace test_conformance_tests {

namespace {

// toy_centroids -- a nearest-centroid classifier: transform gives the squared distances to the class centroids,
// predict_proba their softmax at a temperature.
template <defect Type = defect::none>
struct toy_centroids {
  static constexpr std::string_view kind = "toy_centroids";

  double temperature = 1.0;  // softmax temperature; > 0
  int max_classes = 50;      // at most this many classes; >= 2
  std::conditional_t<Type == defect::lossy_param, halved, double> extra{};  // unused
  mutable int fit_count = 0;  // counts fits with the defect mutates_spec
  int flaw = 0;               // the defect, when it is not one of the type (a parameter, so that it is saved)

  bool has(defect d) const { return Type == d || flaw == static_cast<int>(d); }

  static constexpr auto params = std::tuple{
      mp::param<"temperature">(&toy_centroids::temperature, mp::greater_than(0.0)),
      mp::param<"max_classes">(&toy_centroids::max_classes, mp::at_least(2.0)),
      mp::param<"extra">(&toy_centroids::extra), mp::param<"fit_count">(&toy_centroids::fit_count),
      mp::param<"flaw">(&toy_centroids::flaw)};

  class fitted;
  fitted fit(const mp::matrix_view& X, const mp::vector_view& y) const;
};

template <defect Type>
class toy_centroids<Type>::fitted {
 public:
  static constexpr std::string_view kind = toy_centroids::kind;
  static constexpr int schema_version = 1;

  fitted() = default;
  fitted(toy_centroids spec, mp::vector classes, mp::matrix centroids)
      : spec_(spec), classes_(std::move(classes)), centroids_(std::move(centroids)) {}

  mp::index n_features_in() const { return centroids_.cols(); }
  mp::index n_features_out() const { return classes_.size() + (Type == defect::wrong_width ? 1 : 0); }
  const mp::vector& classes() const { return classes_; }

  mp::matrix transform(const mp::matrix_view& X) const {
    check_input(X);
    mp::matrix out(X.rows(), classes_.size());
    for (mp::index i = 0; i < X.rows(); ++i)
      for (mp::index k = 0; k < classes_.size(); ++k) out(i, k) = distance(X.row(i).transpose(), k);
    if (spec_.has(defect::thread_dependent) && std::this_thread::get_id() != owner_) out.array() += 1.0;
    return out;
  }

  mp::vector predict(const mp::matrix_view& X) const {
    const mp::matrix d = transform(X);
    mp::vector out(X.rows());
    for (mp::index i = 0; i < X.rows(); ++i) {
      mp::index best = 0;
      d.row(i).minCoeff(&best);
      out(i) = classes_(best);
    }
    return out;
  }

  mp::matrix predict_proba(const mp::matrix_view& X) const {
    mp::matrix p = transform(X);
    for (mp::index i = 0; i < p.rows(); ++i) {
      const mp::vector e = ((-p.row(i).transpose() / spec_.temperature).array() -
                            (-p.row(i) / spec_.temperature).maxCoeff()).exp().matrix();
      if (spec_.has(defect::unnormalized_proba)) p.row(i) = e.transpose();
      else p.row(i) = (e / e.sum()).transpose();
    }
    return p;
  }

  void transform_one(std::span<const double> in, std::span<double> out) const
    requires(Type != defect::wrong_width)
  {
    check_row(in);
    for (mp::index k = 0; k < classes_.size(); ++k) out[static_cast<std::size_t>(k)] = distance(in, k);
  }

  double predict_one(std::span<const double> in) const {
    check_row(in);
    if (spec_.has(defect::row_allocates)) {
      std::vector<double> d(static_cast<std::size_t>(classes_.size()));
      for (mp::index k = 0; k < classes_.size(); ++k) d[static_cast<std::size_t>(k)] = distance(in, k);
      return classes_(static_cast<mp::index>(std::min_element(d.begin(), d.end()) - d.begin()));
    }
    mp::index best = 0;
    for (mp::index k = 1; k < classes_.size(); ++k)
      if (distance(in, k) < distance(in, best)) best = k;
    return classes_(best);
  }

  void predict_proba_one(std::span<const double> in, std::span<double> out) const {
    check_row(in);
    double top = -std::numeric_limits<double>::infinity();
    for (mp::index k = 0; k < classes_.size(); ++k) top = std::max(top, -distance(in, k) / spec_.temperature);
    double sum = 0.0;
    for (mp::index k = 0; k < classes_.size(); ++k) {
      out[static_cast<std::size_t>(k)] = std::exp(-distance(in, k) / spec_.temperature - top);
      sum += out[static_cast<std::size_t>(k)];
    }
    if (spec_.has(defect::unnormalized_proba)) return;
    for (double& p : out) p = p / sum * (spec_.has(defect::row_mismatch) ? 1.0 + 1e-9 : 1.0);
  }

  void check_invariants() const
    requires(Type != defect::no_invariants)
  {
    validate();
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar.params(spec_);
    ar("classes", classes_);
    if (!spec_.has(defect::forgets_state)) ar("centroids", centroids_);
    if constexpr (std::is_same_v<Archive, mp::detail::json_reader>) validate();  // a loaded state is checked
  }

 private:
  template <class Row>
  double distance(const Row& x, mp::index k) const {
    double d = 0.0;
    const auto n = std::min<mp::index>(static_cast<mp::index>(x.size()), centroids_.cols());
    for (mp::index j = 0; j < n; ++j) d += (x[j] - centroids_(k, j)) * (x[j] - centroids_(k, j));
    return d;
  }

  void check_input(const mp::matrix_view& X) const {
    if (!spec_.has(defect::ignores_column_count) && X.cols() != n_features_in())
      throw mp::invalid_input("X has " + std::to_string(X.cols()) + " columns", kind);
    if (X.rows() == 0) throw mp::invalid_input("X has no rows", kind);
    if (spec_.has(defect::predict_accepts_nan)) mp::detail::check_no_infinity(kind, X);
    else mp::detail::check_finite(kind, X);
  }

  void check_row(std::span<const double> in) const {
    if (!spec_.has(defect::ignores_column_count)) mp::detail::check_row(kind, in, n_features_in());
    else mp::detail::check_row(kind, in, static_cast<mp::index>(in.size()));  // the values only
  }

  void validate() const {
    if (!spec_.has(defect::trusts_state)) {
      try {
        mp::validate_params(spec_);
      } catch (const mp::error& e) {
        throw mp::load_error(e.detail(), kind);
      }
      if (classes_.size() != centroids_.rows() || centroids_.cols() < 1 || classes_.size() < 2 ||
          !centroids_.allFinite() || !classes_.allFinite())
        throw mp::load_error("the state's shapes or values are invalid", kind);
      for (mp::index k = 1; k < classes_.size(); ++k)
        if (!spec_.has(defect::unsorted_classes) && !(classes_(k - 1) < classes_(k)))
          throw mp::load_error("classes are not ascending", kind);
    }
  }

  toy_centroids spec_;
  mp::vector classes_;
  mp::matrix centroids_;
  std::thread::id owner_ = std::this_thread::get_id();
};

template <defect Type>
typename toy_centroids<Type>::fitted toy_centroids<Type>::fit(const mp::matrix_view& X,
                                                             const mp::vector_view& y) const {
  if (has(defect::fit_throws)) throw mp::invalid_input("this toy never fits", kind);
  if (!has(defect::no_validation)) mp::validate_params(*this);
  if (has(defect::mutates_spec)) ++fit_count;
  if (X.rows() == 0 && !has(defect::accepts_empty)) throw mp::invalid_input("X has no rows", kind);
  if (X.cols() == 0 && !has(defect::accepts_zero_columns)) throw mp::invalid_input("X has no columns", kind);
  if (!has(defect::ignores_y_length)) mp::detail::check_target_rows(kind, X, y);
  if (has(defect::accepts_nan)) mp::detail::check_no_infinity(kind, X);
  else if (has(defect::accepts_inf)) {
    if (X.array().isNaN().any()) throw mp::invalid_input("X has nan", kind);
  } else {
    mp::detail::check_finite(kind, X);
  }
  const mp::index n = std::min<mp::index>(X.rows(), y.size());
  std::vector<double> seen;  // labels in order of first appearance
  for (mp::index i = 0; i < n; ++i) {
    if (!has(defect::accepts_continuous) && y(i) != std::floor(y(i)))
      throw mp::invalid_input("y has " + mp::format_double(y(i)) + "; expected class labels", kind);
    if (std::find(seen.begin(), seen.end(), y(i)) == seen.end()) seen.push_back(y(i));
  }
  std::vector<double> sorted = seen;
  std::sort(sorted.begin(), sorted.end());
  if (sorted.size() < 2 && !has(defect::accepts_one_class) && n > 0)
    throw mp::invalid_input("y has a single class", kind);
  const std::vector<double>& order = has(defect::unsorted_classes) ? seen : sorted;
  const auto k = static_cast<mp::index>(order.size());
  mp::vector classes(k);
  for (mp::index c = 0; c < k; ++c)
    classes(c) = has(defect::assumes_labels) ? static_cast<double>(c) : order[static_cast<std::size_t>(c)];
  mp::matrix centroids = mp::matrix::Zero(k, X.cols());
  mp::vector counts = mp::vector::Zero(k);
  for (mp::index i = 0; i < n; ++i) {
    const auto c = static_cast<mp::index>(std::find(order.begin(), order.end(), y(i)) - order.begin());
    if (X.cols() > 0) centroids.row(c) += X.row(i);  // a row of no columns has no data: Eigen's row() is UB there
    counts(c) += 1.0;
  }
  if (X.cols() > 0)
    for (mp::index c = 0; c < k; ++c) centroids.row(c) /= counts(c);
  if (has(defect::nondeterministic)) {
    static int fits = 0;  // every second fit moves a centroid by one unit in the last place
    if (++fits % 2 == 0) centroids(0, 0) = std::nextafter(centroids(0, 0), 1e300);
  }
  toy_centroids saved = *this;
  saved.fit_count = 0;
  if constexpr (Type == defect::lossy_param) saved.extra = halved{0.0};
  return fitted(saved, std::move(classes), std::move(centroids));
}

// The rules check_stage reports broken for the toy with defect d: most defects are a parameter of toy_centroids<>,
// those that change its type (a parameter's type, a missing member) are its template argument.
template <defect Type = defect::none>
std::vector<std::string> broken_rules(defect d = Type) {
  toy_centroids<Type> stage;
  stage.flaw = static_cast<int>(d);
  const auto report = mp::testing::check_stage(stage, sample().X, sample().labels, counted());
  INFO(report.to_string());
  return report.broken();
}

using names = std::vector<std::string>;

}  // namespace

TEST_CASE("a stage that keeps every rule passes check_stage, with every rule run", "[testing][conformance]") {
  const auto report = mp::testing::check_stage(toy_centroids<>{}, sample().X, sample().labels, counted());
  INFO(report.to_string());
  CHECK(report.ok());
  CHECK(report.rules.size() == 24);
#if MLPIPE_COUNT_ALLOCATIONS
  CHECK(report.skipped().empty());
#endif
  CHECK_NOTHROW(report.throw_if_broken());
}

TEST_CASE("each conformance rule is reported broken, alone, by a stage that breaks it", "[testing][conformance]") {
  CHECK(broken_rules(defect::fit_throws) == names{"fit_succeeds"});
  CHECK(broken_rules<defect::lossy_param>() == names{"params_round_trip"});
  CHECK(broken_rules(defect::no_validation) == names{"params_out_of_range_rejected"});
  CHECK(broken_rules(defect::mutates_spec) == names{"fit_leaves_spec_untouched"});
  CHECK(broken_rules(defect::nondeterministic) == names{"fit_is_deterministic"});
  CHECK(broken_rules(defect::accepts_nan) == names{"fit_rejects_nan"});
  CHECK(broken_rules(defect::accepts_inf) == names{"fit_rejects_infinity"});
  CHECK(broken_rules(defect::accepts_empty) == names{"fit_rejects_empty"});
  CHECK(broken_rules(defect::accepts_zero_columns) == names{"fit_rejects_zero_columns"});
  CHECK(broken_rules(defect::ignores_y_length) == names{"fit_rejects_wrong_length_y"});
  CHECK(broken_rules(defect::ignores_column_count) == names{"predict_rejects_wrong_column_count"});
  CHECK(broken_rules(defect::predict_accepts_nan) == names{"predict_rejects_bad_input"});
  CHECK(broken_rules(defect::row_mismatch) == names{"row_calls_match_batch"});
#if MLPIPE_COUNT_ALLOCATIONS
  CHECK(broken_rules(defect::row_allocates) == names{"row_calls_do_not_allocate"});
#endif
  CHECK(broken_rules(defect::forgets_state) == names{"save_load_round_trip"});
  CHECK(broken_rules(defect::trusts_state) == names{"corrupt_state_fails_cleanly"});
  CHECK(broken_rules(defect::thread_dependent) == names{"concurrent_predictions_agree"});
  CHECK(broken_rules(defect::unsorted_classes) == names{"classes_sorted"});
  CHECK(broken_rules(defect::unnormalized_proba) == names{"probabilities_valid"});
  CHECK(broken_rules(defect::assumes_labels) == names{"arbitrary_labels"});
  CHECK(broken_rules(defect::accepts_one_class) == names{"single_class_rejected"});
  CHECK(broken_rules(defect::accepts_continuous) == names{"continuous_target_rejected"});
  CHECK(broken_rules<defect::wrong_width>() == names{"n_features_consistent"});
  CHECK(broken_rules<defect::no_invariants>() == names{"fitted_type_contract"});
}

TEST_CASE("check_stage's report names the broken rule and why, and throws in its throwing form",
          "[testing][conformance]") {
  const toy_centroids<> stage{.flaw = static_cast<int>(defect::accepts_nan)};
  const auto report = mp::testing::check_stage(stage, sample().X, sample().labels);
  const auto* rule = report.find("fit_rejects_nan");
  REQUIRE(rule != nullptr);
  CHECK(rule->message == "fit with NaN in X gave no error; expected invalid_input");
  CHECK(report.find("row_calls_do_not_allocate")->status == mp::testing::rule_status::skipped);
  CHECK(report.find("row_calls_do_not_allocate")->message ==
        "no allocation counter (check_options::count_allocations)");
  try {
    mp::testing::require_conformance(stage, sample().X, sample().labels);
    FAIL("expected conformance_error");
  } catch (const mp::testing::conformance_error& e) {
    CHECK(std::string(e.what()) ==
          "toy_centroids: broken conformance rules:\n  fit_rejects_nan: fit with NaN in X gave no error; expected "
          "invalid_input");
  }
}

TEST_CASE("decision trees, random forests and extra trees keep the stage contract", "[testing][conformance]") {
  expect_conformant(mp::decision_tree_classifier{.max_depth = 4}, sample().labels);
  expect_conformant(mp::decision_tree_classifier{.max_features = mp::max_features::sqrt, .max_leaf_nodes = 6},
                    sample().labels);
  expect_conformant(mp::decision_tree_regressor{.min_samples_leaf = 2, .ccp_alpha = 0.001}, sample().values);
  expect_conformant(mp::random_forest_classifier{.n_estimators = 5, .oob_score = true}, sample().labels);
  expect_conformant(mp::random_forest_regressor{.n_estimators = 5, .max_samples = 0.5}, sample().values);
  expect_conformant(mp::extra_trees_classifier{.n_estimators = 5}, sample().labels);
  expect_conformant(mp::extra_trees_regressor{.n_estimators = 5, .n_jobs = 2}, sample().values);
}

TEST_CASE("lasso, elastic_net, penalized logistic_regression, naive Bayes and k-NN keep the stage contract",
          "[testing][conformance]") {
  expect_conformant(mp::lasso{.alpha = 0.01}, sample().values);
  expect_conformant(mp::elastic_net{.alpha = 0.01, .selection = mp::coordinate_selection::random}, sample().values);
  expect_conformant(mp::logistic_regression{.penalty = mp::penalty::l1}, sample().labels);
  expect_conformant(mp::logistic_regression{.penalty = mp::penalty::elasticnet, .l1_ratio = 0.3}, sample().labels);
  expect_conformant(mp::gaussian_nb{}, sample().labels);
  expect_conformant(mp::bernoulli_nb{}, sample().labels);
  const mp::matrix counts = (sample().X.array() + 2.0).round();  // multinomial_nb needs counts >= 0
  const auto report = mp::testing::check_stage(mp::multinomial_nb{}, counts, sample().labels, counted());
  INFO(report.to_string());
  CHECK(report.ok());
  expect_conformant(mp::k_neighbors_classifier{.weights = mp::neighbor_weights::distance}, sample().labels);
  expect_conformant(mp::k_neighbors_regressor{.algorithm = mp::neighbor_algorithm::kd_tree}, sample().values);
}

}  // namespace test_conformance_tests

#include "mlpipe/feature_selection/rfe.hpp"
#include "mlpipe/feature_selection/select_from_model.hpp"
#include "mlpipe/feature_selection/sequential.hpp"
#include "mlpipe/feature_selection/univariate_select.hpp"

namespace test_conformance_tests {

TEST_CASE("every feature selector keeps the stage contract", "[testing][conformance]") {
  const mp::logistic_regression lr{};
  expect_conformant(mp::select_k_best{.k = 2, .score = mp::mutual_info_classif{}}, sample().labels);
  expect_conformant(mp::select_percentile{.percentile = 50, .score = mp::f_regression}, sample().values);
  expect_conformant(mp::select_fpr{.alpha = 0.5}, sample().labels);
  expect_conformant(mp::select_fdr{.alpha = 0.5}, sample().labels);
  expect_conformant(mp::select_fwe{.alpha = 0.5}, sample().labels);
  expect_conformant(mp::generic_univariate_select{.mode = mp::selection_mode::k_best, .param = 2}, sample().labels);
  expect_conformant(mp::select_from_model<mp::logistic_regression>{.estimator = lr, .threshold = "median"},
                    sample().labels);
  expect_conformant(mp::select_from_model<mp::ridge>{.threshold = "1.5*mean"}, sample().values);
  expect_conformant(mp::rfe<mp::logistic_regression>{.estimator = lr, .n_features_to_select = 2}, sample().labels);
  expect_conformant(mp::rfecv<mp::ridge>{.cv = mp::kfold{.n_splits = 3}}, sample().values);
  expect_conformant(mp::sequential_feature_selector<mp::logistic_regression>{
                        .estimator = lr, .n_features_to_select = 2, .cv = mp::stratified_kfold{.n_splits = 3}},
                    sample().labels);
}

}  // namespace test_conformance_tests

#include "mlpipe/tuning/halving.hpp"
#include "mlpipe/tuning/random_search.hpp"
#include "mlpipe/tuning/tpe_search.hpp"

namespace test_conformance_tests {

TEST_CASE("random, halving, Hyperband, TPE and random-sampler searches keep the stage contract", "[testing][conformance]") {
  const auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{});
  const auto space = mp::space{{"model.alpha", mp::loguniform(0.01, 10.0)}};
  const auto cv = mp::kfold{.n_splits = 3};
  expect_conformant(mp::random_search{pipe, space, {.n_iter = 3, .cv = cv}}, sample().values);
  expect_conformant(mp::halving_grid_search{pipe, mp::grid{{"model.alpha", {0.1, 1.0, 10.0}}},
                                            {.factor = 2, .min_resources = 20, .cv = cv}},
                    sample().values);
  expect_conformant(mp::halving_random_search{pipe, space, {.n_candidates = 4, .factor = 2, .min_resources = 20,
                                                            .cv = cv}},
                    sample().values);
  expect_conformant(mp::hyperband{mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::logistic_regression{}),
                                  mp::space{{"model.C", mp::loguniform(0.01, 10.0)}},
                                  {.resource = "model.max_iter", .max_resource = 9, .factor = 3,
                                   .cv = mp::stratified_kfold{.n_splits = 3}}},
                    sample().labels);
  // tpe_search: sampler_search with tpe_sampler (past its 10 random startup trials, so TPE proposes too).
  expect_conformant(mp::tpe_search{pipe, space, {.n_trials = 12, .seed = 0, .cv = cv}}, sample().values);
  // sampler_search driven by random_sampler (random_sampler itself is an ask/tell sampler, not a stage).
  expect_conformant(mp::sampler_search{pipe, mp::random_sampler{space, {.seed = 0}}, {.n_trials = 4, .cv = cv}},
                    sample().values);
}

TEST_CASE("a search accepts NaN when its estimator does, and its row calls allocate when the estimator's do",
          "[testing][conformance]") {
  const auto imputed = mp::step<"impute">(mp::simple_imputer{}) | mp::step<"model">(mp::ridge{});
  const auto scaled = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{});
  const auto space = mp::space{{"model.alpha", mp::loguniform(0.01, 10.0)}};
  const auto cv = mp::kfold{.n_splits = 3};
  const auto search = mp::grid_search{imputed, mp::grid{{"model.alpha", {0.1, 1.0}}}, {.cv = cv}};
  static_assert(decltype(search)::allows_nan);
  static_assert(!decltype(mp::grid_search{scaled, mp::grid{{"model.alpha", {0.1, 1.0}}}})::allows_nan);
  static_assert(decltype(mp::random_search{imputed, space})::allows_nan);
  static_assert(decltype(mp::halving_grid_search{imputed, mp::grid{{"model.alpha", {0.1, 1.0}}}})::allows_nan);
  static_assert(decltype(mp::halving_random_search{imputed, space})::allows_nan);
  static_assert(decltype(mp::hyperband{imputed, space})::allows_nan);
  static_assert(decltype(mp::tpe_search{imputed, space})::allows_nan);
  static_assert(decltype(mp::sampler_search{imputed, mp::random_sampler{space}})::allows_nan);
  static_assert(!decltype(mp::tpe_search{scaled, space})::allows_nan);
  static_assert(
      decltype(mp::grid_search{mp::step<"f">(mp::transform_fn(square{})) | mp::step<"model">(mp::ridge{}),
                               mp::grid{{"model.alpha", {0.1, 1.0}}}})::allocates_per_row);
  static_assert(!decltype(mp::grid_search{scaled, mp::grid{{"model.alpha", {0.1, 1.0}}}})::allocates_per_row);

  // A search fits its imputing pipeline on rows with NaN (before, check_stage reported fit_rejects_nan and
  // predict_rejects_bad_input as broken for it), and a scaling one still has its NaN rules checked.
  const mp::testing::report report = mp::testing::check_stage(search, sample().X, sample().values, counted());
  INFO(report.to_string());
  CHECK(report.ok());
  CHECK(report.find("fit_rejects_nan")->status == mp::testing::rule_status::skipped);
  CHECK(report.find("predict_rejects_bad_input")->status == mp::testing::rule_status::passed);
  CHECK(mp::testing::check_stage(mp::tpe_search{scaled, space, {.n_trials = 3, .seed = 0, .cv = cv}}, sample().X,
                                 sample().values)
            .find("fit_rejects_nan")
            ->status == mp::testing::rule_status::passed);
  mp::matrix X = sample().X;
  X(3, 1) = std::numeric_limits<double>::quiet_NaN();
  const auto fitted = search.fit(X, sample().values);
  CHECK(fitted.predict(X).allFinite());
}

}  // namespace test_conformance_tests

#include "mlpipe/core/one_of.hpp"

namespace test_conformance_tests {

TEST_CASE("one_of keeps the stage contract with each of its alternatives chosen", "[testing][conformance]") {
  for (std::size_t i : {0u, 1u}) {
    expect_conformant(mp::one_of(mp::standard_scaler{}, mp::min_max_scaler{.clip = true}).choose(i), sample().values);
    expect_conformant(mp::one_of(mp::logistic_regression{}, mp::gaussian_nb{}).choose(i), sample().labels);
    expect_conformant(mp::one_of(mp::ridge{.alpha = 0.5}, mp::lasso{.alpha = 0.01}).choose(i), sample().values);
  }
}

}  // namespace test_conformance_tests

#include "mlpipe/models/linear_svc.hpp"
#include "mlpipe/models/ridge_classifier.hpp"

namespace test_conformance_tests {

TEST_CASE("ridge_classifier, linear_svc and class-weighted models keep the stage contract", "[testing][conformance]") {
  expect_conformant(mp::ridge_classifier{}, sample().labels);
  expect_conformant(mp::ridge_classifier{.alpha = 0.1, .class_weight = mp::class_weight::balanced}, sample().labels);
  expect_conformant(mp::linear_svc{}, sample().labels);
  expect_conformant(mp::linear_svc{.C = 0.5, .intercept_scaling = 5.0, .class_weight = mp::class_weight::balanced},
                    sample().labels);
  expect_conformant(mp::logistic_regression{.class_weight = mp::class_weight::balanced}, sample().labels);
  expect_conformant(mp::decision_tree_classifier{.max_depth = 4, .class_weight = mp::class_weight::balanced},
                    sample().labels);
  expect_conformant(mp::random_forest_classifier{.n_estimators = 5,
                                                 .class_weight = mp::class_weight::balanced_subsample},
                    sample().labels);
}

}  // namespace test_conformance_tests
