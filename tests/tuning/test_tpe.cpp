// Ask/tell samplers (random_sampler, tpe_sampler) and lists of grids (grid_list).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <limits>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/core/random.hpp"
#include "mlpipe/feature_selection/select_k_best.hpp"
#include "mlpipe/feature_selection/univariate.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "mlpipe/tuning/grid.hpp"
#include "mlpipe/tuning/sampler.hpp"
#include "mlpipe/tuning/space.hpp"
#include "mlpipe/tuning/tpe.hpp"
#include "mlpipe/tuning/random_search.hpp"
#include "mlpipe/tuning/tpe_search.hpp"
#include "mlpipe/validation/splitters.hpp"
#include "support.hpp"

namespace test_tpe_tests {

namespace mp = mlpipe;
using mp::test::error_message;

double real(const mp::param_set& params, const std::string& path) {
  for (const auto& [p, v] : params)
    if (p == path) return std::holds_alternative<double>(v) ? std::get<double>(v) : static_cast<double>(std::get<std::int64_t>(v));
  FAIL("no parameter " << path);
  return 0.0;
}

bool has(const mp::param_set& params, const std::string& path) {
  return std::any_of(params.begin(), params.end(), [&](const auto& p) { return p.first == path; });
}

std::vector<std::string> paths_of(const mp::param_set& params) {
  std::vector<std::string> out;
  for (const auto& [p, v] : params) out.push_back(p);
  return out;
}

double quadratic(const mp::param_set& params) { return -std::pow(real(params, "x") - 0.3, 2); }

// The best value after n trials of a sampler on an objective.
template <class Sampler, class F>
double best_after(Sampler& sampler, int n, F&& objective) {
  for (int i = 0; i < n; ++i) {
    const mp::trial t = sampler.ask();
    sampler.tell(t, objective(t.params()));
  }
  return sampler.best_value();
}

mp::space conditional_space() {
  return mp::space{{"scale", mp::choice({std::string("standard_scaler"), std::string("min_max_scaler")})},
                   {"scale.min_max_scaler.clip", mp::choice({true, false})},
                   {"scale.standard_scaler.with_mean", mp::choice({true, false})},
                   {"model.C", mp::loguniform(1e-3, 1e3)}};
}

// Best with min_max_scaler, clip = true and C near 10.
double conditional_objective(const mp::param_set& params) {
  double v = -std::pow(std::log10(real(params, "model.C")) - 1.0, 2);
  for (const auto& [p, value] : params) {
    if (p == "scale" && std::get<std::string>(value) == "standard_scaler") v -= 1.0;
    if (p == "scale.min_max_scaler.clip" && !std::get<bool>(value)) v -= 0.5;
  }
  return v;
}

TEST_CASE("random_sampler draws as scikit-learn's ParameterSampler and records the best trial", "[tpe]") {
  const mp::space_list spaces{mp::space{{"model.C", mp::loguniform(1e-3, 1e3)}, {"select.k", mp::int_uniform(2, 30)}}};
  mp::random_sampler sampler{spaces, {.seed = 7}};
  mp::numpy_random_state rng(7);
  const std::vector<mp::param_set> expected = spaces.sample(20, rng);
  for (int i = 0; i < 20; ++i) {
    const mp::trial t = sampler.ask();
    CHECK(t.number == i);
    CHECK(t.params() == expected[static_cast<std::size_t>(i)]);
    sampler.tell(t, -std::abs(std::log10(real(t.params, "model.C"))));
  }
  CHECK(sampler.n_trials() == 20);
  CHECK(sampler.n_complete() == 20);
  double best = -std::numeric_limits<double>::infinity();
  for (const auto& p : expected) best = std::max(best, -std::abs(std::log10(real(p, "model.C"))));
  CHECK(sampler.best_value() == best);
  CHECK(-std::abs(std::log10(real(sampler.best_trial().params, "model.C"))) == best);
}

TEST_CASE("samplers reject unknown trials, trials told twice, NaN values, bad settings and bad bounds", "[tpe]") {
  mp::tpe_sampler sampler{mp::space{{"x", mp::uniform(0.0, 1.0)}}, {.seed = 0}};
  CHECK(error_message<mp::invalid_parameter>([&] { sampler.tell(mp::trial{0, {}}, 1.0); }) ==
        "tpe_sampler: tell(trial 0): no such trial was asked; expected a trial from ask() (none asked yet)");
  CHECK(error_message<mp::invalid_parameter>([&] { (void)sampler.best_value(); }) ==
        "tpe_sampler: no trial has been told yet; expected tell(trial, value) first");
  const mp::trial a = sampler.ask();
  const mp::trial b = sampler.ask();
  CHECK(error_message<mp::invalid_parameter>([&] { sampler.tell(mp::trial{2, {}}, 1.0); }) ==
        "tpe_sampler: tell(trial 2): no such trial was asked; expected a trial from ask() (numbers 0 to 1)");
  CHECK(error_message<mp::invalid_parameter>([&] { sampler.tell(mp::trial{-1, {}}, 1.0); }) ==
        "tpe_sampler: tell(trial -1): no such trial was asked; expected a trial from ask() (numbers 0 to 1)");
  CHECK(error_message<mp::invalid_parameter>([&] { sampler.tell(a, std::numeric_limits<double>::quiet_NaN()); }) ==
        "tpe_sampler: tell(trial 0): value = nan; expected a number to maximize (-inf for a failed evaluation)");
  sampler.tell(b, 0.25);
  CHECK(error_message<mp::invalid_parameter>([&] { sampler.tell(b, 0.5); }) ==
        "tpe_sampler: tell(trial 1): the trial was already told (value 0.25); expected each trial told once");
  sampler.tell(a, -std::numeric_limits<double>::infinity());  // a failed evaluation ranks last
  CHECK(sampler.best_trial().number == 1);

  mp::random_sampler random{mp::space{{"x", mp::uniform(0.0, 1.0)}}};
  CHECK(error_message<mp::invalid_parameter>([&] { random.tell(mp::trial{0, {}}, 1.0); }) ==
        "random_sampler: tell(trial 0): no such trial was asked; expected a trial from ask() (none asked yet)");

  const mp::space one{{"x", mp::uniform(0.0, 1.0)}};
  CHECK(error_message<mp::invalid_parameter>([&] { mp::tpe_sampler{one, {.n_startup_trials = -1}}; }) ==
        "tpe_sampler: n_startup_trials = -1 is out of range; expected n_startup_trials >= 0");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::tpe_sampler{one, {.n_ei_candidates = 0}}; }) ==
        "tpe_sampler: n_ei_candidates = 0 is out of range; expected n_ei_candidates >= 1");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::tpe_sampler{one, {.prior_weight = 0.0}}; }) ==
        "tpe_sampler: prior_weight = 0 is out of range; expected a finite prior_weight > 0");
  // bounds are checked as the space is built, before a sampler sees them
  CHECK(error_message<mp::invalid_parameter>([&] { mp::tpe_sampler{mp::space{{"model.C", mp::loguniform(0.0, 1.0)}}}; }) ==
        "space: 'model.C' = loguniform(0, 1): low = 0 is not positive; expected 0 < low on a log scale");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::random_sampler{mp::space{{"x", mp::uniform(2.0, 1.0)}}}; }) ==
        "space: 'x' = uniform(2, 1): low = 2 >= high = 1; expected low < high");
}

