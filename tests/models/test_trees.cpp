#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "mlpipe/core/paths.hpp"
#include "mlpipe/core/reuse.hpp"
#include "mlpipe/io/serialize.hpp"
#include "mlpipe/models/forest.hpp"
#include "mlpipe/models/tree.hpp"
#include "mlpipe/testing/check_stage.hpp"
#include "support.hpp"

namespace test_trees_tests {

namespace mp = mlpipe;
using json = nlohmann::json;

const json& reference() { return mp::test::test_reference("models_trees"); }

mp::matrix to_matrix(const json& rows) {
  mp::matrix m(static_cast<mp::index>(rows.size()), static_cast<mp::index>(rows[0].size()));
  for (mp::index i = 0; i < m.rows(); ++i) m.row(i) = mp::test::to_vector(rows[static_cast<std::size_t>(i)]).transpose();
  return m;
}

std::vector<mp::index> to_indices(const json& j) { return j.get<std::vector<mp::index>>(); }

// The reference script's synthetic data (300 x 6, labels 3 / 7 / 12, a real-valued target) or a shipped dataset.
struct data {
  mp::matrix X;
  mp::vector y;
};

data dataset(const std::string& name) {
  if (name == "synthetic_classes" || name == "synthetic_values") {
    const json& s = reference()["synthetic"];
    return {to_matrix(s["X"]), mp::test::to_vector(s[name == "synthetic_classes" ? "classes" : "values"])};
  }
  const auto& d = mp::test::load(name);
  return {d.X, d.y};
}

mp::param_value param_of(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number_integer()) return value.get<std::int64_t>();
  return value.get<double>();
}

// scikit-learn's parameters of a case, set by name on an mlpipe spec (same names, same meaning).
template <class Spec>
Spec spec_from(const json& params) {
  Spec spec{};
  for (auto it = params.begin(); it != params.end(); ++it) mp::set_param(spec, it.key(), param_of(it.value()));
  return spec;
}

// Every array of the fitted tree against scikit-learn's tree_: the structure, split features and thresholds
// exactly (the same midpoint formula on the same two values), counts exactly, and the floating-point sums
// (impurities, means, importances) to within rounding of a different summation order.
// threshold_tolerance: 0 where X holds float32 values (scikit-learn casts X to float32, which then loses nothing);
// else what that rounding moves a midpoint by.
template <class Fitted>
void expect_same_tree(const Fitted& f, const json& ref, double threshold_tolerance = 0.0) {
  const json& t = ref["tree"];
  REQUIRE(f.node_count() == static_cast<mp::index>(t["feature"].size()));
  CHECK(f.children_left() == to_indices(t["children_left"]));
  CHECK(f.children_right() == to_indices(t["children_right"]));
  CHECK(f.feature() == to_indices(t["feature"]));
  CHECK(f.n_node_samples() == to_indices(t["n_node_samples"]));
  const mp::vector threshold = mp::test::to_vector(t["threshold"]);
  if (threshold_tolerance == 0.0) CHECK(f.threshold() == threshold);
  else CHECK((f.threshold() - threshold).cwiseAbs().maxCoeff() <= threshold_tolerance);
  CHECK((f.impurity() - mp::test::to_vector(t["impurity"])).cwiseAbs().maxCoeff() <= 1e-12);
  const mp::matrix value = to_matrix(t["value"]);
  CHECK((f.value() - value).cwiseAbs().maxCoeff() <= 1e-12 * std::max(1.0, value.cwiseAbs().maxCoeff()));
  CHECK((f.feature_importances() - mp::test::to_vector(t["feature_importances"])).cwiseAbs().maxCoeff() <= 1e-12);
}

