// any_pipeline, any_model, load_any and from_json: pipelines as run-time values, and their agreement with the static
// pipelines bit for bit. The registry is compiled once, in mlpipe_registry, which the test program links.
#include <catch2/catch.hpp>

#include <unistd.h>  // getpid

#include <algorithm>    // std::find, std::sort
#include <cstdio>       // std::remove
#include <fstream>
#include <filesystem>
#include <string>
#include <vector>

#include "mlpipe/core/column_transformer.hpp"
#include "mlpipe/core/one_of.hpp"
#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/core/union.hpp"
#include "mlpipe/dynamic.hpp"
#include "mlpipe/dynamic/graph.hpp"
#include "mlpipe/dynamic/wrap.hpp"
#include "mlpipe/feature_selection/select_k_best.hpp"
#include "mlpipe/io/binary_formats.hpp"
#include "mlpipe/io/serialize.hpp"
#include "mlpipe/feature_selection/rfe.hpp"
#include "mlpipe/models/elastic_net.hpp"
#include "mlpipe/models/forest.hpp"
#include "mlpipe/models/logistic_regression.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/tuning/grid_search.hpp"
#include "mlpipe/tuning/halving.hpp"
#include "mlpipe/tuning/random_search.hpp"
#include "mlpipe/tuning/tpe_search.hpp"
#include "mlpipe/validation/benchmark.hpp"
#include "mlpipe/validation/cross_validate.hpp"
#include "mlpipe/validation/curves.hpp"
#include "mlpipe/validation/permutation.hpp"
#include "mlpipe/validation/splitters.hpp"
#include "mlpipe/preprocessing/min_max_scaler.hpp"
#include "mlpipe/preprocessing/simple_imputer.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "support.hpp"

#define MLPIPE_COUNTER_ONLY  // the counting operator new is defined in tests/counting_new.cpp
#include "counting_new.hpp"
#undef MLPIPE_COUNTER_ONLY

namespace test_dynamic_tests {

namespace mp = mlpipe;

// A file name of this process's own: ctest runs the test cases in parallel processes, in one folder.
std::string own_path(const std::string& stem, const std::string& extension) {
  return stem + "_" + std::to_string(::getpid()) + extension;
}

// The envelope without its time stamp, for comparing saved files.
nlohmann::json without_time(nlohmann::json envelope) {
  envelope["metadata"].erase("saved_at");
  return envelope;
}

nlohmann::json saved(const mp::any_model& m) {
  const std::string path = own_path("test_dynamic_saved", ".json");
  mp::save(m, path);
  nlohmann::json j = mp::test::read_json(path);
  std::remove(path.c_str());
  return without_time(j);
}

template <class Fitted>
nlohmann::json saved_static(const Fitted& f) {
  return without_time(mp::to_json(f));
}

// The static pipeline and its spec agree: the same spec, fit, predictions and saved file; each loads the other's
// file; returns the dynamic model.
template <class Static>
mp::any_model check_agreement(const Static& pipe, const std::string& spec, const mp::matrix& X, const mp::vector& y) {
  const auto fitted = pipe.fit(X, y);
  const auto p = mp::any_pipeline::from_json(spec);
  CHECK(nlohmann::json::parse(p.spec_json()) == nlohmann::json::parse(mp::any_pipeline(pipe).spec_json()));
  CHECK(p.param_names() == mp::param_names(pipe));
  const mp::any_model m = p.fit(X, y);
  CHECK(m.signature() == mp::detail::signature<std::remove_cvref_t<decltype(fitted)>>());
  if constexpr (mp::fitted_predictor<std::remove_cvref_t<decltype(fitted)>>) {
    CHECK((m.predict(X).array() == fitted.predict(X).array()).all());
  } else {
    CHECK((m.transform(X).array() == fitted.transform(X).array()).all());
  }
  CHECK(saved(m) == saved_static(fitted));
  const std::string path = own_path("test_dynamic_agreement", ".json");
  mp::save(fitted, path);
  CHECK(saved(mp::load_any(path)) == saved_static(fitted));
  mp::save(m, path);
  CHECK(saved_static(mp::load<std::remove_cvref_t<decltype(fitted)>>(path)) == saved_static(fitted));
  std::remove(path.c_str());
  // A saved model's spec refits the same model.
  CHECK(saved(m.spec().fit(X, y)) == saved(m));
  return m;
}

// A user's stage: adds offset to every value.
struct shift {
  static constexpr std::string_view kind = "test_shift";

  double offset = 1.0;  // added to every value; finite

  static constexpr auto params = std::tuple{mp::param<"offset">(&shift::offset)};

  class fitted;
  fitted fit(const mp::matrix_view& X, const mp::vector_view& y = mp::vector()) const;
};

class shift::fitted {
 public:
  static constexpr std::string_view kind = shift::kind;
  static constexpr int schema_version = 1;

  fitted() = default;
  fitted(shift spec, mp::index n) : spec_(spec), n_(n) {}

  mp::index n_features_in() const { return n_; }
  mp::index n_features_out() const { return n_; }
  mp::matrix transform(const mp::matrix_view& X) const {
    mp::detail::check_predict_input(kind, X, n_);
    return X.array() + spec_.offset;
  }
  void transform_one(std::span<const double> in, std::span<double> out) const {
    for (std::size_t i = 0; i < in.size(); ++i) out[i] = in[i] + spec_.offset;
  }
  void check_invariants() const { mp::detail::check_state_count(kind, "state.n_features_in", n_, 1); }
  template <class Archive>
  void serialize(Archive& ar) {
    ar.params(spec_);
    ar("n_features_in", n_);
  }

 private:
  shift spec_;
  mp::index n_ = 0;
};

shift::fitted shift::fit(const mp::matrix_view& X, const mp::vector_view&) const {
  mp::validate_params(*this);
  mp::detail::check_not_empty(kind, X);
  return fitted(*this, X.cols());
}

using mlpipe::test::allocations_per_call;

TEST_CASE("any_model wraps a fitted static pipeline and predicts and saves what it does", "[dynamic]") {
  const auto& data = mp::test::load("breast_cancer.csv");
  const auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"select">(mp::select_k_best{.k = 10}) |
                    mp::step<"model">(mp::logistic_regression{});
  const auto fitted = pipe.fit(data.X, data.y);
  const mp::any_model m(fitted);
  CHECK(m.wrapped_kind() == "pipeline");
  CHECK(m.is_classifier());
  CHECK(m.n_features_in() == data.X.cols());
  CHECK((m.predict(data.X).array() == fitted.predict(data.X).array()).all());
  CHECK((m.predict_proba(data.X).array() == fitted.predict_proba(data.X).array()).all());
  CHECK((m.decision_function(data.X).array() == fitted.decision_function(data.X).array()).all());
  CHECK((m.classes().array() == fitted.classes().array()).all());
  const std::vector<double> row(data.X.row(3).data(), data.X.row(3).data() + 0);
  mp::vector r = data.X.row(3).transpose();
  CHECK(m.predict_one(std::span<const double>(r.data(), r.size())) ==
        fitted.predict_one(std::span<const double>(r.data(), r.size())));
  CHECK(saved(m) == saved_static(fitted));
  CHECK(m.signature() == "pipeline(scale:standard_scaler,select:select_k_best,model:logistic_regression)");
}

TEST_CASE("load_any loads a file saved by a static program and one saved by any_model", "[dynamic]") {
  const auto& data = mp::test::load("breast_cancer.csv");
  const auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"select">(mp::select_k_best{.k = 10}) |
                    mp::step<"model">(mp::logistic_regression{});
  const auto fitted = pipe.fit(data.X, data.y);
  const std::string path = own_path("test_dynamic_static", ".json");
  mp::save(fitted, path);
  const mp::any_model m = mp::load_any(path);
  CHECK((m.predict_proba(data.X).array() == fitted.predict_proba(data.X).array()).all());
  CHECK(saved(m) == saved_static(fitted));
  mp::save(m, path);
  const auto back = mp::load<std::remove_cvref_t<decltype(fitted)>>(path);
  CHECK((back.predict_proba(data.X).array() == fitted.predict_proba(data.X).array()).all());
  std::remove(path.c_str());
}

TEST_CASE("from_json builds the pipeline the static code builds, bit for bit", "[dynamic]") {
  const auto& data = mp::test::load("breast_cancer.csv");
  const auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"select">(mp::select_k_best{.k = 10}) |
                    mp::step<"model">(mp::logistic_regression{.C = 0.5});
  const auto fitted = pipe.fit(data.X, data.y);
  const auto p = mp::any_pipeline::from_json(R"({"steps": [
      {"name": "scale", "kind": "standard_scaler"},
      {"name": "select", "kind": "select_k_best", "params": {"k": 10}},
      {"name": "model", "kind": "logistic_regression", "params": {"C": 0.5}}]})");
  const mp::any_model m = p.fit(data.X, data.y);
  CHECK((m.predict_proba(data.X).array() == fitted.predict_proba(data.X).array()).all());
  CHECK(saved(m) == saved_static(fitted));
  CHECK(p.spec_json() == mp::any_pipeline(pipe).spec_json());
  CHECK(p.param_names() == pipe.param_names());
}