TEST_CASE("tpe_sampler is deterministic for a seed and starts with the random sampler's draws", "[tpe]") {
  const mp::space s{{"x", mp::uniform(-2.0, 2.0)}, {"k", mp::int_uniform(1, 9)}, {"c", mp::loguniform(1e-2, 1e2)}};
  const auto objective = [](const mp::param_set& p) {
    return -std::pow(real(p, "x") - 0.3, 2) - std::pow(real(p, "k") - 4.0, 2) - std::pow(std::log(real(p, "c")), 2);
  };
  mp::tpe_sampler a{s, {.seed = 3}};
  mp::tpe_sampler b{s, {.seed = 3}};
  mp::tpe_sampler c{s, {.seed = 4}};
  mp::random_sampler r{s, {.seed = 3}};
  int differ = 0;
  for (int i = 0; i < 40; ++i) {
    const mp::trial ta = a.ask();
    const mp::trial tb = b.ask();
    const mp::trial tc = c.ask();
    CHECK(ta.params() == tb.params());
    if (ta.params() != tc.params()) ++differ;
    if (i < 10) CHECK(ta.params() == r.ask().params());  // startup: random draws
    a.tell(ta, objective(ta.params()));
    b.tell(tb, objective(tb.params()));
    c.tell(tc, objective(tc.params()));
  }
  CHECK(differ == 40);
}

