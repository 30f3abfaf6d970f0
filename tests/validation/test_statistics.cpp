#include <catch2/catch.hpp>

#include <algorithm>  // std::count
#include <cmath>
#include <utility>    // std::pair
#include <string>
#include <vector>

#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/models/logistic_regression.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/min_max_scaler.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "mlpipe/validation/benchmark.hpp"
#include "mlpipe/validation/cross_validate.hpp"
#include "mlpipe/validation/statistics.hpp"
#include "support.hpp"

namespace test_statistics_tests {

namespace mp = mlpipe;
using mp::test::error_message;

const nlohmann::json& reference(const std::string& test) {
  return mp::test::test_reference("validation_analysis")["statistics"][test];
}

std::vector<double> doubles(const nlohmann::json& j) { return j.get<std::vector<double>>(); }

// |a - b| / |b| (absolute below 1e-300).
double relative(double a, double b) { return std::abs(a - b) / std::max(std::abs(b), 1e-300); }

TEST_CASE("corrected_ttest gives the Nadeau-Bengio t and its two-sided p-value", "[validation][statistics]") {
  for (const auto& c : reference("corrected_ttest")) {
    const std::vector<double> a = doubles(c["a"]);
    const std::vector<double> b = doubles(c["b"]);
    const auto t = mp::corrected_ttest(a, b, {.n_train = c["n_train"].get<mp::index>(), .n_test = c["n_test"].get<mp::index>()});
    CHECK(relative(t.statistic, c["t"].get<double>()) < 1e-12);
    CHECK(relative(t.p_value, c["p"].get<double>()) < 1e-10);
    CHECK(t.df == static_cast<double>(a.size() - 1));
    // With a negligible n_test / n_train the correction vanishes: scipy's paired t-test.
    const auto plain = mp::corrected_ttest(a, b, {.n_train = 1'000'000'000'000'000, .n_test = 1});
    CHECK(relative(plain.statistic, c["ttest_rel_t"].get<double>()) < 1e-10);
    CHECK(relative(plain.p_value, c["ttest_rel_p"].get<double>()) < 1e-10);
  }
}

TEST_CASE("corrected_ttest rejects unpaired, short, non-finite or constant differences", "[validation][statistics]") {
  const std::vector<double> a{0.8, 0.82, 0.79};
  CHECK(error_message<mp::invalid_input>([&] {
          (void)mp::corrected_ttest(a, std::vector<double>{0.8, 0.8}, {.n_train = 90, .n_test = 10});
        }) == "corrected_ttest: scores_a has 3 values but scores_b has 2; expected paired scores (one per split for "
              "both models)");
  CHECK(error_message<mp::invalid_input>([&] {
          (void)mp::corrected_ttest(std::vector<double>{0.8}, std::vector<double>{0.7}, {.n_train = 9, .n_test = 1});
        }) == "corrected_ttest: scores_a has 1 value; expected at least 2");
  CHECK(error_message<mp::invalid_input>([&] {
          (void)mp::corrected_ttest(a, std::vector<double>{0.8, NAN, 0.7}, {.n_train = 9, .n_test = 1});
        }) == "corrected_ttest: scores_b has nan at position 1; expected finite scores");
  CHECK(error_message<mp::invalid_input>([&] {
          (void)mp::corrected_ttest(std::vector<double>{1.5, 2.5, 0.75}, std::vector<double>{1.0, 2.0, 0.25},
                                    {.n_train = 9, .n_test = 1});
        }) == "corrected_ttest: the score differences are all equal (0.5), so their variance is 0 and the t statistic "
              "is undefined (scipy gives NaN or an infinite t); expected differences that vary between splits");
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::corrected_ttest(a, a, {}); }) ==
        "corrected_ttest: n_train = 0 and n_test = 0; expected both >= 1 (the rows of each split)");
}

