// Is TPE worth having? For each problem and each of 20 seeds: random search's best value of 100 trials, then the
// number of trials tpe_sampler (same seed, Optuna's defaults) needs to reach it (at most 200). Prints a Markdown
// table: the median trials TPE needs against random search's 100. Then TPE's own cost: 200 trials of ask + tell
// on the 5-parameter synthetic problem (whose objective costs nothing), the milliseconds per trial (target: at most 1).
// Run from the repository root:
//   ./build/bench/benchmarks/mlpipe_tpe_study            (or: tpe_study [data folder])
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/feature_selection/select_k_best.hpp"
#include "mlpipe/io/csv.hpp"
#include "mlpipe/models/logistic_regression.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "mlpipe/tuning/sampler.hpp"
#include "mlpipe/tuning/tpe.hpp"
#include "mlpipe/validation/cross_validate.hpp"
#include "mlpipe/validation/splitters.hpp"

#ifndef MLPIPE_DATA_DIR
#define MLPIPE_DATA_DIR "examples/data"
#endif

namespace {

namespace mp = mlpipe;

constexpr int n_seeds = 20;
constexpr int random_budget = 100;
constexpr int tpe_limit = 200;

double number(const mp::param_set& params, const std::string& path) {
  for (const auto& [p, v] : params)
    if (p == path) return std::holds_alternative<double>(v) ? std::get<double>(v) : static_cast<double>(std::get<std::int64_t>(v));
  return 0.0;
}

struct problem {
  std::string name;
  mp::space space;
  std::function<double(const mp::param_set&)> objective;  // to maximize
};

struct outcome {
  double random_best = 0.0;
  int tpe_trials = 0;  // tpe_limit + 1: not reached
};

outcome run(const problem& p, std::uint32_t seed) {
  outcome out;
  mp::random_sampler random{p.space, {.seed = seed}};
  for (int i = 0; i < random_budget; ++i) {
    const mp::trial t = random.ask();
    random.tell(t, p.objective(t.params()));
  }
  out.random_best = random.best_value();
  mp::tpe_sampler tpe{p.space, {.seed = seed}};
  out.tpe_trials = tpe_limit + 1;
  for (int i = 1; i <= tpe_limit; ++i) {
    const mp::trial t = tpe.ask();
    const double value = p.objective(t.params());
    tpe.tell(t, value);
    if (value >= out.random_best) {
      out.tpe_trials = i;
      break;
    }
  }
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string data = argc > 1 ? argv[1] : MLPIPE_DATA_DIR;
  const mp::dataset cancer = mp::read_csv(data + "/breast_cancer.csv", {.target = "target"});
  const mp::dataset diabetes = mp::read_csv(data + "/diabetes.csv", {.target = "target"});
  const auto cv = mp::stratified_kfold{.n_splits = 5};

  std::vector<problem> problems;
  problems.push_back(
      {"logistic C and k, breast_cancer (5-fold log loss)",
       mp::space{{"model.C", mp::loguniform(1e-3, 1e3)}, {"select.k", mp::int_uniform(2, 30)}},
       [&](const mp::param_set& params) {
         auto pipe = mp::step<"scale">(mp::standard_scaler{}) |
                     mp::step<"select">(mp::select_k_best{.k = 10, .score = mp::f_classif}) |
                     mp::step<"model">(mp::logistic_regression{});
         for (const auto& [path, value] : params) mp::set_param(pipe, path, value);
         return mp::cross_validate(pipe, cancer.X, cancer.y, cv, {.scoring = {"neg_log_loss"}}).mean_test_score();
       }});
  problems.push_back({"ridge alpha, diabetes (5-fold r2)", mp::space{{"model.alpha", mp::loguniform(1e-4, 1e4)}},
                      [&](const mp::param_set& params) {
                        auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{});
                        for (const auto& [path, value] : params) mp::set_param(pipe, path, value);
                        return mp::cross_validate(pipe, diabetes.X, diabetes.y, mp::kfold{.n_splits = 5})
                            .mean_test_score();
                      }});
  problems.push_back(
      {"synthetic, 5 parameters (real, log, integer, categorical)",
       mp::space{{"a", mp::uniform(-5.0, 5.0)},
                 {"b", mp::loguniform(1e-3, 1e3)},
                 {"c", mp::int_uniform(1, 50)},
                 {"d", mp::choice({std::string("x"), std::string("y"), std::string("z")})},
                 {"e", mp::uniform(0.0, 1.0)}},
       [](const mp::param_set& params) {
         double v = -std::pow(number(params, "a") - 1.3, 2) - std::pow(std::log10(number(params, "b")) + 1.0, 2) -
                    std::pow((number(params, "c") - 17.0) / 10.0, 2) - 2.0 * std::pow(number(params, "e") - 0.8, 2);
         for (const auto& [path, value] : params)
           if (path == "d" && std::get<std::string>(value) != "y") v -= 0.5;
         return v;
       }});

  std::printf("| problem | random search: best of %d (median over %d seeds) | TPE: trials to reach it (median) | "
              "TPE reached it within %d trials | seconds |\n|---|---|---|---|---|\n",
              random_budget, n_seeds, random_budget);
  for (const problem& p : problems) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<double> best, trials;
    int within = 0;
    for (std::uint32_t seed = 0; seed < n_seeds; ++seed) {
      const outcome o = run(p, seed);
      best.push_back(o.random_best);
      trials.push_back(o.tpe_trials);
      if (o.tpe_trials <= random_budget) ++within;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double m = median(trials);
    char needed[32];
    if (m > tpe_limit) std::snprintf(needed, sizeof needed, "> %d", tpe_limit);
    else std::snprintf(needed, sizeof needed, "%g", m);
    std::printf("| %s | %.6g | %s | %d of %d | %.1f |\n", p.name.c_str(), median(best), needed, within, n_seeds,
                seconds);
    std::fflush(stdout);
  }
  // TPE's overhead: the sampler alone (the synthetic objective takes well under a microsecond), 200 trials, median
  // of 5 seeds' wall time per trial.
  std::vector<double> per_trial;
  for (std::uint32_t seed = 0; seed < 5; ++seed) {
    const problem& p = problems.back();
    mp::tpe_sampler tpe{p.space, {.seed = seed}};
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < tpe_limit; ++i) {
      const mp::trial t = tpe.ask();
      tpe.tell(t, p.objective(t.params()));
    }
    per_trial.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() /
                        tpe_limit);
  }
  std::printf("\nTPE's own cost, %d trials of ask + tell on the 5-parameter synthetic problem: %.3f ms per trial "
              "(median of 5 seeds; target: at most 1 ms)\n", tpe_limit, median(per_trial));
  return 0;
}
