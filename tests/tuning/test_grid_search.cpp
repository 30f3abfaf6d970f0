#include <catch2/catch.hpp>

#include <algorithm>   // std::stable_sort
#include <cmath>       // std::isnan
#include <cstdint>     // SIZE_MAX
#include <filesystem>
#include <limits>
#include <numeric>     // std::iota
#include <optional>
#include <utility>     // std::pair
#include <vector>
#include <random>      // std::random_device
#include <string>
#include <type_traits>  // std::remove_cvref_t

#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/core/random.hpp"
#include "mlpipe/feature_selection/select_k_best.hpp"
#include "mlpipe/io/binary_formats.hpp"  // .cbor and .msgpack
#include "mlpipe/io/csv.hpp"
#include "mlpipe/io/serialize.hpp"
#include "mlpipe/models/logistic_regression.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "mlpipe/tuning/grid_search.hpp"
#include "mlpipe/validation/metrics.hpp"
#include "support.hpp"

// File-local names live here: the test files are compiled together in batches (a unity build).
namespace test_grid_search_tests {

namespace mp = mlpipe;
using mp::test::error_message;

namespace {
auto scaler_ridge() { return mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{}); }

// The pipeline of the quickstart and of scikit-learn's reference: StandardScaler -> SelectKBest -> LogisticRegression.
auto scale_select_logistic() {
  return mp::step<"scale">(mp::standard_scaler{}) | mp::step<"select">(mp::select_k_best{.k = 10, .score = mp::f_classif}) |
         mp::step<"model">(mp::logistic_regression{.C = 1.0});
}

// scikit-learn's StratifiedKFold(5, shuffle=True, random_state=0) folds of breast_cancer, as shipped.
mp::predefined_split sklearn_folds() {
  const auto folds = mp::read_csv(mp::test::data_path("breast_cancer_folds_sklearn_skf5_shuffle_seed0.csv"), {.target = "fold"});
  std::vector<mp::index> test_fold(static_cast<std::size_t>(folds.y.size()));
  for (mp::index i = 0; i < folds.y.size(); ++i) {
    REQUIRE(folds.X(i, 0) == static_cast<double>(i));  // the file's "row" column
    test_fold[static_cast<std::size_t>(i)] = static_cast<mp::index>(folds.y(i));
  }
  return mp::predefined_split{.test_fold = test_fold};
}
}  // namespace

TEST_CASE("grid enumerates candidates in scikit-learn's ParameterGrid order", "[tuning][grid]") {
  const mp::grid g{{"z.last", {1, 2}}, {"a.first", {true, false}}, {"m.mid", {"x", "y", "z"}}};
  CHECK(g.size() == 12);
  const auto c = g.candidates();
  REQUIRE(c.size() == 12);
  CHECK(mp::format_params(c[0]) == "a.first = true, m.mid = \"x\", z.last = 1");
  CHECK(mp::format_params(c[1]) == "a.first = true, m.mid = \"x\", z.last = 2");
  CHECK(mp::format_params(c[2]) == "a.first = true, m.mid = \"y\", z.last = 1");
  CHECK(mp::format_params(c[11]) == "a.first = false, m.mid = \"z\", z.last = 2");
  CHECK(error_message<mp::invalid_parameter>([] { mp::grid{{"model.C", {}}}; }) ==
        "grid: the axis 'model.C' has no values; expected at least one");
  CHECK(error_message<mp::invalid_parameter>([] { mp::grid{{"model.C", {1.0}}, {"model.C", {2.0}}}; }) ==
        "grid: the path 'model.C' appears twice; expected each path once");
}

TEST_CASE("grid_search scores every candidate on every split and refits the best", "[tuning][grid_search]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto cv = mp::kfold{.n_splits = 4, .shuffle = true, .seed = 5};
  const auto search = mp::grid_search{scaler_ridge(),
                                      mp::grid{{"model.alpha", {0.01, 1.0, 30.0}}, {"scale.with_std", {true, false}}},
                                      {.cv = cv, .scoring = {"r2", "neg_mean_squared_error"}, .return_train_score = true}};
  const auto tuned = search.fit(d.X, d.y);
  const auto& r = tuned.results();
  REQUIRE(r.n_candidates() == 6);
  REQUIRE(r.n_splits() == 4);
  const auto splits = cv.splits(d.X.rows(), d.y);
  for (std::size_t c = 0; c < r.n_candidates(); ++c) {
    auto spec = scaler_ridge();
    for (const auto& [path, value] : r.params()[c]) spec.set_param(path, value);
    for (std::size_t s = 0; s < splits.size(); ++s) {
      const auto model = spec.fit(d.X(splits[s].train, Eigen::all), d.y(splits[s].train));
      const mp::vector y_test = d.y(splits[s].test);
      CHECK(r.split_test_score(c, s, "r2") == mp::r2(y_test, model.predict(d.X(splits[s].test, Eigen::all))));
    }
  }
  // Ranking follows the first scorer; the best is rank 1 and the refitted model is that candidate on all rows.
  const auto means = r.mean_test_score();
  const auto ranks = r.rank_test_score();
  const std::size_t best = tuned.best_index();
  CHECK(ranks[best] == 1);
  for (std::size_t c = 0; c < means.size(); ++c) CHECK(means[c] <= means[best]);
  CHECK(tuned.best_score() == means[best]);
  CHECK(tuned.best_params() == r.params()[best]);
  auto best_spec = scaler_ridge();
  for (const auto& [path, value] : tuned.best_params()) best_spec.set_param(path, value);
  CHECK(tuned.predict(d.X) == best_spec.fit(d.X, d.y).predict(d.X));
  CHECK(tuned.best_model().get<"model">().spec().alpha == best_spec.get<"model.alpha">());
  CHECK(r.mean_test_score("neg_mean_squared_error")[best] < 0.0);
  CHECK(r.split_train_score(best, 0, "r2") > r.split_test_score(best, 0, "r2") - 0.2);
}

TEST_CASE("grid_search breaks ties by grid order and is the same for any n_jobs", "[tuning][grid_search][parallel]") {
  const auto& d = mp::test::load("diabetes.csv");
  const mp::grid g{{"model.alpha", {5.0, 0.5, 0.5, 5.0}}};  // repeated values give exactly tied candidates
  const auto one = mp::grid_search{scaler_ridge(), g, {.cv = mp::kfold{.n_splits = 3}, .n_jobs = 1}}.fit(d.X, d.y);
  const auto two = mp::grid_search{scaler_ridge(), g, {.cv = mp::kfold{.n_splits = 3}, .n_jobs = 2}}.fit(d.X, d.y);
  CHECK(one.results().rank_test_score() == std::vector<int>{3, 1, 1, 3});
  CHECK(one.best_index() == 1);
  CHECK(two.best_index() == 1);
  CHECK(one.results().mean_test_score() == two.results().mean_test_score());
  CHECK(one.results().std_test_score() == two.results().std_test_score());
}

TEST_CASE("a fitted search checks its best index against its table and its best model", "[tuning][grid_search]") {
  const auto& d = mp::test::load("diabetes.csv");
  const mp::grid g{{"model.alpha", {5.0, 0.5, 0.5, 5.0}}};
  const auto tuned = mp::grid_search{scaler_ridge(), g, {.cv = mp::kfold{.n_splits = 3}}}.fit(d.X, d.y);
  REQUIRE(tuned.best_index() == 1);
  CHECK_NOTHROW(tuned.check_invariants());
  using fitted_type = std::remove_cvref_t<decltype(tuned)>;
  const auto check = [&](std::size_t best, mp::index n_features_in) {
    return error_message<mp::load_error>([&] {
      fitted_type(tuned.results(), best, tuned.best_model(), n_features_in, 0.0).check_invariants();
    });
  };
  CHECK(check(4, 10) ==
        "grid_search: state.best_index = 4 is out of range; expected 0 <= state.best_index <= the last candidate = 3");
  // Candidate 2 ties with 1; the first of tied candidates is the best, as fit picks it.
  CHECK(check(2, 10) ==
        "grid_search: state.best_index = 2 but the results rank candidate 1 first; expected the best candidate");
  CHECK(check(1, 9) == "grid_search: state.best_model was fitted on 10 features but state.n_features_in = 9; expected "
                       "the search's input width");
  CHECK(error_message<mp::load_error>([&] { fitted_type().check_invariants(); }) ==
        "grid_search: state.params is empty; expected at least one value (one per candidate)");
}

