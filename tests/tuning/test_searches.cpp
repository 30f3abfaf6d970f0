#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>      // std::remove
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <chrono>
#include <thread>
#include <sys/wait.h>  // waitpid
#include <csignal>     // SIGKILL
#include <unistd.h>    // fork
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/core/random.hpp"
#include "mlpipe/feature_selection/select_k_best.hpp"
#include "mlpipe/models/logistic_regression.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "mlpipe/io/csv.hpp"
#include "mlpipe/tuning/halving.hpp"
#include "mlpipe/tuning/random_search.hpp"
#include "mlpipe/tuning/space.hpp"
#include "mlpipe/validation/cross_validate.hpp"
#include "support.hpp"

// File-local names live here: the test files are compiled together in batches (a unity build).
namespace test_searches_tests {

namespace mp = mlpipe;
using mp::test::error_message;

namespace {
auto scale_select_logistic() {
  return mp::step<"scale">(mp::standard_scaler{}) | mp::step<"select">(mp::select_k_best{.k = 10, .score = mp::f_classif}) |
         mp::step<"model">(mp::logistic_regression{});
}

// A drawn candidate equals scikit-learn's: the same paths, numbers equal to the last bit, strings equal.
void check_candidate(const mp::param_set& ours, const nlohmann::json& theirs, bool loguniform) {
  REQUIRE(ours.size() == theirs.size());
  for (const auto& [path, value] : ours) {
    INFO(path);
    REQUIRE(theirs.contains(path));
    const auto& expected = theirs[path];
    if (const auto* s = std::get_if<std::string>(&value)) {
      CHECK(*s == expected.get<std::string>());
    } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
      CHECK(static_cast<double>(*i) == expected.get<double>());
    } else if (path == "model.C" && loguniform) {
      // scipy draws loguniform through numpy's power, which on AVX-512 machines is not libm's pow: 1 or 2 ulp apart.
      CHECK(std::abs(std::get<double>(value) - expected.get<double>()) <= 4.5e-16 * expected.get<double>());
    } else {
      CHECK(std::get<double>(value) == expected.get<double>());
    }
  }
}

const nlohmann::json& sampler_case(const std::string& name, int seed) {
  for (const auto& c : mp::test::test_reference("tuning")["samplers"])
    if (c["name"] == name && c["seed"] == seed) return c;
  FAIL("no reference case " << name << " " << seed);
  throw;
}

// scikit-learn's StratifiedKFold(5, shuffle=True, random_state=0) folds of breast_cancer, as shipped.
mp::predefined_split sklearn_folds() {
  const auto folds =
      mp::read_csv(mp::test::data_path("breast_cancer_folds_sklearn_skf5_shuffle_seed0.csv"), {.target = "fold"});
  std::vector<mp::index> test_fold(static_cast<std::size_t>(folds.y.size()));
  for (mp::index i = 0; i < folds.y.size(); ++i) test_fold[static_cast<std::size_t>(i)] = static_cast<mp::index>(folds.y(i));
  return mp::predefined_split{.test_fold = test_fold};
}

// A table equals scikit-learn's: the same candidates in the same order, split scores to 6 digits, the same best.
void check_table(const mp::search_results& r, std::size_t best, const nlohmann::json& ref, bool scores = true) {
  REQUIRE(r.n_candidates() == ref["candidates"].size());
  for (std::size_t c = 0; c < r.n_candidates(); ++c) {
    INFO("candidate " << c << ": " << mp::format_params(r.params()[c]));
    check_candidate(r.params()[c], ref["candidates"][c], true);
    if (!scores) continue;
    for (std::size_t s = 0; s < r.n_splits(); ++s)
      CHECK(std::abs(r.split_test_score(c, s) - ref["split_test_scores"][c][s].get<double>()) < 1e-6);
  }
  if (ref.contains("iter")) {
    CHECK(r.column("iter") == ref["iter"].get<std::vector<double>>());
    CHECK(r.column("n_resources") == ref["n_resources"].get<std::vector<double>>());
  }
  if (scores) CHECK(best == ref["best_index"].get<std::size_t>());
}

// A sampler for the generic search: uniform draws from a space, as a user's own sampler would.
struct draw_sampler {
  mp::space_list space;
  mp::numpy_random_state rng{0};  // NOLINT
  int asked = 0;
  std::vector<double> told{};
  mp::trial ask() { return {asked++, space.draw(rng)}; }
  void tell(const mp::trial&, double value) { told.push_back(value); }
};
static_assert(mp::sampler<draw_sampler>);

void check_sampler(const mp::space_list& spaces, const std::string& name, int seed) {
  const auto& ref = sampler_case(name, seed);
  mp::numpy_random_state rng(static_cast<std::uint32_t>(seed));
  const auto drawn = spaces.sample(ref["n_iter"].get<std::size_t>(), rng);
  REQUIRE(drawn.size() == ref["candidates"].size());
  for (std::size_t i = 0; i < drawn.size(); ++i) {
    INFO(name << " seed " << seed << " candidate " << i);
    check_candidate(drawn[i], ref["candidates"][i], !spaces.all_lists());
  }
}
}  // namespace