TEST_CASE("set_param on any_pipeline takes run-time paths with did-you-mean errors", "[dynamic]") {
  auto p = mp::any_pipeline::from_json(R"({"steps": [{"name": "scale", "kind": "standard_scaler"},
                                                     {"name": "model", "kind": "ridge"}]})");
  const auto copy = p;
  p.set_param("model.alpha", 2.5);
  CHECK(std::get<double>(p.get_param("model.alpha")) == 2.5);
  CHECK(std::get<double>(copy.get_param("model.alpha")) == 1.0);  // copies are independent
  mp::set_param(p, "scale.with_mean", false);  // the free functions take it as a static stage
  CHECK(std::get<bool>(mp::get_param(p, "scale.with_mean")) == false);
  CHECK(mp::param_names(p) == p.param_names());
  const auto static_pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{});
  auto typo = [](auto stage) { mp::set_param(stage, "model.alpah", 1.0); };
  CHECK(mp::test::error_message<mp::invalid_parameter>([&] { typo(p); }) ==
        mp::test::error_message<mp::invalid_parameter>([&] { typo(static_pipe); }));
  auto wrong = [](auto stage) { mp::set_param(stage, "model.alpha", std::string("big")); };
  CHECK(mp::test::error_message<mp::invalid_parameter>([&] { wrong(p); }) ==
        mp::test::error_message<mp::invalid_parameter>([&] { wrong(static_pipe); }));
  CHECK(mp::test::error_message<mp::invalid_parameter>([&] { typo(p); }) ==
        "unknown parameter path 'model.alpah'; did you mean 'model.alpha'? Valid paths: scale.with_mean, "
        "scale.with_std, model.alpha, model.fit_intercept");
}

TEST_CASE("cross_validate and grid_search take any_pipeline and score what the static pipeline scores",
          "[dynamic]") {
  const auto& data = mp::test::load("breast_cancer.csv");
  const auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"select">(mp::select_k_best{.k = 10}) |
                    mp::step<"model">(mp::logistic_regression{});
  const auto p = mp::any_pipeline::from_json(R"({"steps": [
      {"name": "scale", "kind": "standard_scaler"},
      {"name": "select", "kind": "select_k_best", "params": {"k": 10}},
      {"name": "model", "kind": "logistic_regression"}]})");
  const auto cv = mp::stratified_kfold{.n_splits = 3};
  const auto s = mp::cross_validate(pipe, data.X, data.y, cv);
  const auto d = mp::cross_validate(p, data.X, data.y, cv);
  CHECK(d.scorer_names() == s.scorer_names());
  CHECK(d.test_scores() == s.test_scores());
  CHECK(d.scorer_names() == std::vector<std::string>{"accuracy"});  // the default for a classifier
  const auto& diabetes = mp::test::load("diabetes.csv");
  const auto reg = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{});
  const auto dreg = mp::any_pipeline(reg);
  const auto rs = mp::cross_validate(reg, diabetes.X, diabetes.y, mp::kfold{.n_splits = 4});
  const auto rd = mp::cross_validate(dreg, diabetes.X, diabetes.y, mp::kfold{.n_splits = 4});
  CHECK(rd.scorer_names() == std::vector<std::string>{"r2"});
  CHECK(rd.test_scores() == rs.test_scores());
  // Curves and permutation importance take the regressor's defaults too (plain folds, r2).
  const auto cs = mp::validation_curve(reg, diabetes.X, diabetes.y, "model.alpha", {0.1, 10.0});
  const auto cd = mp::validation_curve(dreg, diabetes.X, diabetes.y, "model.alpha", {0.1, 10.0});
  CHECK((cd.test_scores.array() == cs.test_scores.array()).all());
  const auto ps = mp::permutation_importance(reg.fit(diabetes.X, diabetes.y), diabetes.X, diabetes.y);
  const auto pd = mp::permutation_importance(dreg.fit(diabetes.X, diabetes.y), diabetes.X, diabetes.y);
  CHECK(pd.scorer_names() == std::vector<std::string>{"r2"});
  CHECK((pd.importances().array() == ps.importances().array()).all());

  const mp::grid space{{"model.C", {0.1, 1.0}}, {"select.k", {5, 10}}};
  const auto gs = mp::grid_search(pipe, space, {.cv = cv, .warm_start = false}).fit(data.X, data.y);
  const auto gd = mp::grid_search(p, space, {.cv = cv, .warm_start = false}).fit(data.X, data.y);
  // Without a splitter the search takes stratified folds for a classifier, as for the static pipeline.
  CHECK(mp::grid_search(p, space, {.warm_start = false}).fit(data.X, data.y).results().mean_test_score() ==
        mp::grid_search(pipe, space, {.warm_start = false}).fit(data.X, data.y).results().mean_test_score());
  CHECK(gd.results().mean_test_score() == gs.results().mean_test_score());
  CHECK(gd.best_index() == gs.best_index());
  CHECK((gd.predict(data.X).array() == gs.predict(data.X).array()).all());
}

TEST_CASE("from_json builds unions and column routing that agree with the static ones", "[dynamic]") {
  const auto& data = mp::test::load("breast_cancer.csv");
  const auto& diabetes = mp::test::load("diabetes.csv");
  check_agreement(mp::step<"features">(mp::union_of(mp::step<"std">(mp::standard_scaler{}),
                                                     mp::step<"mm">(mp::min_max_scaler{}))) |
                      mp::step<"model">(mp::logistic_regression{}),
                  R"({"steps": [{"name": "features", "kind": "feature_union", "steps": [
                                   {"name": "std", "kind": "standard_scaler"},
                                   {"name": "mm", "kind": "min_max_scaler"}]},
                                {"name": "model", "kind": "logistic_regression"}]})",
                  data.X, data.y);
  const mp::any_model m = check_agreement(
      mp::step<"prep">(mp::column_transformer(
          mp::remainder::passthrough,
          mp::step<"num">(mp::columns({0, 2, 3}, mp::step<"scale">(mp::standard_scaler{}) |
                                                     mp::step<"select">(mp::select_k_best{.k = 2,
                                                                                          .score = mp::f_regression}))),
          mp::step<"mm">(mp::columns({5, 4}, mp::min_max_scaler{})))) |
          mp::step<"model">(mp::ridge{.alpha = 0.5}),
      R"({"steps": [{"name": "prep", "kind": "column_transformer", "params": {"remainder": "passthrough"}, "steps": [
             {"name": "num", "kind": "columns", "params": {"columns": [0, 2, 3]}, "inner": {"steps": [
                {"name": "scale", "kind": "standard_scaler"},
                {"name": "select", "kind": "select_k_best", "params": {"k": 2, "score": "f_regression"}}]}},
             {"name": "mm", "kind": "columns", "params": {"columns": [5, 4]}, "inner": {"kind": "min_max_scaler"}}]},
          {"name": "model", "kind": "ridge", "params": {"alpha": 0.5}}]})",
      diabetes.X, diabetes.y);
  CHECK(!m.is_classifier());
  mp::vector row = diabetes.X.row(7).transpose();
  const std::span<const double> r(row.data(), static_cast<std::size_t>(row.size()));
  CHECK(m.predict_one(r) == m.predict(diabetes.X.topRows(8))(7));