TEST_CASE("grid_search results export as JSON and CSV with scikit-learn's columns", "[tuning][grid_search]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto tuned = mp::grid_search{scaler_ridge(), mp::grid{{"model.alpha", {0.1, 10.0}}, {"model.fit_intercept", {true}}},
                                     {.cv = mp::kfold{.n_splits = 3}}}
                         .fit(d.X, d.y);
  const auto j = nlohmann::json::parse(tuned.results().to_json());
  CHECK(j["params"][1]["model.alpha"] == 10.0);
  CHECK(j["params"][1]["model.fit_intercept"] == true);
  CHECK(j["param_model.alpha"] == nlohmann::json::array({0.1, 10.0}));
  for (const char* column : {"mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time", "split0_test_score",
                             "split2_test_score", "mean_test_score", "std_test_score", "rank_test_score"}) {
    CAPTURE(column);
    CHECK(j[column].size() == 2);
  }
  CHECK(j["mean_test_score"][0].get<double>() == tuned.results().mean_test_score()[0]);
  const std::string csv = tuned.results().to_csv();
  CHECK(csv.substr(0, csv.find('\n')) ==
        "param_model.alpha,param_model.fit_intercept,mean_fit_time,std_fit_time,mean_score_time,std_score_time,"
        "split0_test_score,split1_test_score,split2_test_score,mean_test_score,std_test_score,rank_test_score");
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 3);
}

TEST_CASE("grid_search rejects a bad grid before fitting anything", "[tuning][grid_search]") {
  const auto& d = mp::test::load("diabetes.csv");
  auto fit = [&](mp::grid g) { (void)mp::grid_search{scaler_ridge(), std::move(g)}.fit(d.X, d.y); };
  CHECK(error_message<mp::invalid_parameter>([&] { fit(mp::grid{{"model.alpah", {1.0}}}); }) ==
        "grid_search: unknown parameter path 'model.alpah'; did you mean 'model.alpha'? Valid paths: "
        "scale.with_mean, scale.with_std, model.alpha, model.fit_intercept (grid candidate 0: model.alpah = 1)");
  CHECK(error_message<mp::invalid_parameter>([&] { fit(mp::grid{{"model.alpha", {1.0, "big"}}}); }) ==
        "grid_search: parameter 'model.alpha' of ridge expects a real number, got \"big\" (a string) (grid candidate "
        "1: model.alpha = \"big\")");
  CHECK(error_message<mp::invalid_parameter>([&] { fit(mp::grid{{"model.alpha", {1.0, -2.0}}}); }) ==
        "step 'model' (ridge): alpha = -2 is out of range; expected alpha >= 0 (grid candidate 1: model.alpha = -2)");
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::grid_search{scaler_ridge(), mp::grid{{"model.alpha", {1.0}}}, {.n_jobs = -3}}.fit(d.X, d.y);
        }) == "n_jobs = -3 is out of range; expected n_jobs >= 1, or -1 for every core");
  const auto kept = mp::grid_search{scaler_ridge(), mp::grid{{"model.alpha", {1.0}}}, {.refit = false}}.fit(d.X, d.y);
  CHECK(error_message<mp::invalid_parameter>([&] { (void)kept.predict(d.X); }) ==
        "grid_search: refit = false: the search kept no model; set .refit = true");
}

TEST_CASE("a grid_search is a stage: cross-validating it is nested cross-validation", "[tuning][grid_search]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto search = mp::grid_search{scaler_ridge(), mp::grid{{"model.alpha", {0.1, 10.0}}},
                                      {.cv = mp::kfold{.n_splits = 3}, .scoring = "r2"}};
  STATIC_REQUIRE(mp::regressor<std::remove_cvref_t<decltype(search)>>);
  const auto outer = mp::kfold{.n_splits = 3, .shuffle = true, .seed = 1};
  const auto nested = mp::cross_validate(search, d.X, d.y, outer, {.scoring = "r2", .return_estimator = true});
  const auto splits = outer.splits(d.X.rows(), d.y);
  for (std::size_t i = 0; i < 3; ++i) {
    // Each outer split tunes on its own training rows only.
    const auto inner = search.fit(d.X(splits[i].train, Eigen::all), d.y(splits[i].train));
    CHECK(nested.estimators()[i].best_index() == inner.best_index());
    CHECK(nested.test_scores()[i] == mp::r2(d.y(splits[i].test), inner.predict(d.X(splits[i].test, Eigen::all))));
  }
}

TEST_CASE("scaler | select_k_best | logistic_regression matches scikit-learn's reference pipeline", "[tuning][reference]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const auto& ref = mp::test::sklearn_reference()["w3_pipeline_breast_cancer"];
  const auto fitted = scale_select_logistic().fit(d.X, d.y);
  CHECK(fitted.get<"select">().support() == ref["selected_idx"].get<std::vector<mp::index>>());
  // scikit-learn's lbfgs stops about 1e-4 from the optimum that mlpipe reaches, so its numbers are that close.
  CHECK(mp::test::max_relative_error(fitted.get<"model">().coef().row(0).transpose(), mp::test::to_vector(ref["coef_"])) < 1e-3);
  const mp::matrix proba = fitted.predict_proba(d.X.topRows(5));
  for (std::size_t i = 0; i < 5; ++i)
    for (std::size_t j = 0; j < 2; ++j)
      CHECK(std::abs(proba(static_cast<mp::index>(i), static_cast<mp::index>(j)) - ref["proba_first5_rows"][i][j].get<double>()) < 1e-4);
  CHECK(mp::accuracy(d.y, fitted.predict(d.X)) == ref["train_accuracy"].get<double>());
}

TEST_CASE("the reference grid over scikit-learn's folds gives scikit-learn's scores and best parameters", "[tuning][reference][parallel]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const auto& ref = mp::test::sklearn_reference()["w1_breast_cancer_cv"];
  const auto search = mp::grid_search{scale_select_logistic(),
                                      mp::grid{{"select.k", {5, 10, 20, "all"}}, {"model.C", {0.01, 0.1, 1.0, 10.0, 100.0}}},
                                      {.cv = sklearn_folds(), .scoring = "accuracy", .n_jobs = 2}};
  const auto tuned = search.fit(d.X, d.y);
  const auto& r = tuned.results();
  REQUIRE(r.n_candidates() == 20);
  const auto& order = ref["grid_candidate_order"];
  const auto means = r.mean_test_score();
  for (std::size_t c = 0; c < 20; ++c) {
    CAPTURE(c, mp::format_params(r.params()[c]));
    // The same candidate order as scikit-learn's ParameterGrid.
    CHECK(std::get<double>(r.params()[c][0].second) == order[c]["clf__C"].get<double>());
    const auto& k = r.params()[c][1].second;
    if (order[c]["select__k"].is_string()) CHECK(std::get<std::string>(k) == "all");
    else CHECK(std::get<std::int64_t>(k) == order[c]["select__k"].get<std::int64_t>());
    // Within 1e-3: a test row at the decision boundary may fall either way between two solvers' solutions.
    CHECK(std::abs(means[c] - ref["grid_mean_test_score"][c].get<double>()) < 1e-3);
  }
  CHECK(mp::format_params(tuned.best_params()) == "model.C = 1, select.k = 20");
  CHECK(tuned.best_score() == Approx(ref["best_cv_score"].get<double>()).margin(1e-3));
}