TEST_CASE("a decision tree classifier considering every feature grows scikit-learn's tree where no splits tie",
          "[models][trees]") {
  for (const char* name : {"gini_depth3", "gini_leaf20", "entropy_leaf20", "log_loss_depth3", "gini_best_first",
                           "gini_min_impurity_decrease", "gini_pruned"}) {
    INFO(name);
    const json& ref = reference()[name];
    const data d = dataset(ref["dataset"]);
    const auto spec = spec_from<mp::decision_tree_classifier>(ref["params"]);
    const auto f = spec.fit(d.X, d.y);
    expect_same_tree(f, ref);
    CHECK(f.classes() == (mp::vector(3) << 3, 7, 12).finished());
    CHECK(f.predict(d.X) == mp::test::to_vector(ref["predict"]));
    CHECK((f.predict_proba(d.X) - to_matrix(ref["predict_proba"])).cwiseAbs().maxCoeff() <= 1e-15);
  }
}

TEST_CASE("a decision tree regressor considering every feature grows scikit-learn's tree where no splits tie",
          "[models][trees]") {
  for (const char* name : {"squared_error_leaf5", "squared_error_best_first", "squared_error_diabetes"}) {
    INFO(name);
    const json& ref = reference()[name];
    const data d = dataset(ref["dataset"]);
    const auto f = spec_from<mp::decision_tree_regressor>(ref["params"]).fit(d.X, d.y);
    // diabetes is not float32: its midpoints move by up to 2^-24 of the largest |x| (float32's relative rounding).
    const bool float32 = ref["dataset"] == "synthetic_values";
    expect_same_tree(f, ref, float32 ? 0.0 : 0x1.0p-24 * d.X.cwiseAbs().maxCoeff());
    // Leaf means: the same values summed in another order.
    CHECK(mp::test::max_relative_error(f.predict(d.X), mp::test::to_vector(ref["predict"])) <= 1e-13);
  }
}

TEST_CASE("cost_complexity_pruning_path gives scikit-learn's alphas and impurities", "[models][trees]") {
  {
    const json& ref = reference()["pruning_path_classifier"];
    const data d = dataset(ref["dataset"]);
    const mp::pruning_path path =
        spec_from<mp::decision_tree_classifier>(ref["params"]).cost_complexity_pruning_path(d.X, d.y);
    REQUIRE(path.ccp_alphas.size() == static_cast<mp::index>(ref["ccp_alphas"].size()));
    // Class counts are exact, so the alphas differ by rounding only (Gini of the same counts, other sums).
    CHECK((path.ccp_alphas - mp::test::to_vector(ref["ccp_alphas"])).cwiseAbs().maxCoeff() <= 1e-15);
    CHECK((path.impurities - mp::test::to_vector(ref["impurities"])).cwiseAbs().maxCoeff() <= 1e-14);
  }
  {
    const json& ref = reference()["pruning_path_regressor"];
    const data d = dataset(ref["dataset"]);
    const mp::pruning_path path =
        spec_from<mp::decision_tree_regressor>(ref["params"]).cost_complexity_pruning_path(d.X, d.y);
    REQUIRE(path.ccp_alphas.size() == static_cast<mp::index>(ref["ccp_alphas"].size()));
    // Variances come from sums of squares minus squared means (scikit-learn's formula) whose summation order differs:
    // relative 1e-9 of the largest alpha absorbs that cancellation on targets of magnitude ~5.
    const mp::vector alphas = mp::test::to_vector(ref["ccp_alphas"]);
    CHECK((path.ccp_alphas - alphas).cwiseAbs().maxCoeff() <= 1e-9 * alphas.maxCoeff());
    CHECK(mp::test::max_relative_error(path.impurities, mp::test::to_vector(ref["impurities"])) <= 1e-9);
  }
}

TEST_CASE("a tree's random feature order depends on its seed only, and max_features limits the features per split",
          "[models][trees]") {
  const data d = dataset("synthetic_classes");
  const mp::decision_tree_classifier spec{.max_features = mp::max_features::count(2), .seed = 5};
  const auto a = spec.fit(d.X, d.y);
  const auto b = spec.fit(d.X, d.y);
  CHECK(a.feature() == b.feature());
  CHECK(a.threshold() == b.threshold());
  auto other = spec;
  other.seed = 6;
  CHECK(other.fit(d.X, d.y).feature() != a.feature());
  // Fully grown: every leaf is pure, so the training data is predicted exactly.
  CHECK(a.predict(d.X) == d.y);
  CHECK(mp::max_features::sqrt.resolve(30) == 5);
  CHECK(mp::max_features::log2.resolve(30) == 4);
  CHECK(mp::max_features::fraction(0.5).resolve(7) == 3);
  CHECK(mp::max_features::all.resolve(7) == 7);
}