#if MLPIPE_COUNT_ALLOCATIONS
  double sink = 0.0;
  CHECK(allocations_per_call([&] { sink += m.predict_one(r); }) == 0);
  CHECK(sink != 0.0);
#endif
}

TEST_CASE("predict_one through any_model is allocation-free and gives predict's numbers", "[dynamic]") {
  const auto& data = mp::test::load("breast_cancer.csv");
  const auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"select">(mp::select_k_best{.k = 10}) |
                    mp::step<"model">(mp::logistic_regression{});
  const mp::any_model wrapped(pipe.fit(data.X, data.y));
  const mp::any_model built = mp::any_pipeline::from_json(mp::any_pipeline(pipe).spec_json()).fit(data.X, data.y);
  const mp::vector expected = wrapped.predict(data.X);
  for (const mp::any_model* m : {&wrapped, &built}) {
    for (mp::index i = 0; i < 20; ++i) {
      mp::vector row = data.X.row(i).transpose();
      CHECK(m->predict_one(std::span<const double>(row.data(), static_cast<std::size_t>(row.size()))) == expected(i));
    }
    mp::vector row = data.X.row(0).transpose();
    const std::span<const double> r(row.data(), static_cast<std::size_t>(row.size()));
    std::vector<double> proba(2);
#if MLPIPE_COUNT_ALLOCATIONS
    double sink = 0.0;
    CHECK(allocations_per_call([&] { sink += m->predict_one(r); }) == 0);
    CHECK(allocations_per_call([&] { m->predict_proba_one(r, proba); }) == 0);
    CHECK(sink >= 0.0);
#endif
  }
}

TEST_CASE("from_json builds selectors with an inner estimator, forests and regressors as the static code does",
          "[dynamic]") {
  const auto& data = mp::test::load("breast_cancer.csv");
  const auto& diabetes = mp::test::load("diabetes.csv");
  check_agreement(mp::step<"scale">(mp::standard_scaler{}) |
                      mp::step<"select">(mp::rfe<mp::logistic_regression>{.n_features_to_select = 5, .step = 3}) |
                      mp::step<"model">(mp::logistic_regression{}),
                  R"({"steps": [{"name": "scale", "kind": "standard_scaler"},
                                {"name": "select", "kind": "rfe", "params": {"n_features_to_select": 5, "step": 3},
                                 "estimator": {"kind": "logistic_regression"}},
                                {"name": "model", "kind": "logistic_regression"}]})",
                  data.X, data.y);
  check_agreement(mp::make_pipeline(mp::step<"model">(mp::random_forest_classifier{.n_estimators = 10, .seed = 3})),
                  R"({"steps": [{"name": "model", "kind": "random_forest_classifier",
                                 "params": {"n_estimators": 10, "seed": 3}}]})",
                  data.X, data.y);
  check_agreement(mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::lasso{.alpha = 0.1}),
                  R"({"steps": [{"name": "scale", "kind": "standard_scaler"},
                                {"name": "model", "kind": "lasso", "params": {"alpha": 0.1}}]})",
                  diabetes.X, diabetes.y);
  // The inner estimator's parameters are paths too.
  auto p = mp::any_pipeline::from_json(R"({"kind": "rfe", "estimator": {"kind": "logistic_regression"}})");
  p.set_param("estimator.C", 0.25);
  CHECK(std::get<double>(p.get_param("estimator.C")) == 0.25);
  CHECK(p.param_names() == mp::param_names(mp::rfe<mp::logistic_regression>{}));
}

TEST_CASE("every stage kind of the library is registered", "[dynamic]") {
  const std::vector<std::string> kinds = mp::registered_kinds();
  for (const char* kind : {"standard_scaler", "min_max_scaler", "simple_imputer", "variance_threshold",
                           "select_k_best", "select_percentile", "select_fpr", "select_fdr", "select_fwe",
                           "generic_univariate_select", "select_from_model", "rfe", "rfecv",
                           "sequential_feature_selector", "exhaustive_feature_selector", "ridge", "lasso",
                           "elastic_net", "logistic_regression", "ridge_classifier", "linear_svc", "gaussian_nb",
                           "multinomial_nb", "bernoulli_nb", "k_neighbors_classifier", "k_neighbors_regressor",
                           "decision_tree_classifier", "decision_tree_regressor", "random_forest_classifier",
                           "random_forest_regressor", "extra_trees_classifier", "extra_trees_regressor"}) {
    INFO(kind);
    CHECK(std::find(kinds.begin(), kinds.end(), kind) != kinds.end());
    // Each builds from its kind alone and reports its own kind.
    const auto p = mp::any_pipeline::from_json(R"({"kind": ")" + std::string(kind) + R"("})");
    CHECK(p.wrapped_kind() == kind);
  }
}

TEST_CASE("bad specs, files and calls are precise errors", "[dynamic]") {
  const auto& data = mp::test::load("diabetes.csv");
  using mp::test::error_message;
  CHECK(error_message<mp::invalid_parameter>([] { (void)mp::any_pipeline::from_json(R"({"steps": [)"); }) ==
        "spec: malformed JSON ([json.exception.parse_error.101] parse error at line 1, column 12: syntax error while "
        "parsing value - unexpected end of input; expected '[', '{', or a literal)");
  std::string registered;
  {
    std::vector<std::string> names = mp::registered_kinds();
    for (const char* composite : {"pipeline", "feature_union", "column_transformer", "columns", "one_of"})
      names.emplace_back(composite);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) registered += (registered.empty() ? "" : ", ") + n;
  }
  CHECK(error_message<mp::invalid_parameter>([] {
          (void)mp::any_pipeline::from_json(R"({"steps": [{"name": "m", "kind": "random_forest_classifer"}]})");
        }) == "spec steps[0] 'm': stage kind 'random_forest_classifer' is not registered; did you mean "
              "'random_forest_classifier'? Registered kinds: " + registered +
                  ". Register your own stage with mlpipe::register_stage<S>()");
  CHECK(error_message<mp::invalid_parameter>([] {
          (void)mp::any_pipeline::from_json(R"({"steps": [{"name": "m", "kind": "ridge", "params": {"alpah": 1}}]})");
        }) == "spec steps[0] 'm': ridge: unknown parameter path 'alpah'; did you mean 'alpha'? Valid paths: alpha, "
              "fit_intercept");
  CHECK(error_message<mp::invalid_parameter>([] {
          (void)mp::any_pipeline::from_json(R"({"steps": [{"name": "m", "kind": "ridge", "params": {"alpha": "big"}}]})");
        }) == "spec steps[0] 'm': parameter 'alpha' of ridge expects a real number, got \"big\" (a string)");
  CHECK(error_message<mp::invalid_parameter>([] {
          (void)mp::any_pipeline::from_json(R"({"steps": [{"name": "model", "kind": "ridge"},
                                                          {"name": "scale", "kind": "standard_scaler"}]})");
        }) == "spec: pipeline: only the last step of a pipeline may be a model; every earlier step must be a "
              "transformer (its fitted type has transform(X)); move the model to the end of the pipeline (step "
              "'model' (ridge) is step 1 of 2)");
  const auto p = mp::any_pipeline::from_json(R"({"steps": [{"name": "scale", "kind": "standard_scaler"},
                                                           {"name": "model", "kind": "ridge"}]})");
  const mp::any_model m = p.fit(data.X, data.y);
  CHECK(error_message<mp::invalid_input>([&] { (void)m.predict_proba(data.X); }) ==
        "any_model: predict_proba is not available: step 'model' (ridge) has no class probabilities; expected a "
        "classifier with predict_proba");
  CHECK(error_message<mp::invalid_input>([&] { (void)m.transform(data.X); }) ==
        "any_model: transform is not available: step 'model' (ridge) is a model, not a transformer; expected a "
        "transformer (transform as the last step)");
  // A file whose kind no registered stage has.
  const std::string path = own_path("test_dynamic_unknown_kind", ".json");
  nlohmann::json envelope = mp::to_json(m);
  envelope["model"]["steps"][1]["kind"] = "my_ridge";
  envelope["signature"] = "pipeline(scale:standard_scaler,model:my_ridge)";
  {
    std::ofstream out(path);
    out << envelope.dump();
  }
  CHECK(error_message<mp::load_error>([&] { (void)mp::load_any(path); }) ==
        path + ": model steps[1] 'model': stage kind 'my_ridge' is not registered. Registered kinds: " + registered +
            ". Register your own stage with mlpipe::register_stage<S>()");
  std::remove(path.c_str());
}