TEST_CASE("the quickstart pipeline turns every kind of bad input into an mlpipe::error", "[tuning][errors]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  auto pipe = scale_select_logistic();
  mp::matrix with_nan = d.X;
  with_nan(3, 7) = std::numeric_limits<double>::quiet_NaN();
  CHECK(error_message<mp::invalid_input>([&] { pipe.fit(with_nan, d.y); }) ==
        "step 'scale' (standard_scaler): X has nan at row 3, column 7; expected finite values (impute missing values "
        "first, e.g. with simple_imputer)");
  const auto fitted = pipe.fit(d.X, d.y);
  CHECK(error_message<mp::invalid_input>([&] { fitted.predict(d.X.leftCols(29)); }) ==
        "step 'scale' (standard_scaler): X has 29 columns but this step was fitted on 30; expected 30 columns");
  auto too_many = scale_select_logistic();
  too_many.set<"select.k">(50);
  CHECK(error_message<mp::invalid_parameter>([&] { too_many.fit(d.X, d.y); }) ==
        "step 'select' (select_k_best): k = 50 but the input has 30 features; expected k <= 30 or \"all\"");
  auto zero_c = scale_select_logistic();
  zero_c.set<"model.C">(0.0);
  CHECK(error_message<mp::invalid_parameter>([&] { zero_c.fit(d.X, d.y); }) ==
        "step 'model' (logistic_regression): C = 0 is out of range; expected C > 0");
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::grid_search{pipe, mp::grid{{"model.c", {1.0}}}}.fit(d.X, d.y);
        }) == "grid_search: unknown parameter path 'model.c'; did you mean 'model.C'? Valid paths: scale.with_mean, "
              "scale.with_std, select.k, select.score, model.penalty, model.C, model.l1_ratio, model.fit_intercept, "
              "model.max_iter, model.tol, model.class_weight (grid candidate 0: model.c = 1)");
  // Rows sorted by class, two unshuffled folds: each split trains on one class only.
  std::vector<mp::index> order(static_cast<std::size_t>(d.y.size()));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](mp::index a, mp::index b) { return d.y(a) < d.y(b); });
  const mp::matrix X_sorted = d.X(order, Eigen::all);
  const mp::vector y_sorted = d.y(order);
  CHECK(error_message<mp::invalid_input>([&] { mp::cross_validate(pipe, X_sorted, y_sorted, mp::kfold{.n_splits = 2}); }) ==
        "step 'select' (select_k_best): y has a single class (1); expected at least 2 classes to compare (score "
        "f_classif) (cross-validation split 0 of 2, 284 training rows)");
  auto no_selection = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::logistic_regression{});
  CHECK(error_message<mp::invalid_input>([&] {
          mp::cross_validate(no_selection, X_sorted, y_sorted, mp::kfold{.n_splits = 2});
        }) == "step 'model' (logistic_regression): y has a single class (1); expected at least two classes "
              "(cross-validation split 0 of 2, 284 training rows)");
}

TEST_CASE("prefix reuse and warm starts save fits without changing any score", "[tuning][reuse][parallel]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const mp::grid g{{"select.k", {5, 10, 20, 30}}, {"model.C", {0.01, 0.1, 1.0, 10.0, 100.0}}};
  auto spec = scale_select_logistic();
  spec.set<"model.tol">(1e-10);  // solved tightly, so that cold and warm starts meet at the optimum to ~1e-12
  auto run = [&](bool reuse, bool warm_start, int n_jobs) {
    return mp::grid_search{spec, g,
                           {.cv = sklearn_folds(), .scoring = {"accuracy", "neg_log_loss"}, .n_jobs = n_jobs,
                            .return_train_score = true, .reuse = reuse, .warm_start = warm_start}}
        .fit(d.X, d.y);
  };
  const auto plain = run(false, false, 1);
  const auto reused = run(true, false, 2);
  const auto warm = run(true, true, 1);
  const auto warm2 = run(true, true, 2);
  // Without reuse: 20 candidates x 5 splits x 3 steps. With it, per split: one scaler, one selector per k (the
  // scores computed once), and one model per candidate: 5 x (1 + 4 + 20).
  CHECK(plain.results().stage_fits() == 300);
  CHECK(plain.results().fits_saved() == 0);
  CHECK(reused.results().stage_fits() == 125);
  CHECK(reused.results().fits_saved() == 175);
  for (std::size_t c = 0; c < 20; ++c) {
    for (std::size_t s = 0; s < 5; ++s) {
      CAPTURE(c, s);
      // Reuse does the same arithmetic in the same order: bit-identical.
      CHECK(reused.results().split_test_score(c, s, "neg_log_loss") == plain.results().split_test_score(c, s, "neg_log_loss"));
      CHECK(reused.results().split_train_score(c, s, "accuracy") == plain.results().split_train_score(c, s, "accuracy"));
      // A warm start reaches the same optimum (to ~1e-12) by another path: the same labels, log-loss to rounding.
      CHECK(warm.results().split_test_score(c, s, "accuracy") == plain.results().split_test_score(c, s, "accuracy"));
      CHECK(warm.results().split_test_score(c, s, "neg_log_loss") ==
            Approx(plain.results().split_test_score(c, s, "neg_log_loss")).epsilon(1e-9));
      // And the same for any n_jobs.
      CHECK(warm2.results().split_test_score(c, s, "neg_log_loss") == warm.results().split_test_score(c, s, "neg_log_loss"));
    }
  }
  CHECK(warm.best_index() == plain.best_index());
  CHECK(warm.predict_proba(d.X) == plain.predict_proba(d.X));  // the refit is the same cold fit
}

TEST_CASE("a memory budget for shared prefixes changes the fits saved, never a score", "[tuning][reuse][scaling][parallel]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const mp::grid g{{"select.k", {5, 10, 20}}, {"model.C", {0.1, 1.0}}};
  auto run = [&](std::optional<std::size_t> budget, int n_jobs) {
    return mp::grid_search{scale_select_logistic(), g,
                           {.cv = sklearn_folds(), .scoring = "neg_log_loss", .n_jobs = n_jobs, .refit = false,
                            .max_cache_bytes = budget}}
        .fit(d.X, d.y);
  };
  const auto unbounded = run(std::nullopt, 1);
  const auto none = run(std::size_t{0}, 2);
  const auto scaled_rows = static_cast<std::size_t>(d.X.size()) * sizeof(double);  // one split's scaled rows
  const auto one_split = run(scaled_rows, 2);
  // 6 candidates x 5 splits x 3 steps = 90 fits without reuse. With the default budget, per split: one scaler, one
  // selector per k (3), one model per candidate (6): 50. With none, the scaler is fitted again by each of the 3
  // groups of a split: 60. A budget of one split's rows holds one split's scaler output at a time; two threads
  // work on two splits, so the one that finds the budget spent fits its own: between the two.
  CHECK(unbounded.results().stage_fits() == 50);
  CHECK(none.results().stage_fits() == 60);
  CHECK(none.results().fits_saved() == 30);
  CHECK(one_split.results().stage_fits() >= 50);
  CHECK(one_split.results().stage_fits() <= 60);
  for (std::size_t c = 0; c < 6; ++c) {
    for (std::size_t s = 0; s < 5; ++s) {
      CAPTURE(c, s);
      CHECK(none.results().split_test_score(c, s) == unbounded.results().split_test_score(c, s));
      CHECK(one_split.results().split_test_score(c, s) == unbounded.results().split_test_score(c, s));
    }
  }
}

TEST_CASE("rows a search has checked once are not scanned again by each fit, only while marked", "[tuning][scaling]") {
  mp::matrix X = mp::matrix::Ones(4, 3);
  X(2, 1) = std::numeric_limits<double>::quiet_NaN();
  const mp::matrix other = X;
  CHECK_FALSE(mp::detail::all_finite(X));
  {
    // A mark is the caller's promise (a search makes it only for rows it found finite): this one is false on purpose,
    // to show that a marked matrix is not scanned, and that only that matrix, as a whole, is marked.
    const mp::detail::known_finite_scope scope{&X};
    CHECK(mp::detail::all_finite(X));
    CHECK_FALSE(mp::detail::all_finite(other));
    CHECK_FALSE(mp::detail::all_finite(mp::matrix_view(X.topRows(3))));
    {
      const mp::detail::known_finite_scope nothing{};
      CHECK(mp::detail::all_finite(X));
    }
  }
  CHECK_FALSE(mp::detail::all_finite(X));
  CHECK(mp::detail::thread_finite_marks().count == 0);
}