TEST_CASE("spaces draw scikit-learn's ParameterSampler candidates for the same seed", "[searches][space]") {
  const mp::space lists{{"model.C", {0.01, 0.1, 1.0, 10.0}}, {"select.k", {2, 5, 10, 20, 30}}};
  for (const int seed : {0, 1, 42}) {
    check_sampler(lists, "lists_permutation", seed);
    check_sampler(lists, "lists_all", seed);
    check_sampler(lists, "lists_more_than_grid", seed);
  }
  std::vector<mp::param_value> a, b;
  for (std::int64_t i = 0; i < 40; ++i) a.emplace_back(i);
  for (std::int64_t i = 0; i < 30; ++i) b.emplace_back(i);
  const mp::space big{{"a", a}, {"b", b}};
  check_sampler(big, "lists_tracking", 3);
  check_sampler(big, "lists_reservoir", 3);
  const mp::space mixed{{"model.C", mp::loguniform(1e-3, 1e3)}, {"select.k", mp::int_uniform(2, 30)},
                        {"model.l1_ratio", mp::uniform(0.25, 0.75)},
                        {"model.penalty", mp::choice({"l1", "l2", "elasticnet"})}};
  check_sampler(mixed, "mixed", 0);
  check_sampler(mixed, "mixed", 7);
  const mp::space_list two{mp::space{{"model.C", mp::loguniform(1e-2, 1e2)}},
                           mp::space{{"model.C", {0.5, 2.0}}, {"select.k", mp::int_uniform(1, 3)}}};
  check_sampler(two, "two_spaces", 5);
}

TEST_CASE("a space rejects empty spaces, reversed bounds and non-positive log bounds as it is built", "[searches][space]") {
  CHECK(error_message<mp::invalid_parameter>([] { mp::space{std::vector<mp::space_axis>{}}; }) ==
        "space: no parameters; expected at least one {path, distribution}");
  CHECK(error_message<mp::invalid_parameter>([] { mp::space{{"model.C", mp::uniform(2.0, 2.0)}}; }) ==
        "space: 'model.C' = uniform(2, 2): low = 2 >= high = 2; expected low < high");
  CHECK(error_message<mp::invalid_parameter>([] { mp::space{{"select.k", mp::int_uniform(30, 2)}}; }) ==
        "space: 'select.k' = int_uniform(30, 2): low = 30 > high = 2; expected low <= high");
  CHECK(error_message<mp::invalid_parameter>([] { mp::space{{"model.C", mp::loguniform(0.0, 10.0)}}; }) ==
        "space: 'model.C' = loguniform(0, 10): low = 0 is not positive; expected 0 < low on a log scale");
  CHECK(error_message<mp::invalid_parameter>([] { mp::space{{"select.k", mp::int_loguniform(-1, 10)}}; }) ==
        "space: 'select.k' = int_loguniform(-1, 10): low = -1 is not positive; expected 0 < low on a log scale");
  CHECK(error_message<mp::invalid_parameter>([] { mp::space{{"model.C", mp::uniform(0.0, INFINITY)}}; }) ==
        "space: 'model.C' = uniform(0, inf): the bounds are not finite; expected finite low and high");
  CHECK(error_message<mp::invalid_parameter>([] { mp::space{{"model.C", mp::choice({})}}; }) ==
        "space: 'model.C' = []: no values; expected at least one");
  CHECK(error_message<mp::invalid_parameter>([] {
          mp::space{{"model.C", mp::loguniform(1.0, 2.0)}, {"model.C", {1.0}}};
        }) == "space: the path 'model.C' appears twice; expected each path once");
  CHECK(error_message<mp::invalid_parameter>([] { mp::space_list{std::vector<mp::space>{}}; }) ==
        "space_list: no spaces; expected at least one");
}

