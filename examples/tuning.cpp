// Tuning a pipeline with each search strategy: random search, successive halving over rows and over iterations,
// Hyperband, and a search driven by your own ask/tell sampler, with a journal to resume from and a progress bar.
#include <cstdio>
#include <filesystem>
#include <string>

#include <mlpipe/mlpipe.hpp>

namespace mp = mlpipe;

// A sampler of your own: ask() proposes, tell() hears the mean test score (to maximize). This one draws at random.
struct my_sampler {
  explicit my_sampler(mp::space_list s) : space(std::move(s)) {}
  mp::space_list space;
  mp::numpy_random_state rng{0};
  int asked = 0;
  mp::trial ask() { return {asked++, space.draw(rng)}; }
  void tell(const mp::trial&, double) {}
};

int main() {
  const auto data = mp::read_csv("data/breast_cancer.csv", {.target = "target"});
  const auto pipe = mp::step<"scale">(mp::standard_scaler{}) |
                    mp::step<"select">(mp::select_k_best{.k = 10, .score = mp::f_classif}) |
                    mp::step<"model">(mp::logistic_regression{});
  const auto space = mp::space{{"model.C", mp::loguniform(1e-3, 1e3)}, {"select.k", mp::int_uniform(2, 30)}};
  const auto cv = mp::stratified_kfold{.n_splits = 5, .shuffle = true, .seed = 0};
  const std::string journal = (std::filesystem::temp_directory_path() / "mlpipe_tuning_example.jsonl").string();
  std::filesystem::remove(journal);

  // 20 candidates as RandomizedSearchCV(n_iter=20, random_state=0) draws them; run it twice: the second run reads
  // every task back from the journal.
  const auto rs = mp::random_search{pipe, space, {.n_iter = 20, .seed = 0, .cv = cv, .n_jobs = 2, .journal = journal,
                                                  .on_progress = mp::progress_bar()}};
  const auto first = rs.fit(data.X, data.y);
  const auto resumed = rs.fit(data.X, data.y);
  std::printf("random_search:         %s  (%.4f; resumed: %.4f)\n", mp::format_params(first.best_params()).c_str(),
              first.best_score(), resumed.best_score());

  const auto hgs = mp::halving_grid_search{pipe, mp::grid{{"model.C", {0.01, 0.1, 1.0, 10.0}}, {"select.k", {5, 10, 20}}},
                                           {.factor = 3, .cv = cv}}
                       .fit(data.X, data.y);
  std::printf("halving_grid_search:   %s  (%.4f, %zu evaluations)\n", mp::format_params(hgs.best_params()).c_str(),
              hgs.best_score(), hgs.results().n_candidates());

  const auto hrs = mp::halving_random_search{pipe, space, {.n_candidates = 27, .factor = 3, .seed = 0, .cv = cv}}
                       .fit(data.X, data.y);
  std::printf("halving_random_search: %s  (%.4f)\n", mp::format_params(hrs.best_params()).c_str(), hrs.best_score());

  const auto hb = mp::hyperband{pipe, space, {.resource = "model.max_iter", .max_resource = 27, .factor = 3, .seed = 0,
                                              .cv = cv}}
                      .fit(data.X, data.y);
  std::printf("hyperband:             %s  (%.4f)\n", mp::format_params(hb.best_params()).c_str(), hb.best_score());

  const auto own = mp::sampler_search{pipe, my_sampler{space}, {.n_trials = 10, .cv = cv, .batch = 5}}.fit(data.X, data.y);
  std::printf("sampler_search:        %s  (%.4f)\n", mp::format_params(own.best_params()).c_str(), own.best_score());
  std::filesystem::remove(journal);
  return first.best_score() == resumed.best_score() && hb.best_score() > 0.9 ? 0 : 1;
}