TEST_CASE("a search's fits on one split encode its labels once and share them, only for those targets",
          "[tuning][scaling]") {
  const mp::vector y = (mp::vector(6) << 3, 1, 3, 7, 1, 3).finished();
  const mp::vector same_values = y;  // equal labels at another address
  const auto encode = [](const mp::vector& t) { return mp::detail::shared_class_labels("logistic_regression", t); };
  CHECK(encode(y) != encode(y));  // outside a search's split: encoded anew by each fit
  {
    const mp::split_targets_scope split(y);
    const auto first = encode(y);
    CHECK(encode(y) == first);  // the same encoding, not a copy
    CHECK(first->classes == (mp::vector(3) << 1, 3, 7).finished());
    CHECK(first->codes == std::vector<mp::index>{1, 0, 1, 2, 0, 1});
    const auto other = encode(same_values);  // other targets: encoded on their own, and not kept
    CHECK(other != first);
    CHECK(other->codes == first->codes);
    CHECK(encode(y) == first);
    {
      const mp::vector one_class = mp::vector::Ones(4);
      const mp::split_targets_scope inner(one_class);  // hides the outer split while it lives
      CHECK(encode(y) != first);
      for (int attempt = 0; attempt < 2; ++attempt) {  // a failed encoding is not kept: each fit reports it
        CHECK(error_message([&] { encode(one_class); }) ==
              "logistic_regression: y has a single class (1); expected at least two classes");
      }
      CHECK_FALSE(inner.memo.has_value());
    }
    CHECK(encode(y) == first);
  }
  CHECK(mp::split_targets_scope::current() == nullptr);
  CHECK(encode(y) != encode(y));
}

TEST_CASE("a search hands out its tasks as threads free up, a split per thread, the costliest groups first",
          "[tuning][scaling]") {
  using task = mp::detail::split_scheduler::task;  // {group, split}
  // One thread: split by split, each split's groups last to first.
  mp::detail::split_scheduler one(2, 2, 1);
  CHECK(one.next() == task{1, 0});
  CHECK(one.next() == task{0, 0});
  one.split_ended();  // split 0
  CHECK(one.next() == task{1, 1});
  CHECK(one.next() == task{0, 1});
  one.split_ended();  // split 1
  CHECK(one.next() == std::nullopt);

  // Two threads, A and B, 2 groups x 4 splits: each starts its own split; a thread whose task ends takes the next
  // task of the oldest split in progress, and opens the next split only once a split has ended, so that split's
  // memory is free for it.
  mp::detail::split_scheduler two(2, 4, 2);
  CHECK(two.next() == task{1, 0});  // A
  CHECK(two.next() == task{1, 1});  // B
  CHECK(two.next() == task{0, 0});  // B, its task ended: split 0's last task, while A still runs its first
  CHECK(two.next() == task{0, 1});  // A, its task ended: two splits are in progress, so no third
  two.split_ended();                // B's task ends split 0
  CHECK(two.next() == task{1, 2});  // B opens split 2
  two.split_ended();                // A's task ends split 1
  CHECK(two.next() == task{1, 3});  // A opens split 3
  CHECK(two.next() == task{0, 2});  // (a third thread would take split 2's other task)
  CHECK(two.next() == task{0, 3});
  CHECK(two.next() == std::nullopt);
  // The order failures are reported in: the one-thread order.
  CHECK(two.rank(task{1, 0}) == 0);
  CHECK(two.rank(task{0, 0}) == 1);
  CHECK(two.rank(task{1, 2}) == 4);

  // More threads than splits: every split opens at once.
  mp::detail::split_scheduler wide(1, 2, 8);
  CHECK(wide.next() == task{0, 0});
  CHECK(wide.next() == task{0, 1});
  CHECK(wide.next() == std::nullopt);

  // A search that refits has a last task, {0, n_splits} (the refit's shared part): one thread runs it after every
  // split; two open it as a split of its own, after the last split, once a split has ended.
  mp::detail::split_scheduler one_refit(2, 2, 1, true);
  for (const task t : {task{1, 0}, task{0, 0}, task{1, 1}, task{0, 1}}) {
    CHECK(one_refit.next() == t);
    if (t.group == 0) one_refit.split_ended();
  }
  CHECK(one_refit.next() == task{0, 2});
  CHECK(one_refit.next() == std::nullopt);
  mp::detail::split_scheduler two_refit(2, 3, 2, true);
  CHECK(two_refit.next() == task{1, 0});  // A
  CHECK(two_refit.next() == task{1, 1});  // B
  CHECK(two_refit.next() == task{0, 0});  // B
  two_refit.split_ended();                // split 0
  CHECK(two_refit.next() == task{1, 2});  // B opens the last split
  CHECK(two_refit.next() == task{0, 1});  // A: two splits in progress
  two_refit.split_ended();                // split 1
  CHECK(two_refit.next() == task{0, 3});  // A: the refit's part, before the last split's other task
  CHECK(two_refit.next() == task{0, 2});
  CHECK(two_refit.next() == std::nullopt);
  CHECK(two_refit.rank(task{0, 3}) == 6);  // last in the one-thread order
  CHECK(two_refit.at(6) == task{0, 3});
  CHECK(two_refit.at(5) == task{0, 2});
}

namespace {
// A user's transformer that fails when fitted on exactly `rows` rows (a search's refit on all rows, never a split).
struct fails_on_rows {
  static constexpr std::string_view kind = "fails_on_rows";

  double rows = 0.0;  // the row count it refuses

  static constexpr auto params = std::tuple{mp::param<"rows">(&fails_on_rows::rows)};

  class fitted {
   public:
    static constexpr std::string_view kind = fails_on_rows::kind;
    static constexpr int schema_version = 1;

    fitted() = default;
    explicit fitted(mp::index n) : n_(n) {}
    mp::index n_features_in() const { return n_; }
    mp::index n_features_out() const { return n_; }
    mp::matrix transform(const mp::matrix_view& X) const { return X; }
    void check_invariants() const { mp::detail::check_state_count(kind, "state.n_features_in", n_, 1); }
    template <class Archive>
    void serialize(Archive& ar) {
      ar("n_features_in", n_);
    }

   private:
    mp::index n_ = 0;
  };

  fitted fit(const mp::matrix_view& X, const mp::vector_view& = mp::vector()) const {
    if (static_cast<double>(X.rows()) == rows)
      throw mp::invalid_input("fitted on " + std::to_string(X.rows()) + " rows; expected any other number", kind);
    return fitted(X.cols());
  }
};
}  // namespace