TEST_CASE("a space is checked against the pipeline's paths, types and ranges before any fit", "[searches][space]") {
  const auto pipe = scale_select_logistic();
  auto check = [&](mp::space s) { mp::check_space(pipe, s, "random_search"); };
  CHECK_NOTHROW(check(mp::space{{"model.C", mp::loguniform(1e-3, 1e3)}, {"select.k", mp::int_uniform(2, 30)}}));
  CHECK(error_message<mp::invalid_parameter>([&] { check(mp::space{{"model.CC", mp::loguniform(1e-3, 1e3)}}); })
            .starts_with("random_search: unknown parameter path 'model.CC'; did you mean 'model.C'? Valid paths: "));
  CHECK(error_message<mp::invalid_parameter>([&] { check(mp::space{{"select.k", mp::uniform(2.0, 30.0)}}); }) ==
        "random_search: parameter 'select.k' of select_k_best expects an integer or \"all\", got 29.999999999999996 "
        "(a real number) (space axis 'select.k' = uniform(2, 30))");
  CHECK(error_message<mp::invalid_parameter>([&] { check(mp::space{{"model.C", mp::uniform(-1.0, 1.0)}}); }) ==
        "step 'model' (logistic_regression): C = -1 is out of range; expected C > 0 (space axis 'model.C' = "
        "uniform(-1, 1))");
  CHECK(error_message<mp::invalid_parameter>([&] { check(mp::space{{"model.penalty", {"l2", "l3"}}}); })
            .starts_with("random_search: parameter 'model.penalty' of logistic_regression expects one of"));
}

TEST_CASE("a trial's parameters read as a member and as a call", "[searches][space]") {
  const mp::trial t{3, mp::param_set{{"model.C", 0.5}}};
  CHECK(t.number == 3);
  CHECK(mp::format_params(t.params) == "model.C = 0.5");
  CHECK(mp::format_params(t.params()) == "model.C = 0.5");
}

TEST_CASE("random_search draws scikit-learn's candidates and gives RandomizedSearchCV's table", "[searches][random][parallel]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const auto& ref = mp::test::test_reference("tuning");
  const auto space = mp::space{{"model.C", mp::loguniform(1e-3, 1e3)}, {"select.k", mp::int_uniform(2, 30)}};
  const auto rs = mp::random_search{scale_select_logistic(), space, {.n_iter = 8, .seed = 0, .cv = sklearn_folds()}}
                      .fit(d.X, d.y);
  check_table(rs.results(), rs.best_index(), ref["random_search"]);
  const auto lists = mp::space{{"model.C", {0.01, 0.1, 1.0, 10.0}}, {"select.k", {5, 10, 20}}};
  const auto rl = mp::random_search{scale_select_logistic(), lists, {.n_iter = 5, .seed = 3, .cv = sklearn_folds()}}
                      .fit(d.X, d.y);
  check_table(rl.results(), rl.best_index(), ref["random_search_lists"]);
  // The same table for any n_jobs, reuse on or off.
  const auto rs2 = mp::random_search{scale_select_logistic(), space,
                                     {.n_iter = 8, .seed = 0, .cv = sklearn_folds(), .n_jobs = 2, .reuse = false}}
                       .fit(d.X, d.y);
  CHECK(rs2.results().mean_test_score() == rs.results().mean_test_score());
  CHECK(rs2.best_params() == rs.best_params());
  CHECK(rs.predict(d.X) == rs.best_model().predict(d.X));
  // The refit (its shared steps fitted beside the tasks, with reuse) is the best candidate's own fit, bit for bit.
  const auto rs3 =
      mp::random_search{scale_select_logistic(), space, {.n_iter = 8, .seed = 0, .cv = sklearn_folds(), .n_jobs = 2}}
          .fit(d.X, d.y);
  auto best = scale_select_logistic();
  for (const auto& [path, value] : rs.best_params()) best.set_param(path, value);
  const auto own = mp::to_json(best.fit(d.X, d.y))["model"];  // the state, without the time it was saved at
  CHECK(mp::to_json(rs.best_model())["model"] == own);
  CHECK(mp::to_json(rs2.best_model())["model"] == own);
  CHECK(mp::to_json(rs3.best_model())["model"] == own);
}

