// Experiment specs: a spec run gives the scores the same benchmark built in C++ gives, bit for bit; the tables it
// writes; and every error of a bad spec, naming the location, the value and what was expected. The registry of stage
// kinds comes from another file of the test program (mlpipe_registry, the registry compiled once).
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>  // std::distance
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlpipe/dynamic.hpp"
#include "mlpipe/dynamic/experiment.hpp"
#include "mlpipe/io/npy.hpp"
#include "mlpipe/io/serialize.hpp"
#include "mlpipe/models/logistic_regression.hpp"
#include "mlpipe/models/tree.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/validation/cross_validate.hpp"
#include "support.hpp"

namespace test_experiment_tests {

namespace mp = mlpipe;

// The committed example spec.
const std::string example_spec = std::string(MLPIPE_DATA_DIR) + "/../experiment.json";

nlohmann::json example() { return mp::test::read_json(example_spec); }

// from_json of a spec, its data paths relative to the examples folder.
mp::experiment::spec parse(const nlohmann::json& j) {
  return mp::experiment::from_json(j.dump(), std::string(MLPIPE_DATA_DIR) + "/..", "spec.json");
}

std::string error_of(const nlohmann::json& j) {
  return mp::test::error_message<mp::invalid_parameter>([&] { parse(j); });
}

TEST_CASE("an experiment spec scores what the same benchmark built in C++ scores, bit for bit", "[experiment]") {
  const auto s = parse(example());
  REQUIRE(s.pipelines.size() == 3);
  REQUIRE(s.datasets.size() == 3);
  const mp::benchmark_result r = mp::experiment::run(s);

  const auto logreg = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::logistic_regression{});
  const auto tuned = mp::random_search{
      logreg, mp::space{{"model.C", mp::loguniform(0.01, 100)}},
      {.n_iter = 3, .seed = 0, .cv = mp::stratified_kfold{.n_splits = 3}, .scoring = "accuracy"}};
  const auto tree = mp::decision_tree_classifier{.max_depth = 3};
  const auto expected = mp::benchmark(mp::named("logreg", logreg), mp::named("tuned_logreg", tuned),
                                      mp::named("tree", tree))
                            .on(mp::named("iris", mp::test::load("iris.csv")),
                                mp::named("wine", mp::test::load("wine.csv")),
                                mp::named("breast_cancer", mp::test::load("breast_cancer.csv")))
                            .run({.cv = mp::repeated_stratified_kfold{.n_splits = 3, .n_repeats = 2, .seed = 0},
                                  .scoring = {"accuracy", "balanced_accuracy"}});
  const auto& got = r.results().rows();
  const auto& want = expected.results().rows();
  REQUIRE(got.size() == 3 * 3 * 6 * 2);
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO(i);
    CHECK(got[i].pipeline == want[i].pipeline);
    CHECK(got[i].dataset == want[i].dataset);
    CHECK(got[i].fold == want[i].fold);
    CHECK(got[i].metric == want[i].metric);
    CHECK(got[i].value == want[i].value);
    CHECK(got[i].n_train == want[i].n_train);
    CHECK(got[i].n_test == want[i].n_test);
  }
  CHECK(r.summary("accuracy").to_markdown() == expected.summary("accuracy").to_markdown());
  CHECK(r.critical_difference("balanced_accuracy").to_markdown() ==
        expected.critical_difference("balanced_accuracy").to_markdown());
}