TEST_CASE("a search fits the refit's shared steps beside its tasks, and refits the best candidate's own model",
          "[tuning][grid_search][parallel]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const auto pipe = scale_select_logistic();
  using spec_type = std::remove_cvref_t<decltype(pipe)>;
  const mp::grid g{{"select.k", {5, 10}}, {"model.C", {0.1, 1.0}}};
  const auto own_fit = [&](const auto& spec, const mp::param_set& best) {
    auto refit = spec;
    for (const auto& [path, value] : best) refit.set_param(path, value);
    return mp::to_json(refit.fit(d.X, d.y))["model"];  // the state, without the time it was saved at
  };

  // The engine: every candidate shares the scaler and select_k_best's scores, so the search's last task fits the
  // scaler on all rows and scores its output; the refit of the best starts from there.
  const auto splits = sklearn_folds().splits(d.X.rows(), d.y);
  const auto scorers = mp::detail::resolve_scoring(pipe, mp::scoring_list{});
  for (const int n_jobs : {1, 2}) {
    CAPTURE(n_jobs);
    mp::search_results results(g.candidates(), mp::detail::scorer_names_of(scorers), splits.size(), false);
    std::vector<spec_type> specs;
    for (const auto& params : results.params()) {
      auto spec = pipe;
      for (const auto& [path, value] : params) spec.set_param(path, value);
      specs.push_back(spec);
    }
    mp::detail::refit_start<spec_type> start;
    mp::detail::evaluate_candidates(specs, results, d.X, d.y, splits, scorers, mp::search_options{.n_jobs = n_jobs},
                                    nullptr, &start);
    CHECK(start.steps == 1);
    CHECK(start.precomputed != nullptr);
    CHECK(start.out == mp::standard_scaler{}.fit(d.X, d.y).transform(d.X));
    const std::size_t best = results.best_index();
    const auto refitted = mp::detail::refit_best(specs[best], d.X, d.y, &start);
    CHECK(mp::to_json(refitted)["model"] == own_fit(pipe, results.params()[best]));
  }

  // Through grid_search: the same model as the best candidate's own fit, with or without reuse, for any n_jobs;
  // also when nothing is shared (a grid over the first step) and when the cache budget holds nothing.
  const mp::grid first_step{{"scale.with_std", {true, false}}, {"model.C", {0.1, 1.0}}};
  for (const int n_jobs : {1, 2}) {
    for (const bool reuse : {true, false}) {
      CAPTURE(n_jobs, reuse);
      for (const auto& grid : {g, first_step}) {
        const auto tuned =
            mp::grid_search{pipe, grid, {.cv = sklearn_folds(), .n_jobs = n_jobs, .reuse = reuse}}.fit(d.X, d.y);
        CHECK(mp::to_json(tuned.best_model())["model"] == own_fit(pipe, tuned.best_params()));
        CHECK(tuned.refit_time() > 0.0);
      }
      const auto unbudgeted = mp::grid_search{pipe, g,
                                              {.cv = sklearn_folds(), .n_jobs = n_jobs, .reuse = reuse,
                                               .max_cache_bytes = std::size_t{0}}}
                                  .fit(d.X, d.y);
      CHECK(mp::to_json(unbudgeted.best_model())["model"] == own_fit(pipe, unbudgeted.best_params()));
    }
  }

  // A shared step that fails on all rows only: the task keeps nothing, and the refit meets the error itself, with
  // the message a search without reuse gives.
  const auto fragile = mp::step<"odd">(fails_on_rows{.rows = static_cast<double>(d.X.rows())}) |
                       mp::step<"model">(mp::logistic_regression{});
  const std::string expected = "step 'odd' (fails_on_rows): fitted on 569 rows; expected any other number";
  for (const int n_jobs : {1, 2}) {
    for (const bool reuse : {true, false}) {
      CAPTURE(n_jobs, reuse);
      const auto search =
          mp::grid_search{fragile, mp::grid{{"model.C", {0.1, 1.0}}}, {.n_jobs = n_jobs, .reuse = reuse}};
      CHECK(error_message<mp::invalid_input>([&] { (void)search.fit(d.X, d.y); }) == expected);
    }
  }
}

TEST_CASE("a search that fails reports the same error whatever n_jobs", "[tuning][errors][parallel]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  // Two folds, one per class: each split trains on one class only, so every task fails, on both splits at once
  // when threads run them; the first in the one-thread order is the one reported.
  std::vector<mp::index> test_fold(static_cast<std::size_t>(d.y.size()));
  for (mp::index i = 0; i < d.y.size(); ++i) test_fold[static_cast<std::size_t>(i)] = d.y(i) == 0.0 ? 1 : 0;
  const auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::logistic_regression{});
  for (const int n_jobs : {1, 2, 3}) {
    CAPTURE(n_jobs);
    const auto search = mp::grid_search{pipe, mp::grid{{"scale.with_std", {true, false}}, {"model.C", {0.1, 1.0}}},
                                        {.cv = mp::predefined_split{.test_fold = test_fold}, .n_jobs = n_jobs}};
    CHECK(error_message<mp::invalid_input>([&] { (void)search.fit(d.X, d.y); }) ==
          "step 'model' (logistic_regression): y has a single class (0); expected at least two classes "
          "(cross-validation split 0 of 2, 212 training rows) (grid candidate 1: model.C = 0.1, scale.with_std = "
          "false)");
  }
}

namespace {
// Sets the matrix pool's limits while it lives, then restores them.
struct pool_limits_scope {
  mp::detail::matrix_pool_limits saved = mp::detail::pool_limits();
  explicit pool_limits_scope(mp::detail::matrix_pool_limits limits) { mp::detail::pool_limits() = limits; }
  ~pool_limits_scope() { mp::detail::pool_limits() = saved; }
};

constexpr std::size_t MB = std::size_t{1} << 20;
}  // namespace

TEST_CASE("a matrix pool hands a kept matrix's memory to the next request of about its size, within its capacity",
          "[tuning][scaling]") {
  REQUIRE(mp::detail::pool_limits().min_matrix_bytes == MB);
  const auto bytes = [](mp::index rows, mp::index cols) { return static_cast<std::size_t>(rows * cols) * 8; };
  mp::detail::matrix_pool pool(4 * MB);
  CHECK(pool.enabled());

  mp::matrix a = pool.take(20000, 10);  // 1.6 MB: none kept, so new
  CHECK(a.rows() == 20000);
  CHECK(a.cols() == 10);
  const double* memory = a.data();
  pool.give(std::move(a));
  CHECK(pool.kept_bytes() == bytes(20000, 10));
  const mp::matrix b = pool.take(20000, 10);
  CHECK(b.data() == memory);  // the same memory again
  CHECK(pool.kept_bytes() == 0);

  // A split a row shorter takes it too (reshaped); one much smaller leaves it for a request it fits.
  pool.give(mp::matrix(b));
  const mp::matrix shorter = pool.take(19999, 10);
  CHECK(shorter.rows() == 19999);
  CHECK(shorter.cols() == 10);
  CHECK(pool.kept_bytes() == 0);
  pool.give(mp::matrix(shorter));
  const mp::matrix half = pool.take(10000, 10);
  CHECK(half.size() == 100000);
  CHECK(pool.kept_bytes() == bytes(19999, 10));
  CHECK(pool.take(20000, 10).size() == 200000);  // none holds it: new, and the kept one stays
  CHECK(pool.kept_bytes() == bytes(19999, 10));

  // Small matrices are left to malloc; to stay within capacity a larger one evicts smaller ones, never the reverse.
  pool.give(mp::matrix(100, 100));
  CHECK(pool.kept_bytes() == bytes(19999, 10));
  pool.give(mp::matrix(20000, 15));  // 2.4 MB: 1.6 + 2.4 fits in 4 MB
  CHECK(pool.kept_bytes() == bytes(19999, 10) + bytes(20000, 15));
  pool.give(mp::matrix(20000, 12));  // 1.92 MB: only the 1.6 MB one is smaller, and evicting it is not enough
  CHECK(pool.kept_bytes() == bytes(19999, 10) + bytes(20000, 15));
  pool.give(mp::matrix(20000, 20));  // 3.2 MB: evicts both
  CHECK(pool.kept_bytes() == bytes(20000, 20));
  pool.give(mp::matrix(20000, 30));  // 4.8 MB: more than the whole capacity
  CHECK(pool.kept_bytes() == bytes(20000, 20));
  pool.clear();
  CHECK(pool.kept_bytes() == 0);

  // New memory comes on huge pages, asked for larger and given back: every size keeps its shape and all its elements
  // (the sanitizers' builds check the bounds), below 1 MB, around a huge page, and past malloc's 32 MB threshold.
  for (const mp::index rows : {10000, 16384, 26213, 262144, 640000}) {
    mp::matrix m = mp::detail::huge_page_matrix(rows, 7);  // 0.5 to 36 MB
    REQUIRE(m.rows() == rows);
    REQUIRE(m.cols() == 7);
    for (mp::index j = 0; j < m.cols(); ++j)
      for (mp::index i = 0; i < rows; ++i) m(i, j) = static_cast<double>(i + j);
    CHECK(m.sum() == 7.0 * (static_cast<double>(rows) * static_cast<double>(rows - 1) / 2.0) + 21.0 * rows);
  }

  // A search pools only on data of 32 MB or more, up to the data's size beyond its cache budget.
  CHECK(mp::detail::matrix_pool::capacity_for(32 * MB - 1, 100 * MB) == 0);
  CHECK(mp::detail::matrix_pool::capacity_for(32 * MB, 100 * MB) == 132 * MB);
  CHECK(mp::detail::matrix_pool::capacity_for(32 * MB, SIZE_MAX) == SIZE_MAX);
  CHECK_FALSE(mp::detail::matrix_pool(0).enabled());
}