TEST_CASE("halving schedules are scikit-learn's for every setting", "[searches][halving]") {
  for (const auto& ref : mp::test::test_reference("tuning")["schedules"]) {
    INFO(ref.dump());
    const auto& settings = ref["settings"];
    const bool exhaust = settings.contains("min_resources") && settings["min_resources"] == "exhaust";
    const std::int64_t min_r = exhaust ? 8 : ref["min_resources"].get<std::int64_t>();  // 2 splits x 2 classes x 2
    const auto plan = mp::plan_successive_halving(
        ref["n_candidates_in"].get<std::size_t>(), settings["factor"].get<double>(), min_r,
        ref["max_resources"].get<std::int64_t>(), exhaust || !settings.contains("min_resources") ? exhaust : false,
        settings.value("aggressive_elimination", false));
    if (!exhaust && !settings.contains("min_resources")) {  // the grid's default, "exhaust", from the smallest 8
      const auto ex = mp::plan_successive_halving(ref["n_candidates_in"].get<std::size_t>(),
                                                  settings["factor"].get<double>(), 8,
                                                  ref["max_resources"].get<std::int64_t>(), true,
                                                  settings.value("aggressive_elimination", false));
      CHECK(ex.min_resources == ref["min_resources"].get<std::int64_t>());
      CHECK(ex.n_resources == ref["n_resources"].get<std::vector<std::int64_t>>());
      CHECK(ex.n_candidates == ref["n_candidates"].get<std::vector<std::size_t>>());
      CHECK(ex.n_iterations == ref["n_iterations"].get<int>());
      CHECK(ex.n_possible_iterations == ref["n_possible_iterations"].get<int>());
      CHECK(ex.n_required_iterations == ref["n_required_iterations"].get<int>());
      continue;
    }
    CHECK(plan.min_resources == ref["min_resources"].get<std::int64_t>());
    CHECK(plan.n_resources == ref["n_resources"].get<std::vector<std::int64_t>>());
    CHECK(plan.n_candidates == ref["n_candidates"].get<std::vector<std::size_t>>());
    CHECK(plan.n_iterations == ref["n_iterations"].get<int>());
    CHECK(plan.n_possible_iterations == ref["n_possible_iterations"].get<int>());
    CHECK(plan.n_required_iterations == ref["n_required_iterations"].get<int>());
  }
}

TEST_CASE("halving_grid_search gives HalvingGridSearchCV's iterations, resources and table", "[searches][halving][parallel]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const auto& ref = mp::test::test_reference("tuning");
  const auto g = mp::grid{{"model.C", {0.01, 0.1, 1.0, 10.0}}, {"select.k", {5, 10, 20}}};
  const auto hgs = mp::halving_grid_search{scale_select_logistic(), g, {.factor = 3, .cv = sklearn_folds()}}.fit(d.X, d.y);
  check_table(hgs.results(), hgs.best_index(), ref["halving_grid_search"]);
  // A parameter as the resource: the same schedule and columns (the scores differ: lbfgs and Newton stop elsewhere).
  const auto by_iter = mp::halving_grid_search{scale_select_logistic(), g,
                                               {.factor = 2, .resource = "model.max_iter", .min_resources = 5,
                                                .max_resources = 40, .cv = sklearn_folds(), .n_jobs = 2}}
                           .fit(d.X, d.y);
  const auto& r = by_iter.results();
  CHECK(r.column("iter") == ref["halving_grid_search_max_iter"]["iter"].get<std::vector<double>>());
  CHECK(r.column("n_resources") == ref["halving_grid_search_max_iter"]["n_resources"].get<std::vector<double>>());
  CHECK(mp::format_params(by_iter.best_params()).find("model.max_iter = 40") != std::string::npos);
  CHECK(r.to_csv().starts_with("param_model.C,param_model.max_iter,param_select.k,iter,n_resources,mean_fit_time"));
  // max_iter caps each candidate's own solver steps: no candidate starts from another's solution, so the table is
  // the one without warm starts (with them, a C started from its neighbour's solution would score differently).
  const auto cold = mp::halving_grid_search{scale_select_logistic(), g,
                                            {.factor = 2, .resource = "model.max_iter", .min_resources = 5,
                                             .max_resources = 40, .cv = sklearn_folds(), .warm_start = false}}
                        .fit(d.X, d.y);
  REQUIRE(cold.results().n_candidates() == r.n_candidates());
  for (std::size_t c = 0; c < r.n_candidates(); ++c)
    for (std::size_t s = 0; s < r.n_splits(); ++s)
      CHECK(cold.results().split_test_score(c, s) == r.split_test_score(c, s));
}

