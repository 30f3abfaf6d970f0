#include <catch2/catch.hpp>

#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "mlpipe/tuning/grid_search.hpp"
#include "mlpipe/validation/metrics.hpp"
#include "support.hpp"

namespace mp = mlpipe;
using mp::test::error_message;

namespace {
auto scaler_ridge() { return mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{}); }
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

TEST_CASE("grid_search breaks ties by grid order and is the same for any n_jobs", "[tuning][grid_search]") {
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