TEST_CASE("new_matrix takes from the pool in scope on this thread, and recycle_matrix gives back to it",
          "[tuning][scaling]") {
  mp::detail::matrix_pool outer(16 * MB), inner(16 * MB);
  mp::matrix plain = mp::detail::new_matrix(20000, 10);
  mp::detail::recycle_matrix(std::move(plain));  // no pool in scope: freed
  CHECK(mp::detail::matrix_pool_scope::current() == nullptr);
  {
    const mp::detail::matrix_pool_scope scope(&outer);
    mp::matrix a = mp::detail::new_matrix(20000, 10);
    const double* memory = a.data();
    mp::detail::recycle_matrix(std::move(a));
    CHECK(outer.kept_bytes() == 1600000);
    {
      const mp::detail::matrix_pool_scope nested(&inner);
      CHECK(mp::detail::matrix_pool_scope::current() == &inner);
      mp::detail::recycle_matrix(mp::detail::new_matrix(20000, 10));  // new: the inner pool is empty
      CHECK(inner.kept_bytes() == 1600000);
      CHECK(outer.kept_bytes() == 1600000);
    }
    CHECK(mp::detail::matrix_pool_scope::current() == &outer);
    const mp::matrix b = mp::detail::new_matrix(20000, 10);
    CHECK(b.data() == memory);
    CHECK(outer.kept_bytes() == 0);
    const mp::matrix small = mp::detail::new_matrix(10, 10);  // under 1 MB: malloc's
    CHECK(small.size() == 100);
  }
  CHECK(mp::detail::matrix_pool_scope::current() == nullptr);
}

TEST_CASE("a search on large data reuses its matrices' memory through a pool, with the same scores",
          "[tuning][reuse][scaling][parallel]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  // A scorer that reads, while the search scores a candidate, the memory its pool keeps (-1: no pool in scope).
  static const bool registered = [] {
    mp::register_scorer(mp::make_scorer("pool_kept_bytes_test", [](const mp::vector_view&, const mp::matrix_view&,
                                                                    const mp::vector_view&) {
      const auto* pool = mp::detail::matrix_pool_scope::current();
      return pool == nullptr ? -1.0 : static_cast<double>(pool->kept_bytes());
    }));
    return true;
  }();
  CHECK(registered);
  const mp::grid g{{"select.k", {5, 10, 20}}, {"model.C", {0.1, 1.0}}};
  auto run = [&](int n_jobs) {
    return mp::grid_search{scale_select_logistic(), g,
                           {.cv = sklearn_folds(), .scoring = {"neg_log_loss", "pool_kept_bytes_test"},
                            .n_jobs = n_jobs, .refit = false}}
        .fit(d.X, d.y);
  };
  const auto plain = run(1);  // 569 rows: no pool
  const pool_limits_scope everything({.min_data_bytes = 0, .min_matrix_bytes = 0});
  const auto pooled = run(1);
  const auto pooled2 = run(2);
  double most_kept = 0.0;
  for (std::size_t c = 0; c < 6; ++c) {
    for (std::size_t s = 0; s < 5; ++s) {
      CAPTURE(c, s);
      CHECK(pooled.results().split_test_score(c, s, "neg_log_loss") ==
            plain.results().split_test_score(c, s, "neg_log_loss"));
      CHECK(pooled2.results().split_test_score(c, s, "neg_log_loss") ==
            plain.results().split_test_score(c, s, "neg_log_loss"));
      CHECK(plain.results().split_test_score(c, s, "pool_kept_bytes_test") == -1.0);
      CHECK(pooled.results().split_test_score(c, s, "pool_kept_bytes_test") >= 0.0);
      most_kept = std::max(most_kept, pooled.results().split_test_score(c, s, "pool_kept_bytes_test"));
    }
  }
  CHECK(most_kept > 0.0);  // later splits find earlier splits' matrices kept
  CHECK(pooled.results().stage_fits() == plain.results().stage_fits());
}

namespace {
// The test set of tests/reference/scaling.py, drawn with the same RandomState(0) stream.
mp::dataset scaling_data(const nlohmann::json& ref) {
  const auto rows = ref["rows"].get<mp::index>();
  const auto cols = ref["cols"].get<mp::index>();
  const auto w = ref["w"].get<std::vector<double>>();
  mp::numpy_random_state rng(0);
  mp::dataset d;
  d.X.resize(rows, cols);
  for (mp::index i = 0; i < rows; ++i)
    for (mp::index j = 0; j < cols; ++j) d.X(i, j) = 4.0 * rng.uniform() - 2.0;
  d.y.resize(rows);
  for (mp::index i = 0; i < rows; ++i) {
    double margin = 0.0;
    for (mp::index j = 0; j < cols; ++j) margin = margin + w[static_cast<std::size_t>(j)] * d.X(i, j);
    margin = margin + (rng.uniform() - 0.5);
    d.y(i) = margin > 0 ? 1.0 : 0.0;
  }
  return d;
}
}  // namespace

TEST_CASE("a search on 20,000 rows gives scikit-learn's scores and best parameters", "[tuning][reference][scaling]") {
  const auto& ref = mp::test::test_reference("scaling");
  const mp::dataset d = scaling_data(ref);
  REQUIRE(d.y.sum() == ref["positives"].get<double>());  // the same data as scikit-learn's
  auto spec = scale_select_logistic();
  spec.set<"model.tol">(1e-10);
  const mp::grid g{{"select.k", {3, 6}}, {"model.C", {0.01, 1.0}}};
  const auto cv = mp::stratified_kfold{.n_splits = 3, .shuffle = true, .seed = 0};
  const auto search = mp::grid_search{spec, g, {.cv = cv, .refit = false}}.fit(d.X, d.y);
  const auto cold = mp::grid_search{spec, g, {.cv = cv, .refit = false, .reuse = false}}.fit(d.X, d.y);
  for (std::size_t c = 0; c < 4; ++c) {
    CAPTURE(c);
    const auto& candidate = ref["candidates"][c];
    CHECK(mp::format_params(search.results().params()[c]) ==
          "model.C = " + mp::format_double(candidate["model.C"].get<double>()) +
              ", select.k = " + std::to_string(candidate["select.k"].get<int>()));
    // Accuracy on 6,667 test rows: equal means every prediction agrees with scikit-learn's.
    for (std::size_t s = 0; s < 3; ++s) {
      CHECK(search.results().split_test_score(c, s) == ref["split_test_scores"][c][s].get<double>());
      CHECK(cold.results().split_test_score(c, s) == search.results().split_test_score(c, s));
    }
  }
  const auto& best = ref["best_params"];
  CHECK(mp::format_params(search.best_params()) == "model.C = " + mp::format_double(best["model.C"].get<double>()) +
                                                       ", select.k = " + std::to_string(best["select.k"].get<int>()));
}

TEST_CASE("a grid over a bare stage warm-starts along C and matches cold fits", "[tuning][reuse]") {
  const auto& d = mp::test::load("iris.csv");
  const mp::grid g{{"C", {100.0, 0.01, 1.0}}, {"fit_intercept", {true, false}}};
  const auto cv = mp::stratified_kfold{.n_splits = 3, .shuffle = true, .seed = 2};
  const auto cold = mp::grid_search{mp::logistic_regression{}, g, {.cv = cv, .reuse = false}}.fit(d.X, d.y);
  const auto warm = mp::grid_search{mp::logistic_regression{}, g, {.cv = cv}}.fit(d.X, d.y);
  CHECK(warm.results().stage_fits() == 18);
  CHECK(warm.results().mean_test_score() == cold.results().mean_test_score());
  CHECK(mp::format_params(warm.best_params()) == mp::format_params(cold.best_params()));
}