TEST_CASE("halving_random_search and hyperband run their brackets and are the same for any n_jobs", "[searches][halving][hyperband][parallel]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const auto space = mp::space{{"model.C", mp::loguniform(1e-3, 1e3)}, {"select.k", mp::int_uniform(2, 30)}};
  const auto cv = mp::stratified_kfold{.n_splits = 3, .shuffle = true, .seed = 0};
  const auto hrs = mp::halving_random_search{scale_select_logistic(), space,
                                             {.n_candidates = 27, .factor = 3, .seed = 0, .cv = cv}}
                       .fit(d.X, d.y);
  const auto& r = hrs.results();
  // "smallest": 3 splits x 2 per split x 2 classes = 12 rows first; 27 -> 9 -> 3 -> 1 candidates on 12, 36, 108,
  // 324 rows (1 + floor(log3 27) = 4 iterations are required, and 569 / 12 rows allow them).
  CHECK(r.n_candidates() == 27 + 9 + 3 + 1);
  CHECK(r.column("n_resources").front() == 12);
  CHECK(r.column("n_resources").back() == 324);
  CHECK(r.column("iter").back() == 3);
  CHECK(r.contenders() == std::vector<mp::index>{39});
  const auto hb = mp::hyperband{scale_select_logistic(), space,
                                {.resource = "model.max_iter", .max_resource = 27, .factor = 3, .seed = 0, .cv = cv}};
  const auto brackets = hb.brackets(d.X.rows());
  REQUIRE(brackets.size() == 4);  // s_max = log3(27) = 3
  CHECK(brackets[0].n_candidates == std::vector<std::size_t>{27, 9, 3, 1});
  CHECK(brackets[0].n_resources == std::vector<std::int64_t>{1, 3, 9, 27});
  CHECK(brackets[3].n_candidates == std::vector<std::size_t>{4});
  CHECK(brackets[3].n_resources == std::vector<std::int64_t>{27});
  const auto one = hb.fit(d.X, d.y);
  auto parallel = hb;
  parallel.options.n_jobs = 2;
  const auto two = parallel.fit(d.X, d.y);
  CHECK(one.results().n_candidates() == 27 + 9 + 3 + 1 + 12 + 4 + 1 + 6 + 2 + 4);
  CHECK(one.results().mean_test_score() == two.results().mean_test_score());
  CHECK(one.best_index() == two.best_index());
  CHECK(one.results().column("bracket").front() == 3);
  CHECK(mp::format_params(one.best_params()).find("model.max_iter = 27") != std::string::npos);
}

TEST_CASE("a sampler-driven search asks, evaluates and tells in a fixed order for any n_jobs", "[searches][sampler][parallel]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const auto space = mp::space{{"model.C", mp::loguniform(1e-3, 1e3)}, {"select.k", mp::int_uniform(2, 30)}};
  const auto cv = mp::stratified_kfold{.n_splits = 3, .shuffle = true, .seed = 0};
  auto search = mp::sampler_search{scale_select_logistic(), draw_sampler{space, mp::numpy_random_state{0}, 0, {}},
                                   {.n_trials = 7, .cv = cv, .batch = 3}, mp::space_list(space)};
  const auto one = search.fit(d.X, d.y);
  search.options.n_jobs = 2;
  const auto two = search.fit(d.X, d.y);
  REQUIRE(one.results().n_candidates() == 7);
  CHECK(one.results().column("trial") == std::vector<double>{0, 1, 2, 3, 4, 5, 6});
  CHECK(one.results().mean_test_score() == two.results().mean_test_score());
  // The same candidates as the space's own draws with the same stream.
  mp::numpy_random_state rng(0);
  for (std::size_t i = 0; i < 7; ++i) CHECK(one.results().params()[i] == space.draw(rng));
  CHECK(error_message<mp::invalid_parameter>([&] {
          auto bad = search;
          bad.options.n_trials = 0;
          (void)bad.fit(d.X, d.y);
        }) == "sampler_search: n_trials = 0 is out of range; expected n_trials >= 1");
}