TEST_CASE("tpe_sampler proposes within log and integer domains", "[tpe]") {
  const mp::space s{{"c", mp::loguniform(1e-3, 1e3)}, {"k", mp::int_uniform(2, 30)}, {"n", mp::int_loguniform(1, 500)},
                    {"u", mp::uniform(-1.0, 1.0)}, {"p", mp::choice({std::string("l1"), std::string("l2")})}};
  mp::tpe_sampler sampler{s, {.seed = 1}};
  for (int i = 0; i < 60; ++i) {
    const mp::trial t = sampler.ask();
    REQUIRE(t.params().size() == 5);
    const double c = real(t.params, "c");
    CHECK((c >= 1e-3 && c <= 1e3));
    REQUIRE(std::holds_alternative<std::int64_t>(t.params()[1].second));  // paths sorted: c, k, n, p, u
    const double k = real(t.params, "k");
    CHECK((k >= 2 && k <= 30));
    const double n = real(t.params, "n");
    CHECK((n >= 1 && n <= 500));
    CHECK(std::holds_alternative<std::int64_t>(t.params()[2].second));
    const double u = real(t.params, "u");
    CHECK((u >= -1.0 && u <= 1.0));
    // a log scale: k near 2, n near 37 and c near 0.05 are best
    sampler.tell(t, -std::pow(std::log(c / 0.05), 2) - std::abs(k - 2) - std::pow(std::log(n / 37.0), 2) - u * u);
  }
  const mp::param_set best = sampler.best_trial().params;
  CHECK(std::abs(std::log(real(best, "c") / 0.05)) < 1.5);
  CHECK(std::abs(std::log(real(best, "n") / 37.0)) < 1.0);
}

TEST_CASE("tpe_sampler converges on a 1-d quadratic and beats random search there", "[tpe]") {
  const mp::space s{{"x", mp::uniform(-2.0, 2.0)}};
  int tpe_better = 0;
  for (std::uint32_t seed = 0; seed < 20; ++seed) {
    mp::tpe_sampler tpe{s, {.seed = seed}};
    mp::random_sampler random{s, {.seed = seed}};
    const double t = best_after(tpe, 40, quadratic);
    const double r = best_after(random, 40, quadratic);
    if (t > r) ++tpe_better;
    CHECK(t > -1e-2);  // within 0.1 of the optimum
  }
  CHECK(tpe_better >= 16);
  // after the startup, proposals gather near the optimum
  mp::tpe_sampler tpe{s, {.seed = 5}};
  double early = 0.0, late = 0.0;
  for (int i = 0; i < 80; ++i) {
    const mp::trial t = tpe.ask();
    const double d = std::abs(real(t.params, "x") - 0.3);
    if (i < 10) early += d / 10;
    if (i >= 60) late += d / 20;
    tpe.tell(t, quadratic(t.params()));
  }
  CHECK(late < early / 2);
}

TEST_CASE("tpe_sampler draws a conditional parameter only with its alternative, and learns which is best", "[tpe]") {
  for (const bool multivariate : {false, true}) {
    mp::tpe_sampler sampler{conditional_space(), {.seed = 2, .multivariate = multivariate}};
    int late_min_max = 0;
    for (int i = 0; i < 60; ++i) {
      const mp::trial t = sampler.ask();
      const std::string scale = std::get<std::string>(t.params()[1].second);  // paths sorted: model.C, scale, ...
      if (scale == "min_max_scaler") {
        CHECK(paths_of(t.params) == std::vector<std::string>{"model.C", "scale", "scale.min_max_scaler.clip"});
        if (i >= 40) ++late_min_max;
      } else {
        CHECK(paths_of(t.params) == std::vector<std::string>{"model.C", "scale", "scale.standard_scaler.with_mean"});
      }
      sampler.tell(t, conditional_objective(t.params()));
    }
    CHECK(late_min_max >= 15);
    const mp::param_set best = sampler.best_trial().params;
    CHECK(std::get<std::string>(best[1].second) == "min_max_scaler");
    CHECK(std::get<bool>(best[2].second));
  }
}