TEST_CASE("max_depth, min_samples_leaf and max_leaf_nodes bound the tree", "[models][trees]") {
  const data d = dataset("synthetic_values");
  const auto deep = mp::decision_tree_regressor{}.fit(d.X, d.y);
  CHECK(deep.n_leaves() == 300);  // distinct targets: one leaf per row
  CHECK(mp::decision_tree_regressor{.max_depth = 3}.fit(d.X, d.y).depth() == 3);
  const auto leafy = mp::decision_tree_regressor{.min_samples_leaf = 7}.fit(d.X, d.y);
  for (mp::index i = 0; i < leafy.node_count(); ++i) CHECK(leafy.n_node_samples()[static_cast<std::size_t>(i)] >= 7);
  CHECK(mp::decision_tree_regressor{.max_leaf_nodes = 5}.fit(d.X, d.y).n_leaves() == 5);
  // Pruning with a huge alpha leaves the root alone, whose value is the mean of y.
  const auto stump = mp::decision_tree_regressor{.ccp_alpha = 1e9}.fit(d.X, d.y);
  CHECK(stump.node_count() == 1);
  CHECK(stump.predict_one(std::vector<double>(6, 0.0)) == Approx(d.y.mean()).epsilon(1e-14));
  CHECK(stump.feature_importances() == mp::vector::Zero(6));
}

TEST_CASE("decision trees keep the stage contract and save and load exactly", "[models][trees]") {
  const data c = dataset("synthetic_classes");
  const data r = dataset("synthetic_values");
  const mp::matrix X = c.X.topRows(90);
  mp::testing::require_conformance(mp::decision_tree_classifier{.max_depth = 4}, X, c.y.head(90));
  mp::testing::require_conformance(mp::decision_tree_classifier{.max_features = mp::max_features::sqrt}, X,
                                   c.y.head(90));
  mp::testing::require_conformance(mp::decision_tree_regressor{.min_samples_leaf = 3}, X, r.y.head(90));
  mp::testing::require_conformance(mp::decision_tree_regressor{.max_leaf_nodes = 6, .ccp_alpha = 0.01}, X,
                                   r.y.head(90));

  const auto f = mp::decision_tree_classifier{.criterion = mp::classification_criterion::entropy}.fit(c.X, c.y);
  const auto g = mp::from_json<mp::decision_tree_classifier::fitted>(json::parse(mp::to_json(f).dump()));
  CHECK(g.children_left() == f.children_left());
  CHECK(g.threshold() == f.threshold());
  CHECK(g.value() == f.value());
  CHECK(g.predict_proba(c.X) == f.predict_proba(c.X));
  CHECK(g.spec().criterion == mp::classification_criterion::entropy);
}

TEST_CASE("max_features reads and writes as scikit-learn's names, fractions and counts", "[models][trees]") {
  mp::decision_tree_classifier spec;
  mp::set_param(spec, "max_features", mp::param_value(std::string("sqrt")));
  CHECK(spec.max_features == mp::max_features::sqrt);
  mp::set_param(spec, "max_features", mp::param_value(0.25));
  CHECK(spec.max_features == mp::max_features::fraction(0.25));
  mp::set_param(spec, "max_features", mp::param_value(std::int64_t{3}));
  CHECK(spec.max_features == mp::max_features::count(3));
  CHECK(mp::get_param(spec, "max_features") == mp::param_value(std::int64_t{3}));
  CHECK(mp::test::error_message<mp::invalid_parameter>([&] {
          mp::set_param(spec, "max_features", mp::param_value(std::string("half")));
        }) == "parameter 'max_features' of decision_tree_classifier expects \"all\", \"sqrt\", \"log2\", a fraction "
              "(a real number) or a count (an integer), got \"half\" (a string)");
}