TEST_CASE("mcnemar gives statsmodels' exact and chi-squared tests", "[validation][statistics]") {
  for (const auto& c : reference("mcnemar")) {
    const mp::vector y = mp::test::to_vector(c["y"]);
    const mp::vector a = mp::test::to_vector(c["a"]);
    const mp::vector b = mp::test::to_vector(c["b"]);
    const auto exact = mp::mcnemar(y, a, b);
    CHECK(exact.both_correct == c["table"][0][0].get<mp::index>());
    CHECK(exact.only_a == c["table"][0][1].get<mp::index>());
    CHECK(exact.only_b == c["table"][1][0].get<mp::index>());
    CHECK(exact.both_wrong == c["table"][1][1].get<mp::index>());
    CHECK(exact.statistic == c["exact"]["statistic"].get<double>());
    CHECK(relative(exact.p_value, c["exact"]["p"].get<double>()) < 1e-10);
    const auto chi2 = mp::mcnemar(y, a, b, {.exact = false});
    CHECK(relative(chi2.statistic, c["chi2"]["statistic"].get<double>()) < 1e-14);
    CHECK(relative(chi2.p_value, c["chi2"]["p"].get<double>()) < 1e-10);
    const auto plain = mp::mcnemar(y, a, b, {.exact = false, .correction = false});
    CHECK(relative(plain.statistic, c["chi2_plain"]["statistic"].get<double>()) < 1e-14);
    CHECK(relative(plain.p_value, c["chi2_plain"]["p"].get<double>()) < 1e-10);
  }
  const mp::vector y{{0.0, 1.0, 1.0}};
  CHECK(mp::mcnemar(y, y, y).p_value == 1.0);
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::mcnemar(y, y, y, {.exact = false}); }) ==
        "mcnemar: the models agree on every row, so the chi-squared statistic is 0 / 0 (statsmodels gives NaN); "
        "expected some rows where exactly one model is right, or exact = true");
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::mcnemar(y, y.head(2), y); }) ==
        "mcnemar: y_true has 3 values, pred_a 2 and pred_b 3; expected one prediction of each model per row");
}

TEST_CASE("wilcoxon gives scipy's statistic and p-value, exact or approximate", "[validation][statistics]") {
  const auto& cases = reference("wilcoxon");
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    const auto w = mp::wilcoxon(doubles(c["a"]), doubles(c["b"]));
    CHECK(w.statistic == c["statistic"].get<double>());
    CHECK(relative(w.p_value, c["p"].get<double>()) < 1e-12);
    CHECK(w.exact == (i < 2));
  }
  const std::vector<double> a{0.8, 0.82, 0.79};
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::wilcoxon(a, a); }) ==
        "wilcoxon: every difference between the paired scores is 0, so there is nothing to rank (scipy raises for "
        "zero_method 'wilcox'); expected scores that differ on some pair");
}

TEST_CASE("friedman_test gives scipy's statistic and p-value with ties, and the average ranks",
          "[validation][statistics]") {
  for (const auto& c : reference("friedman")) {
    std::vector<std::vector<double>> scores;
    for (const auto& row : c["scores"]) scores.push_back(doubles(row));
    const auto f = mp::friedman_test(scores);
    CHECK(relative(f.statistic, c["statistic"].get<double>()) < 1e-12);
    CHECK(relative(f.p_value, c["p"].get<double>()) < 1e-10);
    double sum = 0.0;
    for (double r : f.mean_ranks) sum += r;
    const auto k = static_cast<double>(f.mean_ranks.size());
    CHECK(sum == Approx(k * (k + 1) / 2));
  }
  const auto ranked = mp::friedman_test({{0.9, 0.8, 0.7}, {0.95, 0.7, 0.6}});
  CHECK(ranked.mean_ranks == std::vector<double>{1.0, 2.0, 3.0});
  CHECK(error_message<mp::invalid_input>([] { (void)mp::friedman_test({{0.5, 0.5}, {0.7, 0.7}}); }) ==
        "friedman_test: every model has the same score on every dataset, so the Friedman statistic is 0 / 0 (scipy "
        "gives NaN); expected scores that differ on some dataset");
  CHECK(error_message<mp::invalid_input>([] { (void)mp::friedman_test({{0.5, 0.6}}); }) ==
        "friedman_test: there is 1 dataset; expected scores on at least 2 datasets to compare models");
  CHECK(error_message<mp::invalid_input>([] { (void)mp::friedman_test({{0.5}, {0.6}}); }) ==
        "friedman_test: there is 1 model; expected scores of at least 2 models to compare");
  CHECK(error_message<mp::invalid_input>([] { (void)mp::friedman_test({{0.5, 0.6}, {0.6}}); }) ==
        "friedman_test: dataset 1 has scores of 1 models but dataset 0 of 2; expected the same models on every "
        "dataset");
}