TEST_CASE("each search strategy of a spec is that search wrapped as a stage, in nested cross-validation",
          "[experiment]") {
  const std::string logreg = R"({"steps": [{"name": "scale", "kind": "standard_scaler"},
                                           {"name": "model", "kind": "logistic_regression"}]})";
  const auto p = mp::any_pipeline::from_json(logreg);
  const mp::stratified_kfold inner{.n_splits = 3};
  const mp::grid g{{"model.C", {0.1, 1.0}}};
  const mp::space_list sp(mp::space{{"model.C", mp::loguniform(0.01, 10)}});
  struct strategy_case {
    std::string search;
    mp::any_pipeline expected;
  };
  const std::vector<strategy_case> cases = {
      {R"({"strategy": "grid", "space": {"model.C": [0.1, 1.0]}})",
       mp::any_pipeline(mp::grid_search(p, g, {.cv = inner, .scoring = "accuracy"}))},
      {R"({"strategy": "tpe", "space": {"model.C": {"loguniform": [0.01, 10]}}, "n_trials": 3, "seed": 4})",
       mp::any_pipeline(mp::tpe_search(p, sp, {.n_trials = 3, .seed = 4, .cv = inner, .scoring = "accuracy"}))},
      {R"({"strategy": "halving_grid", "space": {"model.C": [0.1, 1.0]}, "factor": 2})",
       mp::any_pipeline(mp::halving_grid_search(p, g, {.factor = 2, .cv = inner, .scoring = "accuracy"}))},
      {R"({"strategy": "halving_grid", "space": {"model.C": [0.1, 1.0, 10.0]}, "resource": "model.max_iter",
           "min_resources": 1, "max_resources": 2, "aggressive_elimination": true})",
       mp::any_pipeline(mp::halving_grid_search(p, mp::grid{{"model.C", {0.1, 1.0, 10.0}}},
                                                {.resource = "model.max_iter",
                                                 .min_resources = mp::resource_amount{std::int64_t{1}},
                                                 .max_resources = std::int64_t{2},
                                                 .aggressive_elimination = true,
                                                 .cv = inner,
                                                 .scoring = "accuracy"}))},
      {R"({"strategy": "halving_random", "space": {"model.C": {"loguniform": [0.01, 10]}}, "n_iter": 4,
           "min_resources": "exhaust", "seed": 2})",
       mp::any_pipeline(mp::halving_random_search(p, sp,
                                                  {.n_candidates = std::int64_t{4},
                                                   .min_resources = mp::resource_amount{std::string("exhaust")},
                                                   .seed = 2,
                                                   .cv = inner,
                                                   .scoring = "accuracy"}))},
      {R"({"strategy": "halving_random", "space": {"model.C": {"loguniform": [0.01, 10]}}, "n_iter": "exhaust",
           "seed": 3})",
       mp::any_pipeline(mp::halving_random_search(
           p, sp, {.n_candidates = std::string("exhaust"), .seed = 3, .cv = inner, .scoring = "accuracy"}))},
      // Without n_iter: halving_random_search's default, "exhaust" (on this space and seed, 10 candidates would pick
      // other C values on both outer splits).
      {R"({"strategy": "halving_random", "space": {"model.C": {"loguniform": [0.0001, 10000]}}, "seed": 0})",
       mp::any_pipeline(mp::halving_random_search(
           p, mp::space_list(mp::space{{"model.C", mp::loguniform(1e-4, 1e4)}}),
           {.seed = 0, .cv = inner, .scoring = "accuracy"}))},
      {R"({"strategy": "halving_random", "space": {"model.C": {"choice": [0.1, 1.0, 10.0]}}, "n_iter": 3})",
       mp::any_pipeline(mp::halving_random_search(
           p, mp::space_list(mp::space{{"model.C", mp::choice({0.1, 1.0, 10.0})}}),
           {.n_candidates = std::int64_t{3}, .cv = inner, .scoring = "accuracy"}))},
      {R"({"strategy": "hyperband", "space": {"model.C": {"loguniform": [0.01, 10]}}, "resource": "model.max_iter",
           "max_resource": 9, "seed": 1})",
       mp::any_pipeline(mp::hyperband<mp::any_pipeline>(
           p, sp, {.resource = "model.max_iter", .max_resource = 9, .seed = 1, .cv = inner, .scoring = "accuracy"}))}};
  const auto& iris = mp::test::load("iris.csv");
  for (const auto& c : cases) {
    INFO(c.search);
    nlohmann::json j = {{"datasets", {{{"name", "iris"}, {"csv", "data/iris.csv"}, {"target", "target"}}}},
                        {"pipelines", {{{"name", "tuned"}, {"spec", nlohmann::json::parse(logreg)},
                                        {"search", nlohmann::json::parse(c.search)}}}},
                        {"splitter", {{"kind", "stratified_kfold"}, {"params", {{"n_splits", 2}}}}},
                        {"metrics", {"accuracy"}}};
    j["pipelines"][0]["search"]["cv"] = {{"kind", "stratified_kfold"}, {"params", {{"n_splits", 3}}}};
    const auto r = mp::experiment::run(parse(j));
    const auto cv = mp::cross_validate(c.expected, iris.X, iris.y, mp::stratified_kfold{.n_splits = 2},
                                       {.scoring = "accuracy"});
    REQUIRE(r.results().size() == 2);
    CHECK(r.results().rows()[0].value == cv.test_scores()[0]);
    CHECK(r.results().rows()[1].value == cv.test_scores()[1]);
  }
}