TEST_CASE("the benchmark harness takes any_pipeline with the static pipeline's default folds and scorer",
          "[dynamic]") {
  const auto& diabetes = mp::test::load("diabetes.csv");
  const auto reg = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{});
  const auto bench = mp::benchmark(mp::named("static", reg), mp::named("dynamic", mp::any_pipeline(reg)))
                         .on(mp::named("diabetes", diabetes))
                         .run({});
  const auto& rows = bench.results().rows();
  REQUIRE(rows.size() == 10);
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(rows[i].pipeline == "static");
    CHECK(rows[i + 5].pipeline == "dynamic");
    CHECK(rows[i + 5].metric == "r2");
    CHECK(rows[i + 5].value == rows[i].value);
  }
}

TEST_CASE("register_stage adds a user's stage to from_json and load_any with one line", "[dynamic]") {
  const auto& data = mp::test::load("diabetes.csv");
  const std::string spec = R"({"steps": [{"name": "s", "kind": "test_shift", "params": {"offset": 2}},
                                         {"name": "m", "kind": "ridge"}]})";
  CHECK_THROWS_AS(mp::any_pipeline::from_json(spec), mp::invalid_parameter);
  mp::register_stage<shift>();
  const auto m = check_agreement(mp::step<"s">(shift{.offset = 2.0}) | mp::step<"m">(mp::ridge{}), spec, data.X, data.y);
  CHECK(m.signature() == "pipeline(s:test_shift,m:ridge)");
  // Files in memory, in every format the program reads.
  const std::string text = mp::to_json(m).dump();
  const auto loaded = mp::load_any_from_bytes(std::as_bytes(std::span(text)), mp::file_format::json);
  CHECK((loaded.predict(data.X).array() == m.predict(data.X).array()).all());
  for (const std::string& path :
       {own_path("test_dynamic_model", ".cbor"), own_path("test_dynamic_model", ".msgpack")}) {
    mp::save(m, path);
    CHECK(saved(mp::load_any(path)) == saved(m));
    std::remove(path.c_str());
  }
}

TEST_CASE("check_stage asks any_pipeline whether the stage it holds accepts NaN", "[dynamic]") {
  const auto& data = mp::test::load("breast_cancer.csv");
  const auto imputed = mp::any_pipeline::from_json(R"({"steps": [{"name": "impute", "kind": "simple_imputer"},
                                                                 {"name": "model", "kind": "logistic_regression"}]})");
  CHECK(imputed.roles().allows_nan);
  CHECK(mp::any_pipeline(mp::step<"impute">(mp::simple_imputer{}) | mp::step<"model">(mp::logistic_regression{}))
            .roles()
            .allows_nan);
  const mp::testing::report report = mp::testing::check_stage(imputed, data.X, data.y);
  INFO(report.to_string());
  CHECK(report.ok());
  CHECK(report.find("fit_rejects_nan")->status == mp::testing::rule_status::skipped);

  // A scaler first rejects NaN, and check_stage checks that it does.
  const auto scaled = mp::any_pipeline::from_json(R"({"steps": [{"name": "scale", "kind": "standard_scaler"},
                                                                {"name": "impute", "kind": "simple_imputer"}]})");
  CHECK_FALSE(scaled.roles().allows_nan);
  CHECK(mp::testing::check_stage(scaled, data.X, data.y).find("fit_rejects_nan")->status ==
        mp::testing::rule_status::passed);

  // A row of NaN reaches every branch of a union: accepted when every branch accepts it, as feature_union.
  const auto union_of = [](const char* second) {
    return mp::any_pipeline::from_json(std::string(R"({"steps": [{"name": "u", "kind": "feature_union", "steps": [
                                                       {"name": "i", "kind": "simple_imputer"},
                                                       {"name": "b", "kind": ")") +
                                       second + R"("}]}]})");
  };
  CHECK(union_of("min_max_scaler").roles().allows_nan);
  CHECK_FALSE(union_of("standard_scaler").roles().allows_nan);
  mp::test::expect_conformant(union_of("min_max_scaler"), data.X, data.y);
}

TEST_CASE("any_pipeline and any_model keep the stage contract (check_stage)", "[dynamic]") {
  const auto& data = mp::test::load("breast_cancer.csv");
  const auto& diabetes = mp::test::load("diabetes.csv");
  mp::test::expect_conformant(
      mp::any_pipeline::from_json(R"({"steps": [{"name": "scale", "kind": "standard_scaler"},
                                                {"name": "model", "kind": "logistic_regression"}]})"),
      data.X, data.y);
  mp::test::expect_conformant(
      mp::any_pipeline(mp::step<"scale">(mp::min_max_scaler{}) | mp::step<"model">(mp::ridge{})), diabetes.X,
      diabetes.y);
  mp::test::expect_conformant(mp::any_pipeline::from_json(R"({"kind": "standard_scaler"})"), diabetes.X, diabetes.y);
  // The run-time one_of and a search over an inner spec.
  const auto& iris = mp::test::load("iris.csv");
  mp::test::expect_conformant(mp::any_pipeline::from_json(R"({"kind": "one_of", "params": {"": "lasso"},
                                                                "steps": [{"kind": "ridge"}, {"kind": "lasso"}]})"),
                              diabetes.X, diabetes.y);
  mp::test::expect_conformant(
      mp::any_pipeline::from_json(R"({"kind": "grid_search", "params": {
          "estimator": {"steps": [{"name": "scale", "kind": "standard_scaler"},
                                  {"name": "model", "kind": "logistic_regression"}]},
          "space": {"model.C": [0.1, 1.0]}, "cv": {"kind": "stratified_kfold", "params": {"n_splits": 2}}}})"),
      iris.X, iris.y);
}

}  // namespace test_dynamic_tests