TEST_CASE("p_adjust gives statsmodels' Holm, Bonferroni and Benjamini-Hochberg corrections",
          "[validation][statistics]") {
  const auto& ref = reference("p_adjust");
  const std::vector<double> p = doubles(ref["p"]);
  const auto check = [&](mp::p_adjust_method method, const nlohmann::json& expected) {
    const std::vector<double> adjusted = mp::p_adjust(p, method);
    REQUIRE(adjusted.size() == expected.size());
    for (std::size_t i = 0; i < adjusted.size(); ++i) CHECK(relative(adjusted[i], expected[i].get<double>()) < 1e-15);
  };
  check(mp::p_adjust_method::holm, ref["holm"]);
  check(mp::p_adjust_method::bonferroni, ref["bonferroni"]);
  check(mp::p_adjust_method::benjamini_hochberg, ref["fdr_bh"]);
  CHECK(error_message<mp::invalid_input>([] { (void)mp::p_adjust(std::vector<double>{0.1, 1.5}); }) ==
        "p_adjust: p_values has 1.5 at position 1; expected p-values in [0, 1]");
}

TEST_CASE("the Nemenyi critical difference uses the studentized range quantiles of scipy and Demsar's table",
          "[validation][statistics]") {
  const auto& ref = reference("studentized_range");
  for (const auto& [level, values] : ref.items()) {
    for (int k = 2; k <= 10; ++k)
      CHECK(relative(mp::studentized_range_quantile(std::stod(level), k),
                     values[static_cast<std::size_t>(k - 2)].get<double>()) < 1e-11);
  }
  // Demsar (2006), Table 5(a), to its three decimals: q_0.05 = 2.343 for 3 models, 3.164 for 10; CD = q sqrt(k (k + 1)
  // / (6 N)).
  CHECK(mp::studentized_range_quantile(0.95, 3) / std::sqrt(2.0) == Approx(2.343).margin(1e-3));
  CHECK(mp::studentized_range_quantile(0.95, 10) / std::sqrt(2.0) == Approx(3.164).margin(1e-3));
  CHECK(mp::nemenyi_critical_difference(3, 10) ==
        Approx(mp::studentized_range_quantile(0.95, 3) / std::sqrt(2.0) * std::sqrt(12.0 / 60.0)).epsilon(1e-15));
  CHECK(error_message<mp::invalid_parameter>([] { (void)mp::nemenyi_critical_difference(1, 10); }) ==
        "nemenyi_critical_difference: k = 1, n_datasets = 10, alpha = 0.05; expected k >= 2 models, n_datasets >= 1 "
        "and 0 < alpha < 1");
}


TEST_CASE("the 5x2cv t-test and combined F-test follow Dietterich's and Alpaydin's formulas",
          "[validation][statistics]") {
  for (const auto& c : reference("five_by_two")) {
    const std::vector<double> a = doubles(c["a"]);
    const std::vector<double> b = doubles(c["b"]);
    const auto t = mp::paired_ttest_5x2cv(a, b);
    CHECK(relative(t.statistic, c["t"].get<double>()) < 1e-12);
    CHECK(relative(t.p_value, c["t_p"].get<double>()) < 1e-10);
    CHECK(t.df == 5.0);
    const auto f = mp::combined_ftest_5x2cv(a, b);
    CHECK(relative(f.statistic, c["f"].get<double>()) < 1e-12);
    CHECK(relative(f.p_value, c["f_p"].get<double>()) < 1e-10);
  }
  const std::vector<double> nine(9, 0.5);
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::combined_ftest_5x2cv(nine, nine); }) ==
        "combined_ftest_5x2cv: there are 9 scores per model; expected 10, the 5 x 2 scores of 5 repetitions of 2-fold "
        "cross-validation (repeated_stratified_kfold{.n_splits = 2, .n_repeats = 5}), repetition by repetition");
  const std::vector<double> same(10, 0.5);
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::paired_ttest_5x2cv(same, same); }) ==
        "paired_ttest_5x2cv: within every repetition both folds give the same score difference, so the variance "
        "estimate is 0 and the statistic is undefined; expected score differences that vary");
}

TEST_CASE("the Bayesian correlated t-test gives baycomp's posterior probabilities", "[validation][statistics]") {
  for (const auto& c : reference("bayesian")) {
    const auto r = mp::bayesian_correlated_ttest(
        doubles(c["a"]), doubles(c["b"]),
        {.n_train = c["n_train"].get<mp::index>(), .n_test = c["n_test"].get<mp::index>(), .rope = c["rope"].get<double>()});
    CHECK(std::abs(r.p_left - c["left"].get<double>()) < 1e-12);
    CHECK(std::abs(r.p_right - c["right"].get<double>()) < 1e-12);
    CHECK(std::abs(r.p_rope - c["rope_p"].get<double>()) < 1e-12);
  }
  const std::vector<double> a{0.8, 0.82, 0.79};
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::bayesian_correlated_ttest(a, a, {.n_train = 9, .n_test = 1, .rope = -0.1});
        }) == "bayesian_correlated_ttest: rope = -0.1 is out of range; expected a finite rope >= 0");
}