TEST_CASE("run_experiment writes the results and summary tables its spec asks for", "[experiment]") {
  const std::filesystem::path out = "test_experiment_out";
  std::filesystem::remove_all(out);
  const mp::benchmark_result r = mp::run_experiment(example_spec, out);
  CHECK(r.pipelines() == std::vector<std::string>{"logreg", "tuned_logreg", "tree"});
  CHECK(r.datasets() == std::vector<std::string>{"iris", "wine", "breast_cancer"});
  CHECK(r.metrics() == std::vector<std::string>{"accuracy", "balanced_accuracy"});
  const auto text = [](const std::filesystem::path& p) { return mp::experiment::detail::read_text(p, "a table"); };
  CHECK(text(out / "results.csv") == r.results().csv());
  CHECK(text(out / "results.json") == r.results().json());
  const std::string md = text(out / "summary.md");
  CHECK(md == mp::experiment::summary_markdown(r));
  CHECK(md.starts_with("## accuracy\n\n" + r.summary("accuracy").to_markdown() +
                       "\n### accuracy: comparison across datasets\n\n" +
                       r.critical_difference("accuracy").to_markdown()));
  CHECK(md.find("## balanced\\_accuracy\n") != std::string::npos);
  CHECK(text(out / "summary_accuracy.tex") == r.summary("accuracy").to_latex());
  CHECK(text(out / "summary_balanced_accuracy.tex") == r.summary("balanced_accuracy").to_latex());
  std::filesystem::remove_all(out);
  // Only the formats asked for.
  const auto files = mp::experiment::write(r, {.folder = out / "csv_only", .formats = {"csv"}});
  CHECK(files == std::vector<std::filesystem::path>{out / "csv_only" / "results.csv"});
  const std::filesystem::directory_iterator listing(out / "csv_only");
  CHECK(std::distance(begin(listing), end(listing)) == 1);
  std::filesystem::remove_all(out);
}

TEST_CASE("a spec's dataset may be a .npy file, its target a column or a second file", "[experiment]") {
  const std::string npy = std::string(MLPIPE_TEST_REFERENCE_DIR) + "/npy/";
  nlohmann::json j = example();
  j["datasets"] = {{{"name", "by_file"}, {"npy", npy + "c_f8.npy"}, {"target", npy + "target.npy"}},
                   {{"name", "by_column"}, {"npy", npy + "c_f8.npy"}, {"target", 2}}};
  const auto s = parse(j);
  const auto by_file = mp::read_npy(npy + "c_f8.npy", {.target = npy + "target.npy"});
  const auto by_column = mp::read_npy(npy + "c_f8.npy", {.target = 2});
  CHECK((s.datasets[0].value.X.array() == by_file.X.array()).all());
  CHECK((s.datasets[0].value.y.array() == by_file.y.array()).all());
  CHECK((s.datasets[1].value.X.array() == by_column.X.array()).all());
  CHECK((s.datasets[1].value.y.array() == by_column.y.array()).all());
  j["datasets"][1]["target"] = 3;
  CHECK(error_of(j).starts_with("spec.json: datasets[1].npy: "));
  j["datasets"][1]["target"] = true;
  CHECK(error_of(j) == "spec.json: datasets[1].target: expected a column number (an integer >= 0) or a .npy file's "
                       "path, found true (boolean)");
}