namespace test_dynamic_tests {

// A saved search without what differs from one run to the next: the time stamp and the measured times.
nlohmann::json without_times(nlohmann::json envelope) {
  envelope["metadata"].erase("saved_at");
  // and the counts of stage fits, which count the prefixes the search could share: a run-time pipeline is one
  // step to the search, so it shares none (the same scores either way).
  for (const char* key : {"fit_times", "score_times", "refit_time", "stage_fits", "stage_fits_without_reuse"})
    envelope["model"]["state"].erase(key);
  return envelope;
}

// A static search, its JSON spec and the data: the spec's search has the same table, best candidate, predictions
// and saved file (times aside); load_any loads the static file and load<> the dynamic one.
template <class StaticSearch>
void check_search_agreement(const StaticSearch& search, const std::string& spec, const mp::matrix& X,
                            const mp::vector& y) {
  const auto fitted = search.fit(X, y);
  using fitted_type = std::remove_cvref_t<decltype(fitted)>;
  const auto p = mp::any_pipeline::from_json(spec);
  CHECK(p.wrapped_kind() == fitted_type::kind);
  CHECK(p.is_classifier());
  CHECK(nlohmann::json::parse(mp::any_pipeline::from_json(p.spec_json()).spec_json()) ==
        nlohmann::json::parse(p.spec_json()));
  const mp::any_model m = p.fit(X, y);
  CHECK(m.signature() == mp::detail::signature<fitted_type>());
  CHECK((m.predict_proba(X).array() == fitted.predict_proba(X).array()).all());
  const nlohmann::json dynamic_file = without_times(saved_static(m));
  const nlohmann::json static_file = without_times(saved_static(fitted));
  CHECK(dynamic_file == static_file);  // the table's scores, the candidates, the best index, the best model
  CHECK(dynamic_file["model"]["state"]["test_scores"] == static_file["model"]["state"]["test_scores"]);
  const std::string path = own_path("test_dynamic_search", ".json");
  mp::save(fitted, path);
  const mp::any_model loaded = mp::load_any(path);
  CHECK(loaded.wrapped_kind() == fitted_type::kind);
  CHECK(loaded.is_classifier());
  CHECK((loaded.predict(X).array() == fitted.predict(X).array()).all());
  CHECK((loaded.predict_proba(X).array() == fitted.predict_proba(X).array()).all());
  CHECK(saved(loaded) == without_time(mp::to_json(fitted)));  // the same file, its times included
  mp::save(m, path);
  const auto back = mp::load<fitted_type>(path);
  CHECK(back.best_index() == fitted.best_index());
  CHECK(back.results().mean_test_score() == fitted.results().mean_test_score());
  CHECK((back.predict(X).array() == fitted.predict(X).array()).all());
  std::remove(path.c_str());
  // The spec of a saved search refits: its best model's spec over the candidates it tried.
  const mp::any_model refit = loaded.spec().fit(X, y);
  CHECK(refit.signature() == m.signature());
}

TEST_CASE("searches are registered kinds: from_json builds them as the static code does and load_any loads them",
          "[dynamic][search]") {
  const auto& data = mp::test::load("iris.csv");
  const auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::logistic_regression{});
  const std::string estimator = R"({"steps": [{"name": "scale", "kind": "standard_scaler"},
                                              {"name": "model", "kind": "logistic_regression"}]})";
  const std::string cv = R"({"kind": "stratified_kfold", "params": {"n_splits": 3}})";
  const auto folds = mp::stratified_kfold{.n_splits = 3};
  SECTION("grid_search") {
    check_search_agreement(
        mp::grid_search(pipe, mp::grid{{"model.C", {0.1, 1.0, 10.0}}}, {.cv = folds}),
        R"({"kind": "grid_search", "params": {"estimator": )" + estimator +
            R"(, "space": {"model.C": [0.1, 1.0, 10.0]}, "cv": )" + cv + "}}",
        data.X, data.y);
  }
  SECTION("random_search") {
    check_search_agreement(
        mp::random_search(pipe, mp::space{{"model.C", mp::loguniform(0.01, 10.0)}},
                          {.n_iter = 4, .seed = 3, .cv = folds}),
        R"({"kind": "random_search", "params": {"estimator": )" + estimator +
            R"(, "space": {"model.C": {"loguniform": [0.01, 10.0]}}, "n_iter": 4, "seed": 3, "cv": )" + cv + "}}",
        data.X, data.y);
  }
  SECTION("tpe_search") {
    check_search_agreement(
        mp::tpe_search(pipe, mp::space{{"model.C", mp::loguniform(0.01, 10.0)}},
                       {.n_trials = 5, .seed = 2, .cv = folds}),
        R"({"kind": "tpe_search", "params": {"estimator": )" + estimator +
            R"(, "space": {"model.C": {"loguniform": [0.01, 10.0]}}, "n_trials": 5, "seed": 2, "cv": )" + cv + "}}",
        data.X, data.y);
  }
  SECTION("halving_grid_search") {
    check_search_agreement(
        mp::halving_grid_search(pipe, mp::grid{{"model.C", {0.01, 0.1, 1.0, 10.0}}}, {.factor = 2.0, .cv = folds}),
        R"({"kind": "halving_grid_search", "params": {"estimator": )" + estimator +
            R"(, "space": {"model.C": [0.01, 0.1, 1.0, 10.0]}, "factor": 2.0, "cv": )" + cv + "}}",
        data.X, data.y);
  }
  SECTION("halving_grid_search with a parameter as its resource") {
    check_search_agreement(
        mp::halving_grid_search(pipe, mp::grid{{"model.C", {0.01, 0.1, 1.0, 10.0}}},
                                {.factor = 2.0,
                                 .resource = "model.max_iter",
                                 .min_resources = mp::resource_amount{std::int64_t{2}},
                                 .max_resources = std::int64_t{8},
                                 .aggressive_elimination = true,
                                 .cv = folds}),
        R"({"kind": "halving_grid_search", "params": {"estimator": )" + estimator +
            R"(, "space": {"model.C": [0.01, 0.1, 1.0, 10.0]}, "factor": 2.0, "resource": "model.max_iter",
                "min_resources": 2, "max_resources": 8, "aggressive_elimination": true, "cv": )" +
            cv + "}}",
        data.X, data.y);
  }
  SECTION("halving_random_search") {
    check_search_agreement(
        mp::halving_random_search(pipe, mp::space{{"model.C", mp::loguniform(0.01, 10.0)}},
                                  {.n_candidates = std::int64_t{4}, .factor = 2.0, .seed = 1, .cv = folds}),
        R"({"kind": "halving_random_search", "params": {"estimator": )" + estimator +
            R"(, "space": {"model.C": {"loguniform": [0.01, 10.0]}}, "n_iter": 4, "factor": 2.0, "seed": 1, "cv": )" +
            cv + "}}",
        data.X, data.y);
  }
  SECTION("halving_random_search with as many candidates as its last iteration can use") {
    check_search_agreement(
        mp::halving_random_search(pipe, mp::space{{"model.C", mp::loguniform(0.01, 10.0)}},
                                  {.n_candidates = std::string("exhaust"), .factor = 2.0, .seed = 5, .cv = folds}),
        R"({"kind": "halving_random_search", "params": {"estimator": )" + estimator +
            R"(, "space": {"model.C": {"loguniform": [0.01, 10.0]}}, "n_iter": "exhaust", "factor": 2.0, "seed": 5,
                "cv": )" +
            cv + "}}",
        data.X, data.y);
  }
  SECTION("hyperband") {
    check_search_agreement(
        mp::hyperband{pipe, mp::space{{"model.C", mp::loguniform(0.01, 10.0)}},
                      {.resource = "model.max_iter", .max_resource = 9, .min_resource = 1, .factor = 3.0, .seed = 2,
                       .cv = folds}},
        R"({"kind": "hyperband", "params": {"estimator": )" + estimator +
            R"(, "space": {"model.C": {"loguniform": [0.01, 10.0]}}, "resource": "model.max_iter", "max_resource": 9,
                "min_resource": 1, "factor": 3.0, "seed": 2, "cv": )" +
            cv + "}}",
        data.X, data.y);
  }
}