TEST_CASE("decision trees reject bad hyperparameters and bad input with precise errors", "[models][trees]") {
  const data d = dataset("synthetic_classes");
  using mp::test::error_message;
  const auto fit = [&](const mp::decision_tree_classifier& s) { return [&d, s] { (void)s.fit(d.X, d.y); }; };
  CHECK(error_message<mp::invalid_parameter>(fit({.max_depth = 0})) ==
        "decision_tree_classifier: max_depth = 0 is out of range; expected max_depth >= 1, or -1 for no limit");
  CHECK(error_message<mp::invalid_parameter>(fit({.min_samples_split = 1})) ==
        "decision_tree_classifier: min_samples_split = 1 is out of range; expected min_samples_split >= 2");
  CHECK(error_message<mp::invalid_parameter>(fit({.min_samples_leaf = 151})) ==
        "decision_tree_classifier: min_samples_leaf = 151 but X has 300 rows; expected min_samples_leaf <= 150 "
        "(half the rows, so that a split is possible)");
  CHECK(error_message<mp::invalid_parameter>(fit({.min_impurity_decrease = -0.5})) ==
        "decision_tree_classifier: min_impurity_decrease = -0.5 is out of range; expected min_impurity_decrease >= 0");
  CHECK(error_message<mp::invalid_parameter>(fit({.max_features = mp::max_features::fraction(1.5)})) ==
        "decision_tree_classifier: max_features = 1.5 is out of range; expected 0 < max_features <= 1 (a fraction), "
        "max_features >= 1 (a count), \"sqrt\", \"log2\" or \"all\"");
  CHECK(error_message<mp::invalid_parameter>(fit({.max_features = mp::max_features::count(0)})) ==
        "decision_tree_classifier: max_features = 0 is out of range; expected 0 < max_features <= 1 (a fraction), "
        "max_features >= 1 (a count), \"sqrt\", \"log2\" or \"all\"");
  CHECK(error_message<mp::invalid_parameter>(fit({.max_features = mp::max_features::count(7)})) ==
        "decision_tree_classifier: max_features = 7 but X has 6 features; expected a count <= 6");
  CHECK(error_message<mp::invalid_parameter>(fit({.max_leaf_nodes = 1})) ==
        "decision_tree_classifier: max_leaf_nodes = 1 is out of range; expected max_leaf_nodes >= 2, or -1 for no "
        "limit");
  CHECK(error_message<mp::invalid_parameter>(fit({.ccp_alpha = std::nan("")})) ==
        "decision_tree_classifier: ccp_alpha = nan is not a finite number; expected ccp_alpha >= 0");
  CHECK(error_message<mp::invalid_parameter>(fit({.seed = -1})) ==
        "decision_tree_classifier: seed = -1 is out of range; expected 0 <= seed <= 4294967295");

  mp::matrix X = d.X;
  X(4, 2) = std::numeric_limits<double>::infinity();
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::decision_tree_classifier{}.fit(X, d.y); }) ==
        "decision_tree_classifier: X has inf at row 4, column 2; expected finite values (impute missing values "
        "first, e.g. with simple_imputer)");
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::decision_tree_classifier{}.fit(d.X, d.y.head(10)); }) ==
        "decision_tree_classifier: y has 10 values but X has 300 rows; expected one target per row");
  CHECK(error_message<mp::invalid_input>(
            [&] { (void)mp::decision_tree_classifier{}.fit(d.X, mp::vector::Constant(300, 7.0)); }) ==
        "decision_tree_classifier: y has a single class (7); expected at least two classes");
  CHECK(error_message<mp::invalid_input>([&] {
          (void)mp::decision_tree_classifier{}.fit(d.X, dataset("synthetic_values").y);
        }).find("which is not a class label") != std::string::npos);
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::decision_tree_regressor{}.fit(mp::matrix(0, 3), mp::vector(0)); }) ==
        "decision_tree_regressor: X is empty (0 rows, 3 columns); expected at least one row and one column");

  const auto f = mp::decision_tree_classifier{.max_depth = 3}.fit(d.X, d.y);
  CHECK(error_message<mp::invalid_input>([&] { (void)f.predict(d.X.leftCols(5)); }) ==
        "decision_tree_classifier: X has 5 columns but this step was fitted on 6; expected 6 columns");
  const std::vector<double> row{0, 0, std::nan(""), 0, 0, 0};
  CHECK(error_message<mp::invalid_input>([&] { (void)f.predict_one(row); }) ==
        "decision_tree_classifier: the row has nan at column 2; expected finite values (impute missing values first, "
        "e.g. with simple_imputer)");
  std::vector<double> out(2);
  CHECK(error_message<mp::invalid_input>([&] { f.predict_proba_one(std::vector<double>(6, 0.0), out); }) ==
        "decision_tree_classifier: out has 2 values but the model has 3 classes; expected 3 values");
}