TEST_CASE("a spec's seed is the default seed of its splitters and searches", "[experiment]") {
  nlohmann::json j = example();
  j["seed"] = 7;
  const auto s = parse(j);
  const auto& iris = mp::test::load("iris.csv");
  const auto got = s.cv.splits(iris.X.rows(), iris.y);
  const auto want =
      mp::repeated_stratified_kfold{.n_splits = 3, .n_repeats = 2, .seed = 7}.splits(iris.X.rows(), iris.y);
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == want[i]);
  j["splitter"]["params"]["seed"] = 3;  // a splitter's own seed wins
  const auto own = parse(j).cv.splits(iris.X.rows(), iris.y);
  CHECK(own[0].test == mp::repeated_stratified_kfold{.n_splits = 3, .n_repeats = 2, .seed = 3}
                           .splits(iris.X.rows(), iris.y)[0]
                           .test);
  CHECK(own[0].test != got[0].test);
}

TEST_CASE("every error of a bad experiment spec names its location, the value and what was expected",
          "[experiment]") {
  auto with = [](auto&& change) {
    nlohmann::json j = example();
    change(j);
    return j;
  };
  CHECK(mp::test::error_message<mp::invalid_parameter>(
            [] { mp::experiment::from_json("{\"datasets\": [", {}, "x.json"); })
            .starts_with("x.json: malformed JSON ("));
  CHECK(error_of(with([](auto& j) { j["metric"] = j["metrics"]; })) ==
        "spec.json: metric: unknown key 'metric'; did you mean 'metrics'? Expected keys: description, datasets, "
        "pipelines, splitter, metrics, n_jobs, seed, alpha, output");
  CHECK(error_of(with([](auto& j) { j.erase("datasets"); })) ==
        "spec.json: missing key 'datasets'; expected a list of datasets");
  CHECK(error_of(with([](auto& j) { j["datasets"][1]["csv"] = "data/nothing.csv"; })) ==
        "spec.json: datasets[1].csv: no file 'data/nothing.csv' (looked in '" + std::string(MLPIPE_DATA_DIR) +
            "/..' and the working directory); expected a readable file");
  CHECK(error_of(with([](auto& j) { j["datasets"][1]["npy"] = "x.npy"; })) ==
        "spec.json: datasets[1]: expected one of \"csv\" (a CSV file with a header row) and \"npy\" (a 2-D .npy "
        "file), found both");
  CHECK(error_of(with([](auto& j) { j["datasets"][1].erase("csv"); })) ==
        "spec.json: datasets[1]: expected one of \"csv\" (a CSV file with a header row) and \"npy\" (a 2-D .npy "
        "file), found neither");
  CHECK(error_of(with([](auto& j) { j["datasets"][1]["file"] = "x.csv"; })) ==
        "spec.json: datasets[1].file: unknown key 'file'. Expected keys: name, csv, npy, target, groups");
  CHECK(error_of(with([](auto& j) { j["datasets"][0]["target"] = 3; })) ==
        "spec.json: datasets[0].target: expected a non-empty string, found 3 (number)");
  CHECK(error_of(with([](auto& j) { j["datasets"][1]["name"] = "iris"; })) ==
        "spec.json: datasets[1].name: two datasets are named 'iris'; expected distinct names");
  CHECK(error_of(with([](auto& j) { j["datasets"][0]["target"] = "species"; }))
            .starts_with("spec.json: datasets[0].csv: "));
  CHECK(error_of(with([](auto& j) { j["pipelines"][0]["spec"]["steps"][1]["kind"] = "logistic_regresion"; }))
            .starts_with("spec.json: pipelines[0].spec: spec steps[1] 'model': stage kind 'logistic_regresion' is not "
                         "registered; did you mean 'logistic_regression'?"));
  CHECK(error_of(with([](auto& j) { j["pipelines"][1]["search"]["strategy"] = "randm"; })) ==
        "spec.json: pipelines[1].search.strategy: unknown strategy 'randm'; did you mean 'random'? Expected one "
        "of: grid, random, tpe, halving_grid, halving_random, hyperband");
  CHECK(error_of(with([](auto& j) { j["pipelines"][1]["search"]["n_trials"] = 5; })) ==
        "spec.json: pipelines[1].search.n_trials: 'n_trials' is an option of strategy tpe, not of 'random'. Expected "
        "keys: strategy, space, cv, scoring, seed, n_jobs, n_iter, max_time");
  CHECK(error_of(with([](auto& j) { j["pipelines"][1]["search"]["space"] = {{"model.c", {1, 2}}}; })) ==
        "spec.json: pipelines[1].search.space[\"model.c\"]: search: unknown parameter path 'model.c'; did you "
        "mean 'model.C'? Valid paths: scale.with_mean, scale.with_std, model.penalty, model.C, model.l1_ratio, "
        "model.fit_intercept, model.max_iter, model.tol, model.class_weight (space axis 'model.c' = [1, 2])");
  CHECK(error_of(with([](auto& j) { j["pipelines"][1]["search"]["space"]["model.C"] = {{"uniform", {0, 1}}}; })) ==
        "spec.json: pipelines[1].search.space[\"model.C\"]: step 'model' (logistic_regression): C = 0 is out of "
        "range; expected C > 0 (space axis 'model.C' = uniform(0, 1))");
  CHECK(error_of(with([](auto& j) { j["pipelines"][1]["search"]["space"]["model.C"] = {{"loguniform", {100, 1}}}; })) ==
        "spec.json: pipelines[1].search.space[\"model.C\"]: space: 'model.C' = loguniform(100, 1): low = 100 >= "
        "high = 1; expected low < high");
  CHECK(error_of(with([](auto& j) {
          j["pipelines"][1]["search"]["space"]["model.max_iter"] = {{"uniform", {10, 100}}};
        })) ==
        "spec.json: pipelines[1].search.space[\"model.max_iter\"]: search: parameter 'model.max_iter' is an "
        "integer; expected int_uniform or int_loguniform, or a list, instead of uniform(10, 100) (space axis "
        "'model.max_iter' = uniform(10, 100))");
  CHECK(error_of(with([](auto& j) {
          j["pipelines"][1]["search"]["space"]["model.C"] = {{"int_uniform", {1, 2.5}}};
        })) ==
        "spec.json: pipelines[1].search.space[\"model.C\"].int_uniform: expected [low, high], two integers, found "
        "[1, 2.5] (array)");
  CHECK(error_of(with([](auto& j) { j["pipelines"][2]["spec"] = "tree"; })) ==
        "spec.json: pipelines[2].spec: expected an object, found \"tree\" (string)");
  CHECK(error_of(with([](auto& j) { j["pipelines"][2].erase("spec"); })) ==
        "spec.json: pipelines[2]: missing key 'spec'; expected the pipeline's spec, as any_pipeline::from_json "
        "reads it");
  CHECK(error_of(with([](auto& j) { j["pipelines"][2]["spec"]["params"]["max_dept"] = 3; })) ==
        "spec.json: pipelines[2].spec: spec: decision_tree_classifier: unknown parameter path 'max_dept'; did you "
        "mean 'max_depth'? Valid paths: criterion, max_depth, min_samples_split, min_samples_leaf, "
        "min_impurity_decrease, max_features, max_leaf_nodes, ccp_alpha, seed, class_weight");
  CHECK(error_of(with([](auto& j) { j["pipelines"][1]["search"]["cv"]["kind"] = "group_kfold"; })) ==
        "spec.json: pipelines[1].search.cv.kind: splitter 'group_kfold' needs groups, which a search inside the "
        "outer splits does not get; expected one of: kfold, stratified_kfold, repeated_kfold, "
        "repeated_stratified_kfold, shuffle_split, stratified_shuffle_split, leave_one_out, leave_p_out, "
        "time_series_split");
  CHECK(error_of(with([](auto& j) { j["splitter"] = {{"kind", "group_kfold"}}; })) ==
        "spec.json: splitter.kind: splitter 'group_kfold' needs groups: name each dataset's group column in its "
        "\"groups\"; expected one of: kfold, stratified_kfold, repeated_kfold, repeated_stratified_kfold, "
        "shuffle_split, stratified_shuffle_split, leave_one_out, leave_p_out, time_series_split");
  CHECK(error_of(with([](auto& j) { j["pipelines"][1]["search"]["max_time"] = -1; })) ==
        "spec.json: pipelines[1].search.max_time: expected a number of seconds >= 0 (0: no limit), found -1 (number)");
  CHECK(error_of(with([](auto& j) {
          j["pipelines"][1]["search"] = {{"strategy", "grid"}, {"space", {{"model.C", {1.0}}}}, {"max_time", 5}};
        })) ==
        "spec.json: pipelines[1].search.max_time: 'max_time' is an option of strategy random, tpe, halving_grid, "
        "halving_random, hyperband, not of 'grid'. Expected keys: strategy, space, cv, scoring, seed, n_jobs");
  CHECK(error_of(with([](auto& j) { j["datasets"][0]["groups"] = "sepal_lenght"; })).starts_with(
        "spec.json: datasets[0].groups: no column 'sepal_lenght'"));
  CHECK(error_of(with([](auto& j) { j["datasets"][0]["groups"] = j["datasets"][0]["target"]; })).starts_with(
        "spec.json: datasets[0].groups: no column 'target'"));
  CHECK(error_of(with([](auto& j) {
          j["pipelines"][1]["search"]["strategy"] = "grid";
          j["pipelines"][1]["search"].erase("n_iter");
        })) == "spec.json: pipelines[1].search.space[\"model.C\"].loguniform: a grid search takes lists of values; "
               "expected a list instead of a distribution (use strategy \"random\" or \"tpe\" to draw from it)");
  CHECK(error_of(with([](auto& j) { j["pipelines"][1]["search"]["space"]["model.C"] = {{"normal", {0, 1}}}; })) ==
        "spec.json: pipelines[1].search.space[\"model.C\"].normal: unknown key 'normal'. Expected keys: choice, "
        "uniform, loguniform, int_uniform, int_loguniform");
  CHECK(error_of(with([](auto& j) { j["splitter"]["kind"] = "stratified_kfol"; })) ==
        "spec.json: splitter.kind: unknown splitter 'stratified_kfol'; did you mean 'stratified_kfold'? Expected "
        "one of: kfold, stratified_kfold, repeated_kfold, repeated_stratified_kfold, shuffle_split, "
        "stratified_shuffle_split, leave_one_out, leave_p_out, time_series_split");
  CHECK(error_of(with([](auto& j) { j["splitter"]["params"]["n_split"] = 3; })) ==
        "spec.json: splitter.params.n_split: unknown parameter path 'n_split'; did you mean 'n_splits'? Valid "
        "paths: n_splits, n_repeats, seed");
  CHECK(error_of(with([](auto& j) { j["splitter"]["params"]["n_splits"] = 1; })) ==
        "spec.json: splitter: repeated_stratified_kfold: n_splits = 1 is out of range; expected n_splits >= 2");
  CHECK(error_of(with([](auto& j) { j["metrics"][1] = "balanced_acuracy"; })).starts_with(
        "spec.json: metrics[1]: unknown scorer 'balanced_acuracy'; did you mean 'balanced_accuracy'? Valid scorers: "));
  CHECK(error_of(with([](auto& j) { j["output"]["formats"][0] = "xlsx"; })) ==
        "spec.json: output.formats[0]: unknown format 'xlsx'. Expected one of: csv, json, markdown, latex");
  const auto mixed = with([](auto& j) {
    j.erase("metrics");
    j["pipelines"][2]["spec"] = {{"kind", "ridge"}};
  });
  CHECK(error_of(mixed) ==
        "spec.json: metrics: pipeline 'tree' is scored by r2 but pipeline 'logreg' by accuracy; expected the same "
        "scorers for all: name them in \"metrics\"");
  const auto regressor = with([](auto& j) {
    j["pipelines"][2]["spec"] = {{"kind", "ridge"}};
    j["metrics"] = {"accuracy", "neg_log_loss"};
  });
  CHECK(error_of(regressor) == "spec.json: metrics: scorer 'neg_log_loss' needs predict_proba, which ridge does not "
                                "have; expected a classifier (pipelines[2] 'tree')");
  CHECK(error_of(with([](auto& j) { j["n_jobs"] = "2"; })) ==
        "spec.json: n_jobs: expected an integer >= -1, found \"2\" (string)");
  CHECK(error_of(with([](auto& j) { j["alpha"] = 1.5; })) ==
        "spec.json: alpha: expected a number with 0 < alpha < 1, found 1.5 (number)");
}