// ---- the benchmark harness ------------------------------------------------------------------------------------------

auto logreg() { return mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::logistic_regression{}); }
auto minmax_logreg() {
  return mp::step<"scale">(mp::min_max_scaler{}) | mp::step<"model">(mp::logistic_regression{.C = 0.1});
}

TEST_CASE("benchmark scores every pipeline on every split of every dataset as cross_validate, for any n_jobs",
          "[validation][statistics][benchmark][parallel]") {
  const mp::dataset& cancer = mp::test::load("breast_cancer.csv");
  const mp::dataset& iris = mp::test::load("iris.csv");
  const auto cv = mp::stratified_kfold{.n_splits = 3, .shuffle = true, .seed = 0};
  const auto run = [&](int n_jobs) {
    return mp::benchmark(mp::named("logreg", logreg()), mp::named("minmax", minmax_logreg()))
        .on(mp::named("cancer", cancer), mp::named("iris", std::pair{iris.X, iris.y}))
        .run({.cv = cv, .scoring = {"accuracy", "roc_auc"}, .n_jobs = n_jobs});
  };
  const auto one = run(1);
  const auto two = run(2);
  REQUIRE(one.results().size() == 2 * 2 * 3 * 2);
  REQUIRE(two.results().size() == one.results().size());
  for (std::size_t i = 0; i < one.results().size(); ++i) {
    const auto& a = one.results().rows()[i];
    const auto& b = two.results().rows()[i];
    CHECK((a.pipeline == b.pipeline && a.dataset == b.dataset && a.fold == b.fold && a.metric == b.metric));
    CHECK(a.value == b.value);
  }
  // Rows are pipeline x dataset x fold x metric; the values are cross_validate's.
  const auto cv_iris = mp::cross_validate(minmax_logreg(), iris.X, iris.y, cv, {.scoring = {"accuracy", "roc_auc"}});
  const auto& rows = one.results().rows();
  for (std::size_t s = 0; s < 3; ++s) {
    const auto& accuracy = rows[12 + 6 + 2 * s];
    const auto& auc = rows[12 + 6 + 2 * s + 1];
    CHECK((accuracy.pipeline == "minmax" && accuracy.dataset == "iris" && accuracy.fold == static_cast<mp::index>(s) &&
           accuracy.metric == "accuracy" && auc.metric == "roc_auc"));
    CHECK(accuracy.value == cv_iris.test_scores("accuracy")[s]);
    CHECK(auc.value == cv_iris.test_scores("roc_auc")[s]);
    CHECK((accuracy.n_train == 100 && accuracy.n_test == 50));
  }
  const auto summary = one.summary("accuracy");
  CHECK(summary.mean(1, 1) == mp::detail::mean_of(cv_iris.test_scores("accuracy")));
  CHECK(summary.standard_deviation(1, 1) == mp::detail::std_of(cv_iris.test_scores("accuracy")));
  CHECK(one.summary("roc_auc").to_markdown() == two.summary("roc_auc").to_markdown());

  CHECK(error_message<mp::invalid_parameter>([&] { (void)one.summary("acuracy"); }) ==
        "benchmark: no scores for the metric 'acuracy'; did you mean 'accuracy'? Computed: accuracy, roc_auc");
}