TEST_CASE("a saved hyperband search loads through load_any as the model it saved", "[dynamic][search]") {
  const auto& data = mp::test::load("iris.csv");
  const auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::logistic_regression{});
  const auto fitted = mp::hyperband{pipe, mp::space{{"model.C", mp::loguniform(0.01, 10.0)}},
                                    {.resource = "model.max_iter", .max_resource = 9, .factor = 3.0, .seed = 0,
                                     .cv = mp::stratified_kfold{.n_splits = 3}}}
                          .fit(data.X, data.y);
  const std::string path = own_path("test_dynamic_hyperband", ".json");
  mp::save(fitted, path);
  const mp::any_model loaded = mp::load_any(path);
  std::remove(path.c_str());
  CHECK(loaded.wrapped_kind() == "hyperband");
  CHECK(loaded.is_classifier());
  CHECK((loaded.predict(data.X).array() == fitted.predict(data.X).array()).all());
  CHECK((loaded.predict_proba(data.X).array() == fitted.predict_proba(data.X).array()).all());
  CHECK(saved(loaded) == saved_static(fitted));  // the same file: table, brackets, best model
  // Its spec searches the values it tried with the resource it used, which the table's n_resources tells.
  const auto spec = nlohmann::json::parse(loaded.spec_json());
  CHECK(spec["params"]["resource"] == "model.max_iter");
  CHECK(spec["params"]["max_resource"] == 9);
  CHECK(spec["params"]["min_resource"] == 1);
  CHECK(spec["params"]["space"].contains("model.C"));
  CHECK_FALSE(spec["params"]["space"].contains("model.max_iter"));
}

TEST_CASE("a saved halving search's spec carries the parameter it used as its resource", "[dynamic][search]") {
  const auto& data = mp::test::load("iris.csv");
  const auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::logistic_regression{});
  const mp::halving_options options{.resource = "model.max_iter",
                                    .min_resources = mp::resource_amount{std::int64_t{1}},
                                    .max_resources = std::int64_t{9},
                                    .cv = mp::stratified_kfold{.n_splits = 3}};
  const auto on_parameter = mp::halving_grid_search(pipe, mp::grid{{"model.C", {0.01, 0.1, 1.0}}}, options).fit(
      data.X, data.y);
  const std::string path = own_path("test_dynamic_halving", ".json");
  mp::save(on_parameter, path);
  const mp::any_model loaded = mp::load_any(path);
  std::remove(path.c_str());
  const auto spec = nlohmann::json::parse(loaded.spec_json());
  CHECK(spec["params"]["resource"] == "model.max_iter");
  CHECK(spec["params"]["min_resources"] == 1);
  CHECK(spec["params"]["max_resources"] == 3);  // the most a candidate got: three candidates, factor 3, from 1
  CHECK(spec["params"]["space"] == nlohmann::json::parse(R"({"model.C": [0.01, 0.1, 1.0]})"));
  // Refitted from its spec, it runs the same schedule on the same candidates: the same table.
  const mp::any_model refit = loaded.spec().fit(data.X, data.y);
  const auto again = mp::halving_grid_search(pipe, mp::grid{{"model.C", {0.01, 0.1, 1.0}}},
                                             {.resource = "model.max_iter",
                                              .min_resources = mp::resource_amount{std::int64_t{1}},
                                              .max_resources = std::int64_t{9}})
                         .fit(data.X, data.y);
  CHECK(without_times(saved_static(refit)) == without_times(saved_static(again)));
  // On rows, the spec leaves the resource to its defaults, which plan from the data.
  const auto on_rows = mp::halving_grid_search(pipe, mp::grid{{"model.C", {0.01, 0.1, 1.0}}},
                                               {.cv = mp::stratified_kfold{.n_splits = 3}})
                           .fit(data.X, data.y);
  mp::save(on_rows, path);
  const auto rows_spec = nlohmann::json::parse(mp::load_any(path).spec_json());
  std::remove(path.c_str());
  CHECK_FALSE(rows_spec["params"].contains("resource"));
  CHECK_FALSE(rows_spec["params"].contains("min_resources"));
  CHECK(rows_spec["params"]["space"] == nlohmann::json::parse(R"({"model.C": [0.01, 0.1, 1.0]})"));
  // A halving random search's n_iter is its first iteration's candidates, not its table's rows.
  const auto drawn = mp::halving_random_search(pipe, mp::space{{"model.C", mp::loguniform(0.01, 10.0)}},
                                               {.n_candidates = std::int64_t{4}, .factor = 2.0,
                                                .cv = mp::stratified_kfold{.n_splits = 3}})
                         .fit(data.X, data.y);
  REQUIRE(drawn.results().n_candidates() == 4 + 2 + 1);
  mp::save(drawn, path);
  const auto drawn_spec = nlohmann::json::parse(mp::load_any(path).spec_json());
  std::remove(path.c_str());
  CHECK(drawn_spec["params"]["n_iter"] == 4);
}

TEST_CASE("a search over a regressor's spec has a regressor's roles and defaults", "[dynamic][search]") {
  const auto& diabetes = mp::test::load("diabetes.csv");
  const auto reg = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{});
  const auto p = mp::any_pipeline::from_json(R"({"kind": "grid_search", "params": {
      "estimator": {"steps": [{"name": "scale", "kind": "standard_scaler"}, {"name": "model", "kind": "ridge"}]},
      "space": {"model.alpha": [0.1, 10.0]}}})");
  CHECK_FALSE(p.is_classifier());
  const auto s = mp::cross_validate(mp::grid_search(reg, mp::grid{{"model.alpha", {0.1, 10.0}}}), diabetes.X,
                                    diabetes.y, mp::kfold{.n_splits = 3});
  const auto d = mp::cross_validate(p, diabetes.X, diabetes.y, mp::kfold{.n_splits = 3});
  CHECK(d.scorer_names() == std::vector<std::string>{"r2"});
  CHECK(d.test_scores() == s.test_scores());
  const mp::any_model m = p.fit(diabetes.X, diabetes.y);
  CHECK_FALSE(m.is_classifier());
  CHECK(mp::test::error_message<mp::invalid_input>([&] { m.classes(); }) ==
        "any_model: classes is not available: step 'model' (ridge) is not a classifier; expected a classifier");
}