TEST_CASE("tpe_sampler draws one space of a list at a time, each with its own parameters", "[tpe]") {
  const mp::space_list spaces{mp::space{{"model.C", mp::loguniform(1e-3, 1e3)}},
                              mp::space{{"model.alpha", mp::uniform(0.0, 1.0)}, {"model.k", mp::int_uniform(1, 5)}}};
  mp::tpe_sampler sampler{spaces, {.seed = 0}};
  int second = 0;
  for (int i = 0; i < 50; ++i) {
    const mp::trial t = sampler.ask();
    const bool is_second = has(t.params, "model.alpha");
    if (is_second) {
      CHECK(paths_of(t.params) == std::vector<std::string>{"model.alpha", "model.k"});
      if (i >= 30) ++second;
    } else {
      CHECK(paths_of(t.params) == std::vector<std::string>{"model.C"});
    }
    sampler.tell(t, is_second ? 1.0 - real(t.params, "model.alpha") : -1.0);
  }
  CHECK(second >= 12);
}

TEST_CASE("pending trials count as bad ones, so a batch of asks gives distinct trials in a fixed order", "[tpe]") {
  const mp::space s{{"x", mp::uniform(-2.0, 2.0)}, {"k", mp::int_uniform(1, 100)}};
  const auto run = [&](std::size_t batch) {
    mp::tpe_sampler sampler{s, {.seed = 11}};
    std::vector<mp::param_set> asked;
    while (asked.size() < 40) {
      std::vector<mp::trial> pending;
      for (std::size_t j = 0; j < batch; ++j) pending.push_back(sampler.ask());
      for (const auto& t : pending) {
        asked.push_back(t.params);
        sampler.tell(t, quadratic(t.params()) - std::abs(real(t.params, "k") - 50.0) / 100.0);
      }
    }
    return asked;
  };
  const auto batched = run(4);
  CHECK(batched == run(4));  // the same asks and tells in the same order: the same trials
  std::set<mp::param_set> distinct(batched.begin(), batched.end());
  CHECK(distinct.size() == batched.size());
  CHECK(batched != run(1));  // the liars change what a batch proposes
}

TEST_CASE("the normal helpers of tpe_sampler are accurate in both tails", "[tpe]") {
  for (double x : {-30.0, -8.0, -3.0, -1.0, -0.1, 0.0}) {
    CHECK(mp::detail::normal_quantile_lower(mp::detail::normal_cdf(x)) == Approx(x).epsilon(1e-13).margin(1e-15));
  }
  // log(Phi(b) - Phi(a)) far in a tail, where the direct difference is 0
  CHECK(mp::detail::log_normal_mass(40.0, 41.0) == Approx(-804.608442013754).epsilon(1e-12));
  CHECK(mp::detail::log_normal_mass(-41.0, -40.0) == Approx(-804.608442013754).epsilon(1e-12));
  CHECK(mp::detail::log_normal_mass(-1.0, 1.0) == Approx(std::log(0.682689492137086)).epsilon(1e-13));
  mp::numpy_random_state rng(0);
  for (int i = 0; i < 1000; ++i) {
    const double z = mp::detail::truncated_normal_draw(-0.5, 3.0, rng.uniform());
    CHECK((z >= -0.5 && z <= 3.0));
  }
  CHECK(mp::detail::tpe_gamma(0) == 0);
  CHECK(mp::detail::tpe_gamma(9) == 1);
  CHECK(mp::detail::tpe_gamma(11) == 2);
  CHECK(mp::detail::tpe_gamma(1000) == 25);
  std::vector<double> w, cumulative;
  mp::detail::tpe_kernel_weights(27, 1.0, w, cumulative);  // numpy.linspace(1 / 27, 1, 2), 25 ones, the prior
  CHECK(w[0] == Approx(1.0 / 27.0 / (1.0 / 27.0 + 27.0)));
  CHECK(w[1] == Approx(1.0 / (1.0 / 27.0 + 27.0)));
  CHECK(cumulative[27] == Approx(1.0));
  CHECK(w[27] == w[1]);
}