TEST_CASE("benchmark writes its results as RFC 4180 CSV, quoting names with commas and quotes",
          "[validation][statistics][benchmark]") {
  const mp::dataset& iris = mp::test::load("iris.csv");
  const auto bench = mp::benchmark(mp::named("scale, then \"logreg\"", logreg()))
                         .on(mp::named("iris", iris))
                         .run({.cv = mp::stratified_kfold{.n_splits = 2}, .scoring = "accuracy"});
  const std::string csv = bench.results().csv();
  const auto& row = bench.results().rows()[0];
  const std::string first_line_end = csv.substr(csv.find('\n') + 1);
  CHECK(csv.substr(0, csv.find('\n')) == "pipeline,dataset,fold,metric,value,fit_time,score_time,n_train,n_test");
  CHECK(first_line_end.substr(0, first_line_end.find('\n')) ==
        "\"scale, then \"\"logreg\"\"\",iris,0,accuracy," + mp::format_double(row.value) + "," +
            mp::format_double(row.fit_time) + "," + mp::format_double(row.score_time) + ",75,75");
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 3);
  const std::string json = bench.results().json();
  CHECK(json.substr(0, json.find('\n', 2)) ==
        "[\n{\"pipeline\": \"scale, then \\\"logreg\\\"\", \"dataset\": \"iris\", \"fold\": 0, \"metric\": \"accuracy\", "
        "\"value\": " + mp::format_double(row.value) + ", \"fit_time\": " + mp::format_double(row.fit_time) +
            ", \"score_time\": " + mp::format_double(row.score_time) + ", \"n_train\": 75, \"n_test\": 75},");
  CHECK(mp::detail::json_string("a\tb") == "\"a\\u0009b\"");
  const auto parsed = nlohmann::json::parse(json);
  REQUIRE(parsed.size() == 2);
  CHECK(parsed[1]["pipeline"] == "scale, then \"logreg\"");
  CHECK(parsed[1]["value"].get<double>() == bench.results().rows()[1].value);
  CHECK(mp::detail::csv_field("plain") == "plain");
  CHECK(mp::detail::csv_field("two\nlines") == "\"two\nlines\"");
  CHECK(error_message<mp::invalid_input>([&] { bench.results().to_csv("/nonexistent/dir/results.csv"); }) ==
        "benchmark: cannot write the results to '/nonexistent/dir/results.csv'; expected a writable path");
}

TEST_CASE("benchmark rejects duplicate names and scorers a pipeline cannot serve", "[validation][statistics][benchmark]") {
  const mp::dataset& iris = mp::test::load("iris.csv");
  const auto ridge = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{});
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::benchmark(mp::named("a", logreg()), mp::named("a", minmax_logreg())).on(mp::named("iris", iris)).run();
        }) == "benchmark: two pipelines are named 'a'; expected distinct names");
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::benchmark(mp::named("a", logreg())).on(mp::named("iris", iris), mp::named("iris", iris)).run();
        }) == "benchmark: two datasets are named 'iris'; expected distinct names");
  CHECK(error_message<mp::invalid_parameter>([&] {
          (void)mp::benchmark(mp::named("logreg", logreg()), mp::named("ridge", ridge))
              .on(mp::named("iris", iris))
              .run({.scoring = "neg_log_loss"});
        }) == "scorer 'neg_log_loss' needs predict_proba, which step 'model' (ridge) does not have; expected a "
              "classifier (pipeline 'ridge')");
  CHECK(error_message<mp::invalid_input>([&] {
          (void)mp::benchmark(mp::named("a", logreg())).on(mp::named("bad", std::pair{iris.X, iris.y.head(10)})).run();
        }).find("(dataset 'bad')") != std::string::npos);
}

TEST_CASE("a benchmark summary marks pipelines significantly worse than the best, in Markdown and LaTeX",
          "[validation][statistics][benchmark]") {
  // [pipeline][dataset] scores over five splits: "a|b" clearly best on "x&y", "c_d" slightly ahead on "z".
  const std::vector<std::vector<std::vector<double>>> scores{
      {{0.9, 0.92, 0.91, 0.93, 0.94}, {0.5, 0.6, 0.55, 0.5, 0.6}},
      {{0.8, 0.81, 0.79, 0.82, 0.8}, {0.6, 0.5, 0.6, 0.55, 0.6}}};
  const mp::benchmark_summary summary("accuracy", {"a|b", "c_d"}, {"x&y", "z"}, scores, {{80, 20}, {80, 20}}, 0.05);
  CHECK(summary.best(0) == 0);
  CHECK(summary.best(1) == 1);
  CHECK(summary.average_rank(0) == 1.5);
  CHECK(summary.average_rank(1) == 1.5);
  std::vector<double> best(scores[0][0]), other(scores[1][0]);
  const double p = mp::corrected_ttest(best, other, {.n_train = 80, .n_test = 20}).p_value;
  CHECK(summary.p_value(1, 0) == p);  // one comparison per dataset: Holm leaves it as it is
  CHECK(summary.significantly_worse(1, 0));
  CHECK_FALSE(summary.significantly_worse(0, 1));
  CHECK(std::isnan(summary.p_value(0, 0)));
  CHECK(summary.to_markdown() ==
        "| pipeline | x&y | z | average rank |\n"
        "|---|---|---|---|\n"
        "| a\\|b | **0.920 ± 0.014** | 0.550 ± 0.045 | 1.50 |\n"
        "| c\\_d | 0.804 ± 0.010 † | **0.570 ± 0.040** | 1.50 |\n"
        "\n"
        "accuracy, mean ± std over the splits; † significantly worse than the best (bold) on that dataset: corrected "
        "resampled t-test (Nadeau & Bengio 2003), Holm-corrected, alpha = 0.05.\n");
  CHECK(summary.to_latex(2) ==
        "\\begin{tabular}{lccc}\n"
        "\\toprule\n"
        "Pipeline & x\\&y & z & Avg.\\ rank \\\\\n"
        "\\midrule\n"
        "a|b & \\textbf{0.92 $\\pm$ 0.01} & 0.55 $\\pm$ 0.04 & 1.50 \\\\\n"
        "c\\_d & 0.80 $\\pm$ 0.01$^\\dagger$ & \\textbf{0.57 $\\pm$ 0.04} & 1.50 \\\\\n"
        "\\bottomrule\n"
        "\\end{tabular}\n");
  CHECK(mp::detail::latex_escape("50% #1 {x}~^\\") == "50\\% \\#1 \\{x\\}\\textasciitilde{}\\textasciicircum{}\\textbackslash{}");
}