TEST_CASE("searches reject bad options before fitting anything", "[searches][errors]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const auto pipe = scale_select_logistic();
  const auto space = mp::space{{"model.C", mp::loguniform(1e-3, 1e3)}};
  const auto g = mp::grid{{"model.C", {0.1, 1.0}}};
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::random_search{pipe, space, {.n_iter = 0}}.fit(d.X, d.y); }) ==
        "random_search: n_iter = 0 is out of range; expected n_iter >= 1");
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::random_search{pipe, space, {.seed = -1}}.fit(d.X, d.y); }) ==
        "random_search: seed = -1 is out of range; expected 0 <= seed <= 4294967295");
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::random_search{pipe, space, {.max_time = -1}}.fit(d.X, d.y); }) ==
        "random_search: max_time = -1 is out of range; expected max_time >= 0 seconds (0: no limit)");
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::halving_grid_search{pipe, g, {.factor = 1}}.fit(d.X, d.y); }) ==
        "halving_grid_search: factor = 1 is out of range; expected factor > 1");
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::hyperband{pipe, space, {.max_resource = 9, .factor = 0.5}}.fit(d.X, d.y); }) ==
        "hyperband: factor = 0.5 is out of range; expected factor > 1");
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::halving_grid_search{pipe, g, {.resource = "model.C", .max_resources = 10}}.fit(d.X, d.y);
        }) == "halving_grid_search: resource = 'model.C' is a real number parameter; expected \"n_samples\" or the path "
              "of an integer parameter, such as a model's max_iter");
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::halving_grid_search{pipe, g, {.resource = "model.max_itr", .max_resources = 10}}.fit(d.X, d.y);
        }).starts_with("halving_grid_search: unknown parameter path 'model.max_itr'; did you mean 'model.max_iter'?"));
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::halving_grid_search{pipe, g, {.resource = "model.max_iter"}}.fit(d.X, d.y);
        }) == "halving_grid_search: max_resources = \"auto\" needs resource = \"n_samples\"; expected a number for "
              "resource 'model.max_iter'");
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::halving_grid_search{pipe, g, {.min_resources = "most"}}.fit(d.X, d.y);
        }) == "halving_grid_search: min_resources = \"most\" is not a rule; expected a number or one of \"exhaust\", "
              "\"smallest\"");
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::halving_grid_search{pipe, g, {.min_resources = 600}}.fit(d.X, d.y);
        }) == "halving_grid_search: min_resources = 600 > max_resources = 569; expected min_resources <= max_resources");
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::halving_grid_search{pipe, g, {.max_resources = 1000}}.fit(d.X, d.y);
        }) == "halving_grid_search: max_resources = 1000 rows but X has 569; expected at most the number of rows");
  // Rows as the resource: too few for a split to keep a training and a test row is an error before any fit, with the
  // least value that works (breast_cancer's 5 stratified splits hold 113 or 114 test rows of 569).
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::halving_grid_search{pipe, g, {.min_resources = 1}}.fit(d.X, d.y);
        }) == "halving_grid_search: min_resources = 1 leaves split 0 with 0 training and 0 test rows (of 455 and 114); "
              "expected min_resources >= 6, so that every split keeps a training and a test row");
  CHECK_NOTHROW(mp::halving_grid_search{pipe, g, {.min_resources = 40}}.fit(d.X, d.y));
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::hyperband{pipe, space, {.max_resource = 0, .seed = 0}}.fit(d.X, d.y);
        }) == "hyperband: the smallest rung (2 rows, from min_resource = 1) leaves split 0 with 1 training and 0 test "
              "rows (of 455 and 114); expected min_resource >= 6, so that every split keeps a training and a test row");
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::hyperband{pipe, space, {.resource = "model.max_iter"}}.fit(d.X, d.y);
        }) == "hyperband: max_resource = 0 is out of range; expected max_resource >= 1 (0: the number of rows, for "
              "resource \"n_samples\")");
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::random_search{pipe, mp::space{{"model.CC", mp::loguniform(1e-3, 1e3)}}}.fit(d.X, d.y);
        }).starts_with("random_search: unknown parameter path 'model.CC'; did you mean 'model.C'?"));
}