TEST_CASE("grid_list enumerates scikit-learn's ParameterGrid over a list of grids", "[tpe][grid_list]") {
  const auto& ref = mp::test::test_reference("tpe")["grid_list"];
  const auto check = [](const mp::grid& g, const nlohmann::json& expected) {
    const std::vector<mp::param_set> ours = g.candidates();
    REQUIRE(ours.size() == expected.size());
    CHECK(g.size() == expected.size());
    for (std::size_t c = 0; c < ours.size(); ++c) {
      REQUIRE(ours[c].size() == expected[c].size());
      for (std::size_t p = 0; p < ours[c].size(); ++p) {
        const auto& [path, value] = ours[c][p];
        CHECK(path == expected[c][p][0].get<std::string>());
        const auto& e = expected[c][p][1];
        if (e.is_boolean()) CHECK(std::get<bool>(value) == e.get<bool>());
        else if (e.is_string()) CHECK(std::get<std::string>(value) == e.get<std::string>());
        else if (e.is_number_integer()) CHECK(std::get<std::int64_t>(value) == e.get<std::int64_t>());
        else CHECK(std::get<double>(value) == e.get<double>());
      }
    }
  };
  check(mp::grid_list{mp::grid{{"scale", {"standard_scaler"}}, {"scale.standard_scaler.with_mean", {true, false}}},
                      mp::grid{{"scale", {"min_max_scaler"}}, {"model.C", {0.1, 1.0}}}},
        ref["two grids"]);
  check(mp::grid_list{mp::grid{{"select.k", {5, 10}}, {"model.C", {0.01, 0.1, 1.0}}},
                      mp::grid{{"model.penalty", {"l1", "l2"}}, {"model.C", {1.0}}}, mp::grid{{"model.tol", {1e-4}}}},
        ref["three grids, unsorted keys"]);
  const mp::grid_list two{mp::grid{{"model.C", {0.1}}}, mp::grid{{"select.k", {5, 10}}, {"model.C", {1.0}}}};
  REQUIRE(two.grids().size() == 2);
  CHECK(two.grids()[1][0].path == "model.C");  // each grid's axes, sorted
  CHECK(two.axes().size() == 1);               // the first grid's
  CHECK(error_message<mp::invalid_parameter>([] { mp::grid_list{std::vector<mp::grid>{}}; }) ==
        "grid_list: no grids; expected at least one grid");
  CHECK(error_message<mp::invalid_parameter>([] { mp::grid_list{mp::grid{{"model.C", {}}}}; }) ==
        "grid: the axis 'model.C' has no values; expected at least one");
}

// ---- tpe_search: the search stage's results ----------------------------------------------------------------------

// scale | select_k_best(f_regression) | ridge on diabetes: cheap fits, two parameters of different kinds.
auto diabetes_pipe() {
  return mp::step<"scale">(mp::standard_scaler{}) |
         mp::step<"select">(mp::select_k_best{.k = 10, .score = mp::f_regression}) |
         mp::step<"model">(mp::ridge{.alpha = 1.0});
}
mp::space diabetes_space() {
  return mp::space{{"model.alpha", mp::loguniform(1e-3, 1e3)}, {"select.k", mp::int_uniform(1, 10)}};
}

// Everything but the times (which no two runs share) equal bit for bit.
void check_same_table(const mp::search_results& a, const mp::search_results& b) {
  REQUIRE(a.n_candidates() == b.n_candidates());
  REQUIRE(a.n_splits() == b.n_splits());
  CHECK(a.params() == b.params());
  for (std::size_t c = 0; c < a.n_candidates(); ++c)
    for (std::size_t s = 0; s < a.n_splits(); ++s) CHECK(a.split_test_score(c, s) == b.split_test_score(c, s));
  CHECK(a.column("trial") == b.column("trial"));
  CHECK(a.rank_test_score() == b.rank_test_score());
  CHECK(a.best_index() == b.best_index());
}