TEST_CASE("critical_difference gives the Friedman test, the Nemenyi difference and Holm-corrected Wilcoxon pairs",
          "[validation][statistics][benchmark]") {
  const mp::dataset& cancer = mp::test::load("breast_cancer.csv");
  const mp::dataset& iris = mp::test::load("iris.csv");
  const mp::dataset& diabetes = mp::test::load("diabetes.csv");
  // A third classification dataset: diabetes' target cut at its median.
  mp::vector above(diabetes.y.size());
  for (mp::index i = 0; i < above.size(); ++i) above(i) = diabetes.y(i) > 140.0 ? 1.0 : 0.0;
  const auto weak = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::logistic_regression{.C = 1e-4});
  const auto bench = mp::benchmark(mp::named("logreg", logreg()), mp::named("minmax", minmax_logreg()),
                                   mp::named("weak", weak))
                         .on(mp::named("cancer", cancer), mp::named("iris", iris),
                             mp::named("diabetes>140", std::pair{diabetes.X, above}))
                         .run({.cv = mp::stratified_kfold{.n_splits = 3}, .scoring = "accuracy"});
  const auto cd = bench.critical_difference("accuracy");
  const auto summary = bench.summary("accuracy");
  std::vector<std::vector<double>> means(3, std::vector<double>(3));
  for (std::size_t d = 0; d < 3; ++d)
    for (std::size_t p = 0; p < 3; ++p) means[d][p] = summary.mean(p, d);
  const auto f = mp::friedman_test(means);
  CHECK(cd.friedman_statistic == f.statistic);
  CHECK(cd.friedman_p_value == f.p_value);
  CHECK(cd.average_ranks == f.mean_ranks);
  for (std::size_t p = 0; p < 3; ++p) CHECK(cd.average_ranks[p] == Approx(summary.average_rank(p)).epsilon(1e-15));
  CHECK(cd.critical_difference == mp::nemenyi_critical_difference(3, 3));
  REQUIRE(cd.pairs.size() == 3);
  std::vector<double> raw;
  for (const auto& pair : cd.pairs) {
    std::vector<double> a, b;
    for (const auto& row : means) {
      a.push_back(row[pair.a]);
      b.push_back(row[pair.b]);
    }
    CHECK(pair.wilcoxon_p_value == mp::wilcoxon(a, b).p_value);
    CHECK(pair.rank_difference == cd.average_ranks[pair.a] - cd.average_ranks[pair.b]);
    CHECK(pair.nemenyi_significant == (std::abs(pair.rank_difference) > cd.critical_difference));
    raw.push_back(pair.wilcoxon_p_value);
  }
  const auto holm = mp::p_adjust(raw);
  for (std::size_t i = 0; i < 3; ++i) CHECK(cd.pairs[i].holm_p_value == holm[i]);
  CHECK(cd.to_markdown().find("| logreg vs minmax | ") != std::string::npos);
  CHECK(error_message<mp::invalid_input>([&] {
          (void)mp::benchmark(mp::named("logreg", logreg()), mp::named("weak", weak))
              .on(mp::named("iris", iris))
              .run({.cv = mp::stratified_kfold{.n_splits = 3}})
              .critical_difference("accuracy");
        }) == "critical_difference: a comparison across datasets needs at least 2 pipelines and 2 datasets; this "
              "benchmark has 2 pipeline(s) and 1 dataset(s)");
}

}  // namespace test_statistics_tests