namespace {
// A search with two scorers and train scores, whose state has every kind of field: 6 candidates x 3 splits.
auto tuned_scaler_ridge(const mp::dataset& d) {
  return mp::grid_search{scaler_ridge(),
                         mp::grid{{"model.alpha", {0.01, 1.0, 30.0}}, {"scale.with_std", {true, false}}},
                         {.cv = mp::kfold{.n_splits = 3, .shuffle = true, .seed = 4},
                          .scoring = {"r2", "neg_mean_squared_error"},
                          .return_train_score = true}}
      .fit(d.X, d.y);
}

// save then load through a file of the given extension, removed afterwards.
template <class Fitted>
Fitted save_and_load(const Fitted& fitted, const std::string& extension) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("mlpipe_search_" + std::to_string(std::random_device{}()) + extension);
  mp::save(fitted, path);
  struct remove_file {
    std::filesystem::path path;
    ~remove_file() { std::filesystem::remove(path); }
  } cleanup{path};
  return mp::load<Fitted>(path);
}
}  // namespace

TEST_CASE("a fitted grid_search saves and loads bit for bit in every format", "[tuning][grid_search][io]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto tuned = tuned_scaler_ridge(d);
  using fitted_type = std::remove_cvref_t<decltype(tuned)>;
  CHECK(mp::to_json(tuned)["signature"] == "grid_search(pipeline(scale:standard_scaler,model:ridge))");
  for (const std::string extension : {".json", ".cbor", ".msgpack"}) {
    CAPTURE(extension);
    const fitted_type back = save_and_load(tuned, extension);
    CHECK(back.best_index() == tuned.best_index());
    CHECK(back.best_params() == tuned.best_params());
    CHECK(back.best_score() == tuned.best_score());
    CHECK(back.refit_time() == tuned.refit_time());
    CHECK(back.n_features_in() == 10);
    const auto& r = back.results();
    CHECK(r.to_json() == tuned.results().to_json());
    CHECK(r.to_csv() == tuned.results().to_csv());
    CHECK(r.params() == tuned.results().params());
    CHECK(r.scorer_names() == tuned.results().scorer_names());
    for (std::size_t c = 0; c < 6; ++c)
      for (std::size_t s = 0; s < 3; ++s)
        CHECK(r.split_train_score(c, s, "neg_mean_squared_error") ==
              tuned.results().split_train_score(c, s, "neg_mean_squared_error"));
    CHECK(r.mean_fit_time() == tuned.results().mean_fit_time());
    CHECK(r.std_score_time() == tuned.results().std_score_time());
    CHECK(r.stage_fits() == tuned.results().stage_fits());
    CHECK(r.fits_saved() == tuned.results().fits_saved());
    CHECK(back.predict(d.X) == tuned.predict(d.X));
    CHECK(back.best_model().get<"model">().coef() == tuned.best_model().get<"model">().coef());
  }
  // Without refit there is no model to save: the table alone comes back.
  const auto kept = mp::grid_search{scaler_ridge(), mp::grid{{"model.alpha", {0.1, 10.0}}},
                                    {.cv = mp::kfold{.n_splits = 3}, .refit = false}}
                        .fit(d.X, d.y);
  const auto back = save_and_load(kept, ".json");
  CHECK(back.results().to_json() == kept.results().to_json());
  CHECK(back.best_params() == kept.best_params());
  CHECK(error_message<mp::invalid_parameter>([&] { (void)back.predict(d.X); }) ==
        "grid_search: refit = false: the search kept no model; set .refit = true");
}

TEST_CASE("a table whose candidates set different paths has one column per path, empty where unset", "[tuning][grid_search][io]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto tuned = mp::grid_search{scaler_ridge(),
                                     mp::grid_list{mp::grid{{"model.alpha", {0.1, 10.0}}},
                                                   mp::grid{{"scale.with_mean", {false}}, {"model.fit_intercept", {true}}}},
                                     {.cv = mp::kfold{.n_splits = 3}}}
                         .fit(d.X, d.y);
  const auto& r = tuned.results();
  CHECK(r.param_names() == std::vector<std::string>{"model.alpha", "model.fit_intercept", "scale.with_mean"});
  const auto j = nlohmann::json::parse(r.to_json());
  CHECK(j["param_model.alpha"] == nlohmann::json::parse("[0.1, 10.0, null]"));
  CHECK(j["param_scale.with_mean"] == nlohmann::json::parse("[null, null, false]"));
  const std::string csv = r.to_csv();
  std::vector<std::string> lines;
  for (std::size_t at = 0, next; at < csv.size(); at = next + 1) {
    next = csv.find('\n', at);
    lines.push_back(csv.substr(at, next - at));
  }
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].starts_with("param_model.alpha,param_model.fit_intercept,param_scale.with_mean,mean_fit_time,"));
  CHECK(lines[1].starts_with("0.1,,,"));
  CHECK(lines[3].starts_with(",true,false,"));
  const auto back = save_and_load(tuned, ".json");
  CHECK(back.results().to_csv() == csv);
  CHECK(back.best_params() == tuned.best_params());
}