TEST_CASE("a spec's datasets may name a groups column for a group splitter, and searches a max_time",
          "[experiment]") {
  // iris with a subject column: 15 groups of 10 consecutive rows.
  const std::filesystem::path csv = std::filesystem::absolute("test_experiment_groups.csv");
  const auto& iris = mp::test::load("iris.csv");
  {
    std::ofstream out(csv);
    out << "a,b,subject,c,d,target\n";
    for (mp::index i = 0; i < iris.X.rows(); ++i)
      out << mp::format_double(iris.X(i, 0)) << ',' << mp::format_double(iris.X(i, 1)) << ',' << i / 10 << ','
          << mp::format_double(iris.X(i, 2)) << ',' << mp::format_double(iris.X(i, 3)) << ','
          << mp::format_double(iris.y(i)) << '\n';
  }
  const std::string logreg = R"({"steps": [{"name": "scale", "kind": "standard_scaler"},
                                           {"name": "model", "kind": "logistic_regression"}]})";
  nlohmann::json j = {{"datasets", {{{"name", "iris"}, {"csv", csv.string()}, {"target", "target"},
                                     {"groups", "subject"}}}},
                      {"pipelines", {{{"name", "logreg"}, {"spec", nlohmann::json::parse(logreg)}}}},
                      {"splitter", {{"kind", "group_kfold"}, {"params", {{"n_splits", 3}}}}},
                      {"metrics", {"accuracy"}}};
  const auto s = parse(j);
  REQUIRE(s.groups.size() == 1);
  CHECK(s.datasets[0].value.feature_names == std::vector<std::string>{"a", "b", "c", "d"});  // groups taken out
  CHECK((s.datasets[0].value.X.array() == iris.X.array()).all());
  std::vector<mp::index> subject;
  for (mp::index i = 0; i < iris.X.rows(); ++i) subject.push_back(i / 10);
  const auto r = mp::experiment::run(s);
  const auto cv = mp::cross_validate(mp::any_pipeline::from_json(logreg), iris.X, iris.y,
                                     mp::group_kfold{.n_splits = 3}, {.scoring = "accuracy", .groups = subject});
  REQUIRE(r.results().size() == 3);
  for (std::size_t f = 0; f < 3; ++f) CHECK(r.results().rows()[f].value == cv.test_scores()[f]);
  // A dataset without groups cannot use a group splitter.
  j["datasets"].push_back({{"name", "plain"}, {"csv", "data/iris.csv"}, {"target", "target"}});
  CHECK(error_of(j).starts_with("spec.json: splitter.kind: splitter 'group_kfold' needs groups: name each "
                                "dataset's group column in its \"groups\""));
  std::filesystem::remove(csv);

  // max_time: past it a search starts no task; its table is marked partial.
  const auto search_of = [&](const nlohmann::json& search) {
    nlohmann::json k = {{"datasets", {{{"name", "iris"}, {"csv", "data/iris.csv"}, {"target", "target"}}}},
                        {"pipelines",
                         {{{"name", "tuned"}, {"spec", nlohmann::json::parse(logreg)}, {"search", search}}}},
                        {"metrics", {"accuracy"}}};
    return parse(k).pipelines[0].value;
  };
  const nlohmann::json random = {{"strategy", "random"}, {"space", {{"model.C", {{"loguniform", {0.01, 10}}}}}},
                                 {"n_iter", 40}};
  nlohmann::json limited = random;
  limited["max_time"] = 1e-9;
  const auto partial = [&](const mp::any_pipeline& p) {
    return nlohmann::json::parse(mp::to_json(p.fit(iris.X, iris.y)).dump())["model"]["state"]["partial"];
  };
  CHECK(partial(search_of(random)) == false);
  CHECK(partial(search_of(limited)) == true);
}

}  // namespace test_experiment_tests