// The load error of a saved tree whose state was edited by `edit`.
template <class Fitted, class Edit>
std::string corrupt_load_error(const Fitted& f, Edit&& edit) {
  json j = mp::to_json(f);
  edit(j["model"]["state"]);
  return mp::test::error_message<mp::load_error>([&] { (void)mp::from_json<Fitted>(j); });
}

TEST_CASE("a corrupt saved tree fails to load with the broken invariant named", "[models][trees]") {
  const data d = dataset("synthetic_classes");
  const auto f = mp::decision_tree_classifier{.max_depth = 2}.fit(d.X, d.y);
  REQUIRE(f.node_count() == 7);
  REQUIRE(f.children_left()[0] == 1);
  const std::string prefix = "<json>: model (decision_tree_classifier): ";
  CHECK(corrupt_load_error(f, [](json& s) { s["children_left"][0] = 9; }) ==
        prefix + "state.children_left[0] = 9 is out of range; expected 0 < child < 7 (after its parent, within its "
                 "tree), or both children -1 for a leaf");
  CHECK(corrupt_load_error(f, [](json& s) { s["children_left"][1] = 0; }) ==
        prefix + "state.children_left[1] = 0 is out of range; expected 1 < child < 7 (after its parent, within its "
                 "tree), or both children -1 for a leaf");
  CHECK(corrupt_load_error(f, [](json& s) { s["children_right"][0] = 2; }) ==
        prefix + "state.children_left[1] = 2 already has a parent; expected every node but the root to have one "
                 "parent");
  CHECK(corrupt_load_error(f, [](json& s) { s["feature"][0] = 6; }) ==
        prefix + "state.feature[0] = 6 is out of range; expected 0 <= feature < n_features_in = 6");
  CHECK(corrupt_load_error(f, [](json& s) { s["threshold"][0] = "nan"; }) ==
        prefix + "state.threshold[0] = nan is not finite; expected finite values");
  CHECK(corrupt_load_error(f, [](json& s) { 
          s["value"]["cols"] = 2;
          for (int k = 0; k < 7; ++k) s["value"]["data"].erase(0);
        }) ==
        prefix + "state.value has 2 columns; expected 3 (one per class)");
  CHECK(corrupt_load_error(f, [](json& s) { s["feature"].erase(6); }) ==
        prefix + "state.feature has 6 values; expected 7 (one per node)");
  CHECK(corrupt_load_error(f, [](json& s) { s["n_node_samples"][1] = 3; }) ==
        prefix + "state.n_node_samples[0] = 300 is not the sum of its children's; expected " +
            std::to_string(3 + f.n_node_samples()[4]));
  CHECK(corrupt_load_error(f, [](json& s) { s["feature_importances"][0] = 0.5; }).find(
            prefix + "state.feature_importances[0] = 0.5 but the nodes give ") == 0);
  CHECK(corrupt_load_error(f, [](json& s) { s["classes"][1] = 1; }) ==
        prefix + "state.classes[1] = 1 is not greater than state.classes[0] = 3; expected distinct classes in "
                 "ascending order");
}

// ---- forests -------------------------------------------------------------------------------------------------------

// The reference script's split: train on rows i % 3 != 0, test on rows i % 3 == 0.
struct split_data {
  mp::matrix X_train, X_test;
  mp::vector y_train, y_test;
};