TEST_CASE("bad search specs are precise errors", "[dynamic][search]") {
  const auto message = [](const std::string& spec) {
    return mp::test::error_message<mp::invalid_parameter>([&] { mp::any_pipeline::from_json(spec); });
  };
  CHECK(message(R"({"kind": "grid_search"})") ==
        "spec: a grid_search needs \"params\": {\"estimator\": a spec, \"space\": {...}, ...}, found none");
  CHECK(message(R"({"kind": "grid_search", "params": {"space": {"alpha": [1]}}})") ==
        "spec: a grid_search needs \"params\": {\"estimator\": ...}, the stage or pipeline it tunes");
  CHECK(message(R"({"kind": "grid_search", "params": {"estimator": {"kind": "ridge"}, "space": {"alpa": [1]}}})") ==
        "spec: params.space.alpa: search: unknown parameter path 'alpa'; did you mean 'alpha'? Valid paths: alpha, "
        "fit_intercept (space axis 'alpa' = [1])");
  CHECK(message(R"({"kind": "grid_search", "params": {"estimator": {"kind": "ridge"},
                    "space": {"alpha": {"loguniform": [0.1, 1]}}}})") ==
        "spec: params.space.alpha.loguniform: a grid search takes lists of values; expected a list instead of a "
        "distribution (use strategy \"random\" or \"tpe\" to draw from it)");
  CHECK(message(R"({"kind": "random_search", "params": {"estimator": {"kind": "ridge"}, "space": {"alpha": [1]},
                    "n_trials": 3}})") ==
        "spec: params.n_trials: 'n_trials' is an option of strategy tpe, not of 'random'. Expected keys: strategy, "
        "space, cv, scoring, seed, n_jobs, n_iter, max_time");
  CHECK(message(R"({"kind": "hyperband"})") ==
        "spec: a hyperband needs \"params\": {\"estimator\": a spec, \"space\": {...}, ...}, found none");
  CHECK(message(R"({"kind": "hyperband", "params": {"estimator": {"kind": "ridge"}, "space": {"alpha": [1]},
                    "n_iter": 3}})") ==
        "spec: params.n_iter: 'n_iter' is an option of strategy random, halving_random, not of 'hyperband'. Expected "
        "keys: strategy, space, cv, scoring, seed, n_jobs, factor, resource, max_resource, min_resource, max_time");
  CHECK(message(R"({"kind": "hyperband", "params": {"estimator": {"kind": "ridge"}, "space": {"alpha": [1]},
                    "min_resource": 0}})") ==
        "spec: params.min_resource: expected an integer >= 1, found 0 (number)");
  const std::string logreg = R"({"steps": [{"name": "scale", "kind": "standard_scaler"},
                                           {"name": "model", "kind": "logistic_regression"}]})";
  const auto halving = [&](const std::string& options) {
    return message(R"({"kind": "halving_grid_search", "params": {"estimator": )" + logreg +
                   R"(, "space": {"model.C": [0.1, 1.0]}, )" + options + "}}");
  };
  CHECK(halving(R"("resource": "model.max_ite", "max_resources": 9)") ==
        "spec: params.resource: search: unknown parameter path 'model.max_ite'; did you mean 'model.max_iter'? "
        "Valid paths: scale.with_mean, scale.with_std, model.penalty, model.C, model.l1_ratio, model.fit_intercept, "
        "model.max_iter, model.tol, model.class_weight (resource; expected \"n_samples\" or an integer parameter's "
        "path)");
  CHECK(halving(R"("resource": "model.tol", "max_resources": 9)") ==
        "spec: params.resource: search: resource = 'model.tol' is a real number parameter; expected \"n_samples\" or "
        "the path of an integer parameter, such as a model's max_iter");
  CHECK(halving(R"("resource": "model.max_iter")") ==
        "spec: params.resource: resource 'model.max_iter' needs \"max_resources\", a number (\"auto\" means the "
        "number of rows, for resource \"n_samples\" only)");
  CHECK(halving(R"("min_resources": "all")") ==
        "spec: params.min_resources: expected an integer >= 1 or \"exhaust\", \"smallest\", found \"all\" (string)");
  CHECK(halving(R"("max_resources": 0)") ==
        "spec: params.max_resources: expected an integer >= 1, found 0 (number)");
  CHECK(message(R"({"kind": "halving_random_search", "params": {"estimator": )" + logreg +
                R"(, "space": {"model.C": [0.1, 1.0]}, "n_iter": "all"}})") ==
        "spec: params.n_iter: expected an integer >= 1 or \"exhaust\", found \"all\" (string)");
  CHECK(message(R"({"kind": "random_search", "params": {"estimator": )" + logreg +
                R"(, "space": {"model.C": [0.1, 1.0]}, "n_iter": "exhaust"}})") ==
        "spec: params.n_iter: expected an integer >= 1, found \"exhaust\" (string)");
  CHECK(halving(R"("aggressive_elimination": 1)") ==
        "spec: params.aggressive_elimination: expected true or false, found 1 (number)");
  CHECK(message(R"({"kind": "hyperband", "params": {"estimator": )" + logreg +
                R"(, "space": {"model.C": [0.1, 1.0]}, "resource": "model.max_iter"}})") ==
        "spec: params.resource: resource 'model.max_iter' needs \"max_resource\", the most a candidate gets (0 means "
        "the number of rows, for resource \"n_samples\" only)");
  CHECK(message(R"({"kind": "hyperband", "params": {"estimator": )" + logreg +
                R"(, "space": {"model.C": [0.1, 1.0]}, "max_resources": 9}})") ==
        "spec: params.max_resources: 'max_resources' is an option of strategy halving_grid, halving_random, not of "
        "'hyperband'. Expected keys: strategy, space, cv, scoring, seed, n_jobs, factor, resource, max_resource, "
        "min_resource, max_time");
}

TEST_CASE("one_of is a run-time choice that agrees with the static one_of", "[dynamic][one_of]") {
  const auto& data = mp::test::load("iris.csv");
  auto pipe = mp::step<"scale">(mp::one_of(mp::standard_scaler{}, mp::min_max_scaler{})) |
              mp::step<"model">(mp::logistic_regression{});
  mp::set_param(pipe, "scale", std::string("min_max_scaler"));
  const std::string spec = R"({"steps": [
      {"name": "scale", "kind": "one_of", "params": {"": "min_max_scaler"},
       "steps": [{"kind": "standard_scaler"}, {"kind": "min_max_scaler"}]},
      {"name": "model", "kind": "logistic_regression"}]})";
  const mp::any_model m = check_agreement(pipe, spec, data.X, data.y);
  CHECK(m.signature() == "pipeline(scale:one_of,model:logistic_regression)");
  auto p = mp::any_pipeline::from_json(spec);
  CHECK(std::get<std::string>(p.get_param("scale")) == "min_max_scaler");
  p.set_param("scale", std::int64_t{0});
  CHECK(std::get<std::string>(p.get_param("scale")) == "standard_scaler");
  // A grid over the choice scores what the static grid scores.
  const mp::grid choice{{"scale", {std::string("standard_scaler"), std::string("min_max_scaler")}},
                        {"model.C", {0.1, 1.0}}};
  const auto folds = mp::stratified_kfold{.n_splits = 3};
  const auto gs = mp::grid_search(pipe, choice, {.cv = folds}).fit(data.X, data.y);
  const auto gd = mp::grid_search(p, choice, {.cv = folds}).fit(data.X, data.y);
  CHECK(gd.results().mean_test_score() == gs.results().mean_test_score());
  CHECK(gd.best_index() == gs.best_index());
  // A lone one_of saved statically loads with load_any.
  const auto lone = mp::one_of(mp::ridge{}, mp::lasso{}).choose("lasso");
  const auto fitted = lone.fit(data.X, data.y);
  const std::string path = own_path("test_dynamic_one_of", ".json");
  mp::save(fitted, path);
  const mp::any_model loaded = mp::load_any(path);
  CHECK(loaded.wrapped_kind() == "one_of");
  CHECK((loaded.predict(data.X).array() == fitted.predict(data.X).array()).all());
  CHECK(saved(loaded) == saved_static(fitted));
  std::remove(path.c_str());
  const auto message = [](const std::string& s) {
    return mp::test::error_message<mp::invalid_parameter>([&] { mp::any_pipeline::from_json(s); });
  };
  CHECK(message(R"({"kind": "one_of", "params": {"": "min_max"},
                    "steps": [{"kind": "standard_scaler"}, {"kind": "min_max_scaler"}]})") ==
        "spec: " + mp::test::error_message<mp::invalid_parameter>(
                       [] { mp::one_of(mp::standard_scaler{}, mp::min_max_scaler{}).choose("min_max"); }));
  CHECK(message(R"({"kind": "one_of", "steps": [{"kind": "standard_scaler"}, {"kind": "ridge"}]})") ==
        "spec: one_of: the alternatives of one_of must share a role: all transformers, all classifiers or all "
        "regressors; found standard_scaler (standard_scaler), ridge (ridge)");
  CHECK(message(R"({"kind": "one_of", "params": {"choice": 1}, "steps": [{"kind": "ridge"}]})") ==
        "spec: one_of: unknown parameter 'choice'; expected \"\", the choice (an alternative's name or index); "
        "the alternatives' parameters are in their steps");
}

}  // namespace test_dynamic_tests

