// Compiled only when XGBoost is found (tests/CMakeLists.txt): the opt-in xgboost stages.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "mlpipe/core/paths.hpp"
#include "mlpipe/io/serialize.hpp"
#include "mlpipe/models/xgboost.hpp"
#include "mlpipe/testing/check_stage.hpp"
#include "support.hpp"

namespace test_xgboost_tests {

namespace mp = mlpipe;
using json = nlohmann::json;

const json& reference() { return mp::test::test_reference("models_trees"); }

mp::matrix to_matrix(const json& rows) {
  mp::matrix m(static_cast<mp::index>(rows.size()), static_cast<mp::index>(rows[0].size()));
  for (mp::index i = 0; i < m.rows(); ++i) m.row(i) = mp::test::to_vector(rows[static_cast<std::size_t>(i)]).transpose();
  return m;
}

struct data {
  mp::matrix X;
  mp::vector y;
};

// The reference script's synthetic classes (300 x 6, labels 3 / 7 / 12) or a shipped dataset.
data dataset(const std::string& name) {
  if (name == "synthetic_classes") {
    const json& s = reference()["synthetic"];
    return {to_matrix(s["X"]), mp::test::to_vector(s["classes"])};
  }
  const auto& d = mp::test::load(name);
  return {d.X, d.y};
}

template <class Spec>
Spec spec_from(const json& params) {
  Spec spec{};
  for (auto it = params.begin(); it != params.end(); ++it) {
    const json& v = it.value();
    mp::set_param(spec, it.key(),
                  v.is_number_integer() ? mp::param_value(v.get<std::int64_t>()) : mp::param_value(v.get<double>()));
  }
  return spec;
}

TEST_CASE("xgboost stages predict exactly what XGBoost's own API predicts for the same training",
          "[models][xgboost]") {
  {
    const json& ref = reference()["xgboost_multiclass"];
    const data d = dataset(ref["dataset"]);
    const auto f = spec_from<mp::xgboost_classifier>(ref["params"]).fit(d.X, d.y);
    // XGBoost's float probabilities (python's (n, 3) output, row by row), each row divided by its sum in double.
    const mp::vector flat = mp::test::to_vector(ref["predict"]);
    mp::matrix expected(d.X.rows(), 3);
    for (mp::index i = 0; i < d.X.rows(); ++i) {
      const double sum = flat(3 * i) + flat(3 * i + 1) + flat(3 * i + 2);
      for (mp::index k = 0; k < 3; ++k) expected(i, k) = flat(3 * i + k) / sum;
    }
    CHECK(f.predict_proba(d.X) == expected);
    mp::vector labels(d.X.rows());
    for (mp::index i = 0; i < d.X.rows(); ++i) {
      mp::index best = 0;
      expected.row(i).maxCoeff(&best);
      labels(i) = f.classes()(best);
    }
    CHECK(f.predict(d.X) == labels);
    CHECK(f.classes() == (mp::vector(3) << 3, 7, 12).finished());
    CHECK(f.expected_objective() == "multi:softprob");
  }
  {
    const json& ref = reference()["xgboost_binary"];
    const data d = dataset(ref["dataset"]);
    const auto f = spec_from<mp::xgboost_classifier>(ref["params"]).fit(d.X, d.y);
    CHECK(mp::vector(f.predict_proba(d.X).col(1)) == mp::test::to_vector(ref["predict"]));
    const mp::vector p = mp::test::to_vector(ref["predict"]);
    CHECK(f.predict(d.X) == (p.array() > 0.5).cast<double>().matrix());
  }
  {
    const json& ref = reference()["xgboost_regression"];
    const data d = dataset(ref["dataset"]);
    const auto f = spec_from<mp::xgboost_regressor>(ref["params"]).fit(d.X, d.y);
    CHECK(f.predict(d.X) == mp::test::to_vector(ref["predict"]));
  }
}

TEST_CASE("xgboost stages' feature importances are XGBoost's gains normalized to sum to 1", "[models][xgboost]") {
  for (const char* name : {"xgboost_multiclass", "xgboost_binary", "xgboost_regression"}) {
    INFO(name);
    const json& ref = reference()[name];
    const data d = dataset(ref["dataset"]);
    mp::vector expected = mp::test::to_vector(ref["gain"]);
    expected /= expected.sum();
    if (std::string(name) == "xgboost_regression") {
      CHECK(spec_from<mp::xgboost_regressor>(ref["params"]).fit(d.X, d.y).feature_importances() == expected);
    } else {
      CHECK(spec_from<mp::xgboost_classifier>(ref["params"]).fit(d.X, d.y).feature_importances() == expected);
    }
  }
}

TEST_CASE("xgboost stages keep the stage contract and save the booster as XGBoost's JSON model",
          "[models][xgboost]") {
  const data c = dataset("synthetic_classes");
  const mp::matrix X = c.X.topRows(90);
  mp::testing::require_conformance(mp::xgboost_classifier{.n_estimators = 5, .max_depth = 3}, X, c.y.head(90));
  mp::testing::require_conformance(mp::xgboost_regressor{.n_estimators = 5, .subsample = 0.8}, X, X.col(0) * 2.0);

  const auto f = mp::xgboost_classifier{.n_estimators = 8, .learning_rate = 0.2, .seed = 1}.fit(c.X, c.y);
  const json saved = mp::to_json(f);
  CHECK(saved["model"]["state"]["booster"].get<std::string>() == f.booster_json());
  CHECK(json::parse(f.booster_json())["learner"]["objective"]["name"] == "multi:softprob");
  const auto g = mp::from_json<mp::xgboost_classifier::fitted>(json::parse(saved.dump()));
  CHECK(g.predict_proba(c.X) == f.predict_proba(c.X));
  CHECK(g.booster_json() == f.booster_json());
  CHECK(g.feature_importances() == f.feature_importances());
  std::vector<double> proba(3);
  for (mp::index i = 0; i < 5; ++i) {
    mp::vector r = c.X.row(i).transpose();
    const std::span<const double> span(r.data(), 6);
    CHECK(g.predict_one(span) == f.predict(c.X)(i));
    g.predict_proba_one(span, proba);
    CHECK(mp::vector(Eigen::Map<mp::vector>(proba.data(), 3)) == f.predict_proba(c.X).row(i).transpose());
  }
  // Training is deterministic for a seed.
  CHECK(mp::xgboost_classifier{.n_estimators = 8, .learning_rate = 0.2, .seed = 1}.fit(c.X, c.y).booster_json() ==
        f.booster_json());
}

// The load error of a saved model whose state was edited by `edit`.
template <class Fitted, class Edit>
std::string corrupt_load_error(const Fitted& f, Edit&& edit) {
  json j = mp::to_json(f);
  edit(j["model"]["state"]);
  return mp::test::error_message<mp::load_error>([&] { (void)mp::from_json<Fitted>(j); });
}

// Edits XGBoost's JSON model inside a saved state.
template <class Edit>
auto edit_booster(Edit&& edit) {
  return [edit](json& state) {
    json model = json::parse(state["booster"].get<std::string>());
    edit(model);
    state["booster"] = model.dump();
  };
}

TEST_CASE("xgboost stages reject bad hyperparameters, and corrupt boosters fail to load with a precise error",
          "[models][xgboost]") {
  const data c = dataset("synthetic_classes");
  using mp::test::error_message;
  const auto fit = [&](const mp::xgboost_classifier& s) { return [&c, s] { (void)s.fit(c.X, c.y); }; };
  CHECK(error_message<mp::invalid_parameter>(fit({.n_estimators = 0})) ==
        "xgboost_classifier: n_estimators = 0 is out of range; expected n_estimators >= 1");
  CHECK(error_message<mp::invalid_parameter>(fit({.max_depth = 0})) ==
        "xgboost_classifier: max_depth = 0 is out of range; expected max_depth >= 1");
  CHECK(error_message<mp::invalid_parameter>(fit({.learning_rate = 0.0})) ==
        "xgboost_classifier: learning_rate = 0 is out of range; expected learning_rate > 0");
  CHECK(error_message<mp::invalid_parameter>(fit({.subsample = 1.5})) ==
        "xgboost_classifier: subsample = 1.5 is out of range; expected 0 < subsample <= 1");
  CHECK(error_message<mp::invalid_parameter>(fit({.n_jobs = -3})) ==
        "xgboost_classifier: n_jobs = -3 is out of range; expected n_jobs >= 1, or -1 for every core");
  CHECK(error_message<mp::invalid_input>(
            [&] { (void)mp::xgboost_regressor{}.fit(c.X, mp::vector::Constant(300, 1e300)); }) ==
        "xgboost_regressor: y has 1e+300 at row 0, beyond the range of float, which XGBoost keeps targets in; "
        "expected |y| < 3.4e38");

  const auto f = mp::xgboost_classifier{.n_estimators = 3, .max_depth = 2}.fit(c.X, c.y);
  const std::string prefix = "<json>: model (xgboost_classifier): ";
  CHECK(corrupt_load_error(f, [](json& s) { s["booster"] = "{not json"; }) ==
        "xgboost_classifier: state.booster is not JSON; expected XGBoost's JSON model");
  CHECK(corrupt_load_error(f, edit_booster([](json& m) {
          m["learner"]["gradient_booster"]["model"]["trees"][0]["left_children"][0] = 0;
        })) == "xgboost_classifier: state.booster has tree 0 node 0 with child 0 out of place (children come after "
               "their node, once, within the tree); expected XGBoost's JSON model as this stage saves it");
  CHECK(corrupt_load_error(f, edit_booster([](json& m) {
          m["learner"]["gradient_booster"]["model"]["trees"][1]["split_indices"][0] = 6;
        })) == "xgboost_classifier: state.booster has tree 1 node 0 splitting on feature 6 of 6; expected XGBoost's "
               "JSON model as this stage saves it");
  CHECK(corrupt_load_error(f, edit_booster([](json& m) {
          m["learner"]["gradient_booster"]["model"]["trees"][0]["parents"].erase(0);
        })).find("xgboost_classifier: state.booster has tree 0.parents of another length than its ") == 0);
  // XGBoost's own loader refuses it: its message is surfaced.
  CHECK(corrupt_load_error(f, edit_booster([](json& m) { m["learner"]["objective"]["name"] = "no:such"; }))
            .find("xgboost_classifier: XGBoost failed to load the booster: ") == 0);
  CHECK(corrupt_load_error(f, [](json& s) { s["n_features_in"] = 5; }) ==
        "xgboost_classifier: state.feature_importances has 6 values; expected 5 (one per input feature)");
  CHECK(corrupt_load_error(f, [](json& s) {
          s["n_features_in"] = 5;
          s["feature_importances"].erase(5);
        }) == "xgboost_classifier: state.booster has 6 features but state.n_features_in = 5; expected the same number");
  CHECK(corrupt_load_error(f, [](json& s) { s["feature_importances"][0] = 0.5; })
            .find("xgboost_classifier: state.feature_importances[0] = 0.5 but the booster gives ") == 0);
  CHECK(corrupt_load_error(f, [](json& s) { s["classes"].erase(2); }) ==
        prefix + "state.booster has num_class = 3 but state.classes has 2 values; expected num_class = 0");
  CHECK(corrupt_load_error(f, [](json& s) { s["booster"] = 3; }) ==
        "<json>: model state.booster: expected a string, found 3");
  auto more = mp::to_json(f);
  more["model"]["params"]["n_estimators"] = 4;
  CHECK(error_message<mp::load_error>([&] { (void)mp::from_json<mp::xgboost_classifier::fitted>(more); }) ==
        prefix + "state.booster has 3 boosting rounds but n_estimators = 4; expected the same number");
}

}  // namespace test_xgboost_tests