TEST_CASE("a fitted grid_search loaded from a corrupted file names the broken field", "[tuning][grid_search][io]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto tuned = tuned_scaler_ridge(d);
  using fitted_type = std::remove_cvref_t<decltype(tuned)>;
  const nlohmann::json saved = mp::to_json(tuned);
  REQUIRE(tuned.best_index() == 4);
  REQUIRE(saved["model"]["state"]["stage_fits_without_reuse"] == 36);
  // The message of loading the saved model with one change to its state.
  const auto load_changed = [&](auto change) {
    nlohmann::json j = saved;
    change(j["model"]["state"]);
    return error_message<mp::load_error>([&] { (void)mp::from_json<fitted_type>(j, "search.json"); });
  };
  const std::string at = "search.json: model (grid_search): ";
  CHECK(load_changed([](auto& s) { s["best_index"] = 6; }) ==
        at + "state.best_index = 6 is out of range; expected 0 <= state.best_index <= the last candidate = 5");
  CHECK(load_changed([](auto& s) { s["best_index"] = 2; }) ==
        at + "state.best_index = 2 but the results rank candidate 4 first; expected the best candidate");
  CHECK(load_changed([](auto& s) { s["best_index"] = 18446744073709551615u; }) ==
        at + "state.best_index = 18446744073709551615 is out of range; expected 0 <= state.best_index <= the last "
             "candidate = 5");
  CHECK(load_changed([](auto& s) { s["best_index"] = -1; }) ==
        "search.json: model state.best_index: -1 is out of range; expected an integer from 0 to 18446744073709551615");
  // The table's shape: candidates x splits x scorers.
  CHECK(load_changed([](auto& s) { s["test_scores"][0].erase(17); }) ==
        at + "state.test_scores[0] has 17 values; expected one per candidate and split (6 x 3)");
  CHECK(load_changed([](auto& s) { s["n_splits"] = 4; }) ==
        at + "state.test_scores[0] has 18 values; expected one per candidate and split (6 x 4)");
  CHECK(load_changed([](auto& s) { s["n_splits"] = 18446744073709551615u; }) ==
        at + "state.test_scores[0] has 18 values; expected one per candidate and split (6 x 18446744073709551615)");
  CHECK(load_changed([](auto& s) { s["n_splits"] = 0; }) ==
        at + "state.n_splits = 0 is out of range; expected state.n_splits >= 1");
  CHECK(load_changed([](auto& s) { s["test_scores"].erase(1); }) ==
        at + "state.test_scores has 1 list; expected 2 (one list per scorer)");
  CHECK(load_changed([](auto& s) { s["train_scores"].erase(1); }) ==
        at + "state.train_scores has 1 list; expected 2 (one list per scorer, or none without return_train_score)");
  CHECK(load_changed([](auto& s) { s["fit_times"].push_back(0.5); }) ==
        at + "state.fit_times has 19 values; expected one per candidate and split (6 x 3)");
  CHECK(load_changed([](auto& s) { s["params"].erase(5); }) ==
        at + "state.test_scores[0] has 18 values; expected one per candidate and split (5 x 3)");
  CHECK(load_changed([](auto& s) { s["params"] = nlohmann::json::array(); }) ==
        at + "state.params is empty; expected at least one value (one per candidate)");
  CHECK(load_changed([](auto& s) { s["params"][2][1][0] = "model.alpha"; }) ==
        at + "state.params[2][1] has the path 'model.alpha' after 'model.alpha'; expected each candidate's paths, "
             "sorted and distinct");
  CHECK(load_changed([](auto& s) { std::swap(s["params"][0][0], s["params"][0][1]); }) ==
        at + "state.params[0][1] has the path 'model.alpha' after 'scale.with_std'; expected each candidate's paths, "
             "sorted and distinct");
  CHECK(load_changed([](auto& s) { s["params"][1][1] = {1, 2}; }) ==
        "search.json: model state.params[1][1]: expected a [path, value] pair, found [1, 2]");
  CHECK(load_changed([](auto& s) { s["params"][1] = "model.alpha"; }) ==
        "search.json: model state.params[1]: expected a list of [path, value] pairs, found string");
  CHECK(load_changed([](auto& s) { s["scorer_names"][1] = "r2"; }) ==
        at + "state.scorer_names[1] = \"r2\" repeats state.scorer_names[0]; expected distinct scorers");
  CHECK(load_changed([](auto& s) { s["scorer_names"][0] = ""; }) ==
        at + "state.scorer_names[0] is empty; expected a scorer's name");
  CHECK(load_changed([](auto& s) { s["scorer_names"][1] = 7; }) ==
        "search.json: model state.scorer_names[1]: expected a string, found 7");
  // Numbers: scores finite or nan (a failed fit), times finite and >= 0.
  CHECK(load_changed([](auto& s) { s["test_scores"][1][4] = "inf"; }) ==
        at + "state.test_scores[1][4] = inf is not finite; expected finite values, or nan for a failed fit");
  CHECK(load_changed([](auto& s) { s["fit_times"][3] = "nan"; }) ==
        at + "state.fit_times[3] = nan is not finite; expected finite values >= 0");
  CHECK(load_changed([](auto& s) { s["score_times"][2] = -1.0; }) ==
        at + "state.score_times[2] = -1 is out of range; expected finite values >= 0");
  CHECK(load_changed([](auto& s) { s["refit_time"] = "nan"; }) ==
        at + "state.refit_time = nan is out of range; expected a finite value >= 0");
  CHECK(load_changed([](auto& s) { s["test_scores"][0][5] = "x"; }) ==
        "search.json: model state.test_scores[0][5]: expected a number, found \"x\"");
  CHECK(load_changed([](auto& s) { s["stage_fits"] = 37; }) ==
        at + "state.stage_fits = 37 is out of range; expected 0 <= state.stage_fits <= "
             "state.stage_fits_without_reuse = 36");
  // The best model: present with refit, itself checked, and as wide as the search's input.
  CHECK(load_changed([](auto& s) { s.erase("best_model"); }) == "search.json: model state: 'best_model' is missing");
  CHECK(load_changed([](auto& s) {
          s["refit"] = false;
          s["refit_time"] = 0.5;
        }) == at + "state.refit_time = 0.5 but refit = false; expected 0");
  CHECK(load_changed([](auto& s) { s["n_features_in"] = 9; }) ==
        at + "state.best_model was fitted on 10 features but state.n_features_in = 9; expected the search's input width");
  CHECK(load_changed([](auto& s) { s["best_model"]["steps"][1]["state"]["coef"][0] = "nan"; }) ==
        "search.json: model state.best_model steps[1] 'model' (ridge): state.coef[0] = nan is not finite; expected "
        "finite values");
  // A failed candidate's nan scores are a state fit can produce: they load, and the candidate ranks last.
  nlohmann::json failed = saved;
  for (std::size_t s = 0; s < 3; ++s) failed["model"]["state"]["test_scores"][0][s] = "nan";  // candidate 0
  const auto back = mp::from_json<fitted_type>(failed, "search.json");
  CHECK(std::isnan(back.results().mean_test_score()[0]));
  CHECK(back.results().rank_test_score()[0] == 6);
  CHECK(back.best_index() == 4);
  // The signature names the best model's type.
  using ridge_search = decltype(mp::grid_search{mp::ridge{}, mp::grid{{"alpha", {1.0}}}}.fit(d.X, d.y));
  CHECK(error_message<mp::load_error>([&] { (void)mp::from_json<ridge_search>(saved, "search.json"); }) ==
        "search.json: the file holds a model of another pipeline type: grid_search(pipeline(scale:standard_scaler,"
        "model:ridge)); the type it is loaded as is grid_search(ridge)");
}

TEST_CASE("a pipeline with a grid_search step saves and loads", "[tuning][grid_search][io]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto chain = mp::step<"scale">(mp::standard_scaler{}) |
                     mp::step<"search">(mp::grid_search{mp::ridge{}, mp::grid{{"alpha", {0.1, 10.0}}},
                                                        {.cv = mp::kfold{.n_splits = 3}}});
  const auto fitted = chain.fit(d.X, d.y);
  using fitted_type = std::remove_cvref_t<decltype(fitted)>;
  const nlohmann::json saved = mp::to_json(fitted);
  CHECK(saved["signature"] == "pipeline(scale:standard_scaler,search:grid_search(ridge))");
  const fitted_type back = save_and_load(fitted, ".json");
  CHECK(back.predict(d.X) == fitted.predict(d.X));
  CHECK(back.get<"search">().results().to_json() == fitted.get<"search">().results().to_json());
  CHECK(back.get<"search">().best_params() == fitted.get<"search">().best_params());
  nlohmann::json j = saved;
  j["model"]["steps"][1]["state"]["best_index"] = 2;
  CHECK(error_message<mp::load_error>([&] { (void)mp::from_json<fitted_type>(j, "chain.json"); }) ==
        "chain.json: model steps[1] 'search' (grid_search): state.best_index = 2 is out of range; expected 0 <= "
        "state.best_index <= the last candidate = 1");
}

TEST_CASE("a grid_search file of schema version 1 loads, without the columns version 2 added", "[tuning][grid_search][io]") {
  // Saved by mlpipe before the search strategies: scaler | logistic_regression on iris, C in {0.1, 1}, 3 folds.
  const std::string file = std::string(MLPIPE_TEST_REFERENCE_DIR) + "/grid_search_v1.json";
  const auto& d = mp::test::load("iris.csv");
  const auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::logistic_regression{});
  const auto now = mp::grid_search{pipe, mp::grid{{"model.C", {0.1, 1.0}}}, {.cv = mp::stratified_kfold{.n_splits = 3}}}
                       .fit(d.X, d.y);
  using fitted_type = std::remove_cvref_t<decltype(now)>;
  const auto old = mp::load<fitted_type>(file);
  REQUIRE(old.results().n_candidates() == 2);
  CHECK_FALSE(old.results().partial());
  CHECK(old.results().contenders().empty());
  CHECK(old.best_params() == now.best_params());
  for (std::size_t c = 0; c < 2; ++c) CHECK(std::abs(old.results().mean_test_score()[c] - now.results().mean_test_score()[c]) < 1e-9);
  CHECK((old.predict(d.X).array() == now.predict(d.X).array()).all());
  // Saved again, it is a version 2 file; a version 2 file lacking a field version 2 added is broken.
  nlohmann::json again = mp::to_json(old);
  CHECK(again["model"]["schema_version"] == 2);
  again["model"]["state"].erase("partial");
  CHECK(error_message<mp::load_error>([&] { (void)mp::from_json<fitted_type>(again, "search.json"); }) ==
        "search.json: model state: 'partial' is missing");
}

}  // namespace test_grid_search_tests