namespace test_dynamic_tests {

TEST_CASE("halving searches and rfecv take any_pipeline's role from roles(), as the static pipeline's type",
          "[dynamic][roles]") {
  const auto& iris = mp::test::load("iris.csv");
  const auto& diabetes = mp::test::load("diabetes.csv");
  const auto clf = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::logistic_regression{});
  const auto reg = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{});
  // halving_random_search's default min_resources ("smallest"): 2 rows per split, times the classes for a
  // classifier only.
  const mp::space c_space{{"model.C", mp::loguniform(0.01, 10.0)}};
  const auto hs = mp::halving_random_search(clf, c_space, {.n_candidates = std::int64_t{4}, .seed = 1})
                      .fit(iris.X, iris.y);
  const auto hd =
      mp::halving_random_search(mp::any_pipeline(clf), c_space, {.n_candidates = std::int64_t{4}, .seed = 1})
          .fit(iris.X, iris.y);
  CHECK(hd.results().column("n_resources") == hs.results().column("n_resources"));
  CHECK(hd.results().column("n_resources").front() == 30.0);  // 5 splits x 2 rows x 3 classes
  CHECK(hd.results().mean_test_score() == hs.results().mean_test_score());
  const mp::space alpha_space{{"model.alpha", mp::loguniform(0.01, 10.0)}};
  const mp::halving_options three{
      .n_candidates = std::int64_t{4}, .seed = 1, .cv = mp::kfold{.n_splits = 3}, .scoring = "neg_mean_squared_error"};
  const auto rs = mp::halving_random_search(reg, alpha_space, three).fit(diabetes.X, diabetes.y);
  const auto rd = mp::halving_random_search(mp::any_pipeline(reg), alpha_space, three).fit(diabetes.X, diabetes.y);
  CHECK(rd.results().column("n_resources") == rs.results().column("n_resources"));
  CHECK(rd.results().column("n_resources").front() == 6.0);  // 3 splits x 2 rows: a regressor
  CHECK(rd.results().mean_test_score() == rs.results().mean_test_score());
  // rfecv's defaults: stratified folds and accuracy for a classifier, plain folds and r2 for a regressor.
  const auto fs = mp::rfecv<mp::logistic_regression>{}.fit(iris.X, iris.y);
  const auto fd = mp::rfecv<mp::any_pipeline>{.estimator = mp::any_pipeline(mp::logistic_regression{})}.fit(iris.X,
                                                                                                            iris.y);
  CHECK(fd.cv_results().split_scores == fs.cv_results().split_scores);
  CHECK(fd.support() == fs.support());
  const auto gs = mp::rfecv<mp::ridge>{}.fit(diabetes.X, diabetes.y);
  const auto gd = mp::rfecv<mp::any_pipeline>{.estimator = mp::any_pipeline(mp::ridge{})}.fit(diabetes.X, diabetes.y);
  CHECK(gd.cv_results().split_scores == gs.cv_results().split_scores);
  CHECK(gd.support() == gs.support());
}

}  // namespace test_dynamic_tests

namespace test_dynamic_tests {

TEST_CASE("an any_pipeline step of a static pipeline saves what it holds; load_any and load<> both read it",
          "[dynamic][static_step]") {
  const auto& diabetes = mp::test::load("diabetes.csv");
  auto pipe = mp::step<"scale">(mp::standard_scaler{}) |
              mp::step<"model">(mp::any_pipeline::from_json(R"({"kind": "ridge", "params": {"alpha": 2.0}})"));
  // Parameters go through to the wrapped stage.
  mp::set_param(pipe, "model.alpha", 3.0);
  CHECK(std::get<double>(mp::get_param(pipe, "model.alpha")) == 3.0);
  CHECK(std::get<bool>(mp::get_param(pipe, "model.fit_intercept")) == true);
  // The paths are the static pipeline's: the wrapped stage's parameters under the step's name.
  const auto all_static_spec = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{});
  CHECK(mp::param_names(pipe) == mp::param_names(all_static_spec));
  auto static_copy = all_static_spec;
  CHECK(mp::test::error_message<mp::invalid_parameter>([&] { mp::set_param(pipe, "model.alpah", 1.0); }) ==
        mp::test::error_message<mp::invalid_parameter>([&] { mp::set_param(static_copy, "model.alpah", 1.0); }));
  const auto fitted = pipe.fit(diabetes.X, diabetes.y);
  using fitted_type = std::remove_cvref_t<decltype(fitted)>;
  const nlohmann::json file = mp::to_json(fitted);
  CHECK(file["signature"] == "pipeline(scale:standard_scaler,model:ridge)");
  const auto all_static = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{.alpha = 3.0});
  const auto static_fitted = all_static.fit(diabetes.X, diabetes.y);
  CHECK(without_time(file) == saved_static(static_fitted));  // the same file as the all-static pipeline's
  const std::string path = own_path("test_dynamic_static_step", ".json");
  mp::save(fitted, path);
  const mp::any_model loaded = mp::load_any(path);
  CHECK((loaded.predict(diabetes.X).array() == fitted.predict(diabetes.X).array()).all());
  const auto back = mp::load<fitted_type>(path);
  CHECK((back.predict(diabetes.X).array() == fitted.predict(diabetes.X).array()).all());
  // The all-static pipeline's file loads as this type too, and a file of another shape is refused.
  mp::save(static_fitted, path);
  CHECK((mp::load<fitted_type>(path).predict(diabetes.X).array() == fitted.predict(diabetes.X).array()).all());
  mp::save((mp::step<"scale">(mp::min_max_scaler{}) | mp::step<"model">(mp::ridge{})).fit(diabetes.X, diabetes.y),
           path);
  CHECK(mp::test::error_message<mp::load_error>([&] { mp::load<fitted_type>(path); }) ==
        path + ": the file holds a model of another pipeline type: pipeline(scale:min_max_scaler,model:ridge); the "
               "type it is loaded as is pipeline(scale:standard_scaler,model:any_model)");
  std::remove(path.c_str());
  // A file written before the step said what it holds (its signature names any_model) still loads with load_any.
  nlohmann::json old = file;
  old["signature"] = "pipeline(scale:standard_scaler,model:any_model)";
  std::ofstream(path) << old.dump();
  CHECK((mp::load_any(path).predict(diabetes.X).array() == fitted.predict(diabetes.X).array()).all());
  std::remove(path.c_str());
}

}  // namespace test_dynamic_tests

namespace test_dynamic_tests {

TEST_CASE("corrupt search and one_of files are load errors naming what is wrong", "[dynamic][search][one_of]") {
  const auto& data = mp::test::load("iris.csv");
  const std::string path = own_path("test_dynamic_corrupt", ".json");
  // A search whose best index is out of range: load_any says what load<> says.
  const auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::logistic_regression{});
  const auto search =
      mp::grid_search(pipe, mp::grid{{"model.C", {0.1, 1.0}}}, {.cv = mp::stratified_kfold{.n_splits = 3}})
          .fit(data.X, data.y);
  nlohmann::json file = mp::to_json(search);
  file["model"]["state"]["best_index"] = 99;
  std::ofstream(path) << file.dump();
  const std::string dynamic_error = mp::test::error_message<mp::load_error>([&] { mp::load_any(path); });
  CHECK(dynamic_error ==
        mp::test::error_message<mp::load_error>([&] { mp::load<std::remove_cvref_t<decltype(search)>>(path); }));
  CHECK(dynamic_error.find("state.best_index = 99 is out of range") != std::string::npos);
  // A one_of whose alternative is not a name.
  const auto lone = mp::one_of(mp::ridge{}, mp::lasso{}).fit(data.X, data.y);
  file = mp::to_json(lone);
  file["model"]["state"]["alternative"] = 5;
  std::ofstream(path) << file.dump();
  CHECK(mp::test::error_message<mp::load_error>([&] { mp::load_any(path); }) ==
        path + ": model state.alternative: found 5; expected an alternative's name");
  std::remove(path.c_str());
}

}  // namespace test_dynamic_tests