split_data split(const std::string& name) {
  const data d = dataset(name);
  split_data s;
  std::vector<mp::index> train, test;
  for (mp::index i = 0; i < d.X.rows(); ++i) (i % 3 == 0 ? test : train).push_back(i);
  s.X_train = d.X(train, Eigen::all);
  s.y_train = d.y(train);
  s.X_test = d.X(test, Eigen::all);
  s.y_test = d.y(test);
  return s;
}

double mean(const std::vector<double>& v) {
  double sum = 0.0;
  for (const double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

double sample_std(const std::vector<double>& v) {
  const double m = mean(v);
  double ss = 0.0;
  for (const double x : v) ss += (x - m) * (x - m);
  return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

double score(const mp::vector& y, const mp::vector& prediction, bool classification) {
  if (classification) return (y.array() == prediction.array()).cast<double>().mean();
  return 1.0 - (y - prediction).squaredNorm() / (y.array() - y.mean()).square().sum();
}

// A forest over the reference's 20 seeds against scikit-learn's over its own 20: the mean test score (and OOB score)
// within 4 standard errors of the difference of two means of 20 (Welch), plus one test row's worth for accuracy's
// granularity; each feature's mean importance likewise. Forests with other random streams are compared as samples:
// a real difference in the algorithm (a wrong criterion, bootstrap or max_features) moves the mean by much more.
template <class Forest>
void expect_like_sklearn(const char* name) {
  const json& ref = reference()[name];
  const split_data d = split(ref["dataset"]);
  const json& params = ref["params"];
  Forest spec = spec_from<Forest>(params);
  std::vector<double> scores, oob;
  std::vector<mp::vector> importances;
  for (std::int64_t seed = 0; seed < 20; ++seed) {
    spec.seed = seed;
    const auto f = spec.fit(d.X_train, d.y_train);
    scores.push_back(score(d.y_test, f.predict(d.X_test), Forest::classification));
    importances.push_back(f.feature_importances());
    if (spec.oob_score) oob.push_back(f.oob_score());
  }
  const auto close = [&](const std::vector<double>& mine, const std::vector<double>& theirs, double granularity) {
    const double se = std::sqrt((sample_std(mine) * sample_std(mine) + sample_std(theirs) * sample_std(theirs)) / 20);
    INFO("mlpipe " << mean(mine) << " +- " << sample_std(mine) << ", scikit-learn " << mean(theirs) << " +- "
                   << sample_std(theirs));
    CHECK(std::abs(mean(mine) - mean(theirs)) <= 4 * se + granularity);
  };
  const double granularity = Forest::classification ? 1.0 / static_cast<double>(d.y_test.size()) : 0.0;
  close(scores, ref["scores"].get<std::vector<double>>(), granularity);
  if (spec.oob_score)
    close(oob, ref["oob_scores"].get<std::vector<double>>(), 1.0 / static_cast<double>(d.y_train.size()));
  const mp::vector their_mean = mp::test::to_vector(ref["importance_mean"]);
  const mp::vector their_std = mp::test::to_vector(ref["importance_std"]);
  for (mp::index j = 0; j < their_mean.size(); ++j) {
    std::vector<double> mine;
    for (const auto& v : importances) mine.push_back(v(j));
    const double se = std::sqrt((sample_std(mine) * sample_std(mine) + their_std(j) * their_std(j)) / 20);
    INFO("feature " << j << ": mlpipe " << mean(mine) << " +- " << sample_std(mine) << ", scikit-learn "
                    << their_mean(j) << " +- " << their_std(j));
    CHECK(std::abs(mean(mine) - their_mean(j)) <= 4 * se + 1e-3);
  }
}

TEST_CASE("random forests and extra trees score and rank features as scikit-learn's over 20 seeds",
          "[models][trees][forests]") {
  expect_like_sklearn<mp::random_forest_classifier>("random_forest_classifier");
  expect_like_sklearn<mp::extra_trees_classifier>("extra_trees_classifier");
  expect_like_sklearn<mp::random_forest_regressor>("random_forest_regressor");
  expect_like_sklearn<mp::extra_trees_regressor>("extra_trees_regressor");
}

// Everything a fitted forest saves but n_jobs (a hyperparameter that must not change anything else), as text.
template <class Fitted>
std::string saved_state(const Fitted& f) {
  json model = mp::to_json(f)["model"];
  model["params"].erase("n_jobs");
  return model.dump();
}

TEST_CASE("a forest is bit-identical for any n_jobs", "[models][trees][forests][parallel]") {
  const split_data c = split("breast_cancer.csv");
  const split_data r = split("diabetes.csv");
  const mp::random_forest_classifier rf{.n_estimators = 12, .oob_score = true, .seed = 3};
  const mp::extra_trees_regressor et{.n_estimators = 12, .max_features = mp::max_features::fraction(0.5), .seed = 3};
  const auto a = rf.fit(c.X_train, c.y_train);
  const auto e = et.fit(r.X_train, r.y_train);
  for (const int n_jobs : {2, 3, -1}) {
    INFO("n_jobs = " << n_jobs);
    auto rf_parallel = rf;
    rf_parallel.n_jobs = n_jobs;
    const auto b = rf_parallel.fit(c.X_train, c.y_train);
    CHECK(saved_state(a) == saved_state(b));
    CHECK(a.oob_score() == b.oob_score());
    CHECK(a.predict_proba(c.X_test) == b.predict_proba(c.X_test));
    auto et_parallel = et;
    et_parallel.n_jobs = n_jobs;
    const auto g = et_parallel.fit(r.X_train, r.y_train);
    CHECK(saved_state(e) == saved_state(g));
    CHECK(e.predict(r.X_test) == g.predict(r.X_test));
  }
  // Another seed gives another forest.
  auto other = rf;
  other.seed = 4;
  CHECK(saved_state(other.fit(c.X_train, c.y_train)) != saved_state(a));
}

TEST_CASE("a forest warm-started along n_estimators is the forest fit grows", "[models][trees][forests][parallel]") {
  const split_data c = split("breast_cancer.csv");
  static_assert(mp::warm_startable_stage<mp::random_forest_classifier>);
  const mp::random_forest_classifier small{.n_estimators = 4, .oob_score = true, .seed = 2};
  auto large = small;
  large.n_estimators = 9;
  large.n_jobs = 2;
  const auto previous = small.fit(c.X_train, c.y_train);
  const auto warm = large.fit_warm(c.X_train, c.y_train, previous);
  const auto cold = large.fit(c.X_train, c.y_train);
  CHECK(saved_state(warm) == saved_state(cold));
  CHECK(warm.oob_score() == cold.oob_score());
  // Other hyperparameters: grown from scratch, still what fit grows.
  auto other = large;
  other.max_depth = 3;
  CHECK(saved_state(other.fit_warm(c.X_train, c.y_train, previous)) == saved_state(other.fit(c.X_train, c.y_train)));
}

TEST_CASE("a one-tree forest without bootstrap considering every feature is the decision tree",
          "[models][trees][forests]") {
  const data d = dataset("synthetic_classes");
  const auto tree = mp::decision_tree_classifier{.max_depth = 3}.fit(d.X, d.y);
  const auto f = mp::random_forest_classifier{.n_estimators = 1, .max_depth = 3, .max_features = mp::max_features::all,
                                              .bootstrap = false}
                     .fit(d.X, d.y);
  const mp::tree_structure t = f.tree(0);
  CHECK(t.children_left() == tree.children_left());
  CHECK(t.feature() == tree.feature());
  CHECK(t.threshold() == tree.threshold());
  // The forest renormalizes the mean of its trees' importances: one more rounding.
  CHECK((f.feature_importances() - tree.feature_importances()).cwiseAbs().maxCoeff() <= 1e-15);
  CHECK(f.predict_proba(d.X) == tree.predict_proba(d.X));
  CHECK(f.predict(d.X) == tree.predict(d.X));
}

TEST_CASE("forests keep the stage contract", "[models][trees][forests][parallel]") {
  const data c = dataset("synthetic_classes");
  const data r = dataset("synthetic_values");
  const mp::matrix X = c.X.topRows(90);
  mp::testing::require_conformance(mp::random_forest_classifier{.n_estimators = 5, .oob_score = true}, X, c.y.head(90));
  mp::testing::require_conformance(mp::extra_trees_classifier{.n_estimators = 5, .max_depth = 3}, X, c.y.head(90));
  mp::testing::require_conformance(mp::random_forest_regressor{.n_estimators = 5, .max_samples = 0.5}, X,
                                   r.y.head(90));
  mp::testing::require_conformance(mp::extra_trees_regressor{.n_estimators = 5, .n_jobs = 2}, X, r.y.head(90));
}

TEST_CASE("forests reject bad hyperparameters and corrupt state with precise errors", "[models][trees][forests]") {
  const data d = dataset("synthetic_classes");
  using mp::test::error_message;
  const auto fit = [&](const mp::random_forest_classifier& s) { return [&d, s] { (void)s.fit(d.X, d.y); }; };
  CHECK(error_message<mp::invalid_parameter>(fit({.n_estimators = 0})) ==
        "random_forest_classifier: n_estimators = 0 is out of range; expected n_estimators >= 1");
  CHECK(error_message<mp::invalid_parameter>(fit({.max_samples = 0.0})) ==
        "random_forest_classifier: max_samples = 0 is out of range; expected 0 < max_samples <= 1");
  CHECK(error_message<mp::invalid_parameter>(fit({.n_jobs = 0})) ==
        "random_forest_classifier: n_jobs = 0 is out of range; expected n_jobs >= 1, or -1 for every core");
  CHECK(error_message<mp::invalid_parameter>(fit({.bootstrap = false, .oob_score = true})) ==
        "random_forest_classifier: oob_score = true but bootstrap = false; expected bootstrap = true (out-of-bag "
        "rows exist only when trees grow on bootstrap samples)");
  CHECK(error_message<mp::invalid_parameter>(fit({.bootstrap = false, .max_samples = 0.5})) ==
        "random_forest_classifier: max_samples = 0.5 but bootstrap = false; expected max_samples = 1 without "
        "bootstrap (every tree sees every row)");
  CHECK(error_message<mp::invalid_parameter>(fit({.min_samples_leaf = 200})) ==
        "random_forest_classifier: min_samples_leaf = 200 but X has 300 rows; expected min_samples_leaf <= 150 "
        "(half the rows, so that a split is possible)");
  CHECK(error_message<mp::invalid_parameter>(fit({.max_features = mp::max_features::count(9)})) ==
        "random_forest_classifier: max_features = 9 but X has 6 features; expected a count <= 6");

  const auto f = mp::random_forest_classifier{.n_estimators = 3, .max_depth = 2, .seed = 1}.fit(d.X, d.y);
  CHECK(error_message<mp::invalid_input>([&] { (void)f.oob_score(); }) ==
        "random_forest_classifier: oob_score() needs a forest fitted with oob_score = true; expected oob_score = true "
        "at fit");
  const std::string prefix = "<json>: model (random_forest_classifier): ";
  const mp::index second = f.roots()[1];
  CHECK(corrupt_load_error(f, [](json& s) { s["roots"][0] = 1; }) ==
        prefix + "state.roots[0] = 1 is out of range; expected the first tree to start at node 0");
  CHECK(corrupt_load_error(f, [](json& s) { s["roots"].erase(2); }) ==
        prefix + "state.roots has 2 values; expected 3 (one per tree, n_estimators)");
  CHECK(corrupt_load_error(f, [&](json& s) { s["roots"][2] = second; }) ==
        prefix + "state.roots[2] = " + std::to_string(second) + " is not greater than state.roots[1] = " +
            std::to_string(second) + "; expected strictly increasing indices");
  // A child in the next tree.
  CHECK(corrupt_load_error(f, [&](json& s) { s["children_right"][0] = second; }) ==
        prefix + "state.children_right[0] = " + std::to_string(second) + " is out of range; expected 0 < child < " +
            std::to_string(second) + " (after its parent, within its tree), or both children -1 for a leaf");
  CHECK(corrupt_load_error(f, [](json& s) { s["oob_score"] = 0.5; }) ==
        prefix + "state.oob_score = 0.5 is out of range; expected nan without oob_score");
}

}  // namespace test_trees_tests