namespace {
std::string temp_journal(const std::string& name) {
  const auto path = std::filesystem::temp_directory_path() / ("mlpipe_" + name + "_" + std::to_string(getpid()) + ".jsonl");
  std::filesystem::remove(path);
  return path.string();
}

std::size_t line_count(const std::string& path) {
  std::ifstream in(path);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

// Everything but the times (which no two runs share) equal bit for bit.
void check_same_table(const mp::search_results& a, const mp::search_results& b) {
  REQUIRE(a.n_candidates() == b.n_candidates());
  CHECK(a.params() == b.params());
  for (std::size_t c = 0; c < a.n_candidates(); ++c)
    for (std::size_t s = 0; s < a.n_splits(); ++s) {
      const double x = a.split_test_score(c, s);
      const double y = b.split_test_score(c, s);
      CHECK(((std::isnan(x) && std::isnan(y)) || x == y));  // NaN: a task the search did not run (pruned, stopped)
    }
  CHECK(a.rank_test_score() == b.rank_test_score());
  CHECK(a.best_index() == b.best_index());
  CHECK(a.partial() == b.partial());
}

auto journal_space() {
  return mp::space{{"model.C", mp::loguniform(1e-3, 1e3)}, {"select.k", {3, 5, 8, 13, 21, 30}}};
}
}  // namespace

TEST_CASE("a search killed with SIGKILL part-way resumes from its journal to the uninterrupted table", "[searches][journal]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const auto cv = mp::stratified_kfold{.n_splits = 3, .shuffle = true, .seed = 0};
  const std::string path = temp_journal("killed");
  const auto search = [&](std::string journal, mp::progress_callback progress, int n_jobs) {
    return mp::random_search{scale_select_logistic(), journal_space(),
                             {.n_iter = 6, .seed = 1, .cv = cv, .n_jobs = n_jobs, .journal = std::move(journal),
                              .on_progress = std::move(progress)}};
  };
  const auto uninterrupted = search("", {}, 1).fit(d.X, d.y);
  const std::size_t total = 6 * 3;

  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {  // the child dies part-way, as kill -9 would stop it
    (void)search(path, [](const mp::search_progress& p) { if (p.tasks_done >= 7) kill(getpid(), SIGKILL); }, 2)
        .fit(d.X, d.y);
    _exit(0);  // not reached
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  const std::size_t lines_before = line_count(path);
  CHECK(lines_before >= 1 + 7);
  CHECK(lines_before < 1 + total);
  {  // and a write cut short: a torn last line
    std::ofstream torn(path, std::ios::app);
    torn << "{\"round\": 0, \"candidate\": 5, \"spl";
  }

  std::vector<mp::search_progress> seen;
  const auto resumed = search(path, [&](const mp::search_progress& p) { seen.push_back(p); }, 2).fit(d.X, d.y);
  check_same_table(resumed.results(), uninterrupted.results());
  // No finished task ran again: one line per task, the torn one cut off.
  CHECK(line_count(path) == 1 + total);
  REQUIRE(!seen.empty());
  CHECK(seen.back().tasks_done == total);
  CHECK(seen.back().tasks_total == total);
  // A third run reads every task back and fits nothing but the refit.
  const auto again = search(path, {}, 1).fit(d.X, d.y);
  check_same_table(again.results(), uninterrupted.results());
  CHECK(again.results().stage_fits() == 0);
  CHECK(line_count(path) == 1 + total);

  // A journal from another search is refused, naming what differs.
  const auto refused = [&](auto s) { return error_message<mp::invalid_parameter>([&] { (void)s.fit(d.X, d.y); }); };
  const std::string advice = "; remove it or choose another path to start afresh";
  auto other_seed = search(path, {}, 1);
  other_seed.options.seed = 2;
  CHECK(refused(other_seed) == "random_search: journal '" + path + "' was written with seed = 1, this search's is 2" + advice);
  auto other_n = search(path, {}, 1);
  other_n.options.n_iter = 7;
  CHECK(refused(other_n).starts_with("random_search: journal '" + path +
                                     "' was written by another search: its spec, space, splits or options differ (search "
                                     "fingerprint "));
  const mp::matrix fewer = d.X.topRows(500);
  const mp::vector fewer_y = d.y.head(500);
  CHECK(error_message<mp::invalid_parameter>([&] { (void)search(path, {}, 1).fit(fewer, fewer_y); })
            .starts_with("random_search: journal '" + path + "' was written for other data (data fingerprint "));
  CHECK(refused(mp::halving_grid_search{scale_select_logistic(), mp::grid{{"model.C", {1.0}}},
                                        {.cv = cv, .journal = path}}) ==
        "halving_grid_search: journal '" + path + "' was written by a random_search, not by this halving_grid_search" +
            advice);
  {  // a line in the middle that is not a task
    std::ifstream in(path);
    std::string header;
    std::getline(in, header);
    in.close();
    std::ofstream out(path, std::ios::trunc);
    out << header << "\n{\"round\": 0, \"candidate\": x}\n";
  }
  CHECK(refused(search(path, {}, 1)) ==
        "random_search: journal '" + path + "' line 2 is corrupt: expected a task {\"round\", \"candidate\", "
        "\"split\", \"test\", \"train\", \"fit_time\", \"score_time\"}; remove the file to start afresh");
  {
    std::ofstream out(path, std::ios::trunc);
    out << "name,value\n";
  }
  CHECK(refused(search(path, {}, 1)) ==
        "random_search: journal '" + path + "' is not a search journal: its first line is not {\"mlpipe_journal\": 1, "
        "\"kind\": ..., \"search\": ..., \"data\": ..., \"seed\": ...}; remove it or choose another path");
  std::filesystem::remove(path);
}

TEST_CASE("progress reports count tasks, and a throwing callback stops the search with its journal valid", "[searches][progress][journal]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const auto cv = mp::stratified_kfold{.n_splits = 3, .shuffle = true, .seed = 0};
  std::vector<mp::search_progress> seen;
  auto search = mp::random_search{scale_select_logistic(), journal_space(),
                                  {.n_iter = 5, .seed = 4, .cv = cv,
                                   .on_progress = [&](const mp::search_progress& p) { seen.push_back(p); }}};
  const auto full = search.fit(d.X, d.y);
  REQUIRE(!seen.empty());
  for (std::size_t i = 1; i < seen.size(); ++i) CHECK(seen[i].tasks_done > seen[i - 1].tasks_done);
  CHECK(seen.back().tasks_done == 15);
  CHECK(seen.back().tasks_total == 15);
  CHECK(seen.back().best_score == full.best_score());
  CHECK(seen.back().remaining == 0.0);
  CHECK(seen.back().elapsed >= seen.front().elapsed);
  CHECK(mp::detail::progress_line({.tasks_done = 14, .tasks_total = 40, .best_score = 0.9512, .elapsed = 3.2,
                                   .remaining = 67}) ==
        "[#######             ] 14/40 tasks, best 0.9512, 0:03 elapsed, ~1:07 left");
  CHECK(mp::detail::progress_line({.tasks_done = 0, .tasks_total = 4, .best_score = NAN, .elapsed = 0,
                                   .remaining = NAN}) == "[                    ] 0/4 tasks, 0:00 elapsed, ~? left");
  mp::progress_bar()(seen.back());  // draws only on a terminal: nothing here, and no failure

  const std::string path = temp_journal("throwing");
  search.options.journal = path;
  std::size_t done_when_thrown = 0;
  search.options.on_progress = [&](const mp::search_progress& p) {
    done_when_thrown = p.tasks_done;
    throw std::runtime_error("stop now");
  };
  const std::string message = error_message<mp::error>([&] { (void)search.fit(d.X, d.y); });
  CHECK(message == "random_search: the progress callback threw (stop now); the search stopped after " +
                       std::to_string(done_when_thrown) + " of 15 tasks, all of them kept in the journal '" + path + "'");
  CHECK(line_count(path) == 1 + done_when_thrown);
  search.options.on_progress = {};
  check_same_table(search.fit(d.X, d.y).results(), full.results());
  std::filesystem::remove(path);
}

TEST_CASE("max_time stops a search after its running tasks and marks the table partial", "[searches][progress]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const auto cv = mp::stratified_kfold{.n_splits = 3, .shuffle = true, .seed = 0};
  std::size_t done = 0;
  const auto stopped = mp::random_search{scale_select_logistic(), journal_space(),
                                         {.n_iter = 6, .seed = 1, .cv = cv,
                                          .on_progress = [&](const mp::search_progress& p) {
                                            done = p.tasks_done;
                                            std::this_thread::sleep_for(std::chrono::milliseconds(60));
                                          },
                                          .max_time = 0.05}}
                           .fit(d.X, d.y);
  const auto& r = stopped.results();
  CHECK(r.partial());
  CHECK(done >= 1);
  CHECK(done < 18);
  std::size_t nan_cells = 0;
  for (std::size_t c = 0; c < r.n_candidates(); ++c)
    for (std::size_t s = 0; s < r.n_splits(); ++s) nan_cells += std::isnan(r.split_test_score(c, s)) ? 1 : 0;
  CHECK(nan_cells == 18 - done);
  CHECK(r.to_json().find("\"partial\": true") != std::string::npos);
}

TEST_CASE("the median pruner stops trials below the completed trials' median and marks them", "[searches][sampler][pruning][parallel]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const auto space = mp::space{{"model.C", mp::loguniform(1e-4, 1e2)}, {"select.k", mp::int_uniform(1, 30)}};
  const auto cv = mp::stratified_kfold{.n_splits = 4, .shuffle = true, .seed = 0};
  auto search = mp::sampler_search{scale_select_logistic(), draw_sampler{space, mp::numpy_random_state{0}, 0, {}},
                                   {.n_trials = 12, .cv = cv, .prune = true}};
  const auto pruned = search.fit(d.X, d.y);
  search.options.n_jobs = 2;
  const auto parallel = search.fit(d.X, d.y);
  const auto& r = pruned.results();
  REQUIRE(r.n_candidates() == 12);
  check_same_table(r, parallel.results());
  const auto& marks = r.column("pruned");
  std::size_t n_pruned = 0;
  for (std::size_t c = 0; c < 12; ++c) {
    INFO("trial " << c << ": " << mp::format_params(r.params()[c]));
    if (marks[c] == 1.0) {
      ++n_pruned;
      CHECK(std::isnan(r.split_test_score(c, 3)));  // stopped before its last split
      CHECK(!std::isnan(r.split_test_score(c, 0)));
      CHECK(std::isnan(r.mean_test_score()[c]));  // ranked after every completed trial
    } else {
      CHECK(!std::isnan(r.mean_test_score()[c]));
    }
  }
  CHECK(n_pruned >= 1);
  CHECK(marks[0] == 0.0);  // nothing to compare the first trial with
  // Without pruning, the same trials and the same scores on the splits they share.
  search.options.prune = false;
  const auto full = search.fit(d.X, d.y);
  for (std::size_t c = 0; c < 12; ++c) {
    CHECK(full.results().params()[c] == r.params()[c]);
    CHECK(full.results().split_test_score(c, 0) == r.split_test_score(c, 0));
  }
}

}  // namespace test_searches_tests