std::vector<std::string> file_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST_CASE("tpe_search's table has a row per trial with its parameters in their domains, the same for any n_jobs, "
          "and its journal resumes it bit for bit",
          "[tpe][tpe_search][journal]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto cv = mp::kfold{.n_splits = 3, .shuffle = true, .seed = 0};
  const auto search = [&](int n_jobs, std::string journal) {
    return mp::tpe_search{diabetes_pipe(), diabetes_space(),
                          {.n_trials = 16, .seed = 7, .cv = cv, .n_jobs = n_jobs, .journal = std::move(journal)}};
  };
  const auto one = search(1, "").fit(d.X, d.y);
  const mp::search_results& r = one.results();

  // Columns: one row per trial (trial numbers in order), both parameters on every row, within their domains.
  REQUIRE(r.n_candidates() == 16);
  CHECK(r.n_splits() == 3);
  REQUIRE(r.has_column("trial"));
  for (std::size_t c = 0; c < 16; ++c) {
    INFO("trial " << c);
    CHECK(r.column("trial")[c] == static_cast<double>(c));
    CHECK(paths_of(r.params()[c]) == std::vector<std::string>{"model.alpha", "select.k"});
    const double alpha = real(r.params()[c], "model.alpha");
    CHECK((alpha >= 1e-3 && alpha <= 1e3));
    REQUIRE(std::holds_alternative<std::int64_t>(r.params()[c][1].second));  // an integer parameter stays one
    const std::int64_t k = std::get<std::int64_t>(r.params()[c][1].second);
    CHECK((k >= 1 && k <= 10));
  }
  CHECK_FALSE(r.has_column("pruned"));  // no pruner, no column
  // Its best is the table's best, refitted with the best parameters.
  const std::size_t best = r.best_index();
  CHECK(r.rank_test_score()[best] == 1);
  CHECK(one.best_params() == r.params()[best]);
  CHECK(one.best_model().get<"model">().spec().alpha == real(r.params()[best], "model.alpha"));

  // The same table with two threads: trials are asked one batch at a time, never per thread.
  check_same_table(search(2, "").fit(d.X, d.y).results(), r);

  // A journal: a full run writes a line per task; a run cut after some tasks resumes to the same table, running only
  // the missing tasks; a rerun of the finished journal fits no candidate.
  const std::string path =
      (std::filesystem::temp_directory_path() / ("mlpipe_tpe_" + std::to_string(std::random_device{}()) + ".jsonl"))
          .string();
  std::filesystem::remove(path);
  check_same_table(search(2, path).fit(d.X, d.y).results(), r);
  const std::vector<std::string> lines = file_lines(path);
  REQUIRE(lines.size() == 1 + 16 * 3);
  {  // as if killed after 20 tasks (6 trials and part of the 7th), in the middle of a line
    std::ofstream cut(path, std::ios::trunc);
    for (std::size_t i = 0; i < 1 + 20; ++i) cut << lines[i] << "\n";
    cut << lines[21].substr(0, lines[21].size() / 2);
  }
  const auto resumed = search(2, path).fit(d.X, d.y);
  check_same_table(resumed.results(), r);
  CHECK(file_lines(path).size() == lines.size());
  const auto again = search(1, path).fit(d.X, d.y);
  check_same_table(again.results(), r);
  CHECK(again.results().stage_fits() == 0);
  std::filesystem::remove(path);
}

TEST_CASE("tpe_search finds a better best score than random_search with the same budget", "[tpe][tpe_search]") {
  // scale | select_k_best | ridge on diabetes, 30 trials each, for ten seeds: both searches are deterministic for a
  // seed, so the counts below are fixed facts about the two strategies, not chance at test time.
  const auto& d = mp::test::load("diabetes.csv");
  const auto cv = mp::kfold{.n_splits = 3, .shuffle = true, .seed = 0};
  const int budget = 30;
  int tpe_better = 0;
  int random_better = 0;
  std::vector<double> gaps;
  for (std::int64_t seed = 0; seed < 10; ++seed) {
    const auto tpe = mp::tpe_search{diabetes_pipe(), diabetes_space(), {.n_trials = budget, .seed = seed, .cv = cv,
                                                                        .refit = false}}
                         .fit(d.X, d.y);
    const auto random = mp::random_search{diabetes_pipe(), diabetes_space(), {.n_iter = budget, .seed = seed, .cv = cv,
                                                                              .refit = false}}
                            .fit(d.X, d.y);
    const double tpe_best = tpe.results().mean_test_score()[tpe.best_index()];
    const double random_best = random.results().mean_test_score()[random.best_index()];
    INFO("seed " << seed << ": tpe " << tpe_best << ", random " << random_best);
    tpe_better += tpe_best > random_best ? 1 : 0;
    random_better += random_best > tpe_best ? 1 : 0;
    gaps.push_back(tpe_best - random_best);
    // TPE's 10 startup trials are random search's first 10 draws; the gap comes from the other 20.
    for (std::size_t c = 0; c < 10; ++c) CHECK(tpe.results().params()[c] == random.results().params()[c]);
  }
  std::sort(gaps.begin(), gaps.end());
  INFO("tpe better on " << tpe_better << " seeds, random on " << random_better << "; median gap "
                        << (gaps[4] + gaps[5]) / 2);
  CHECK(tpe_better >= 7);
  CHECK((gaps[4] + gaps[5]) / 2 > 0.0);
}

}  // namespace test_tpe_tests
