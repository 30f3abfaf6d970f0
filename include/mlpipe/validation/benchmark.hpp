#pragma once

#include <array>
#include <cmath>        // std::isnan, std::sqrt
#include <cstdio>       // std::snprintf
#include <fstream>
#include <limits>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>  // std::remove_cvref_t
#include <utility>      // std::move, std::pair, std::index_sequence
#include <vector>

#include "mlpipe/core/text.hpp"
#include "mlpipe/core/concepts.hpp"
#include "mlpipe/core/dataset.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/parallel.hpp"
#include "mlpipe/core/param_value.hpp"  // format_double
#include "mlpipe/core/paths.hpp"        // detail::did_you_mean, detail::join
#include "mlpipe/core/types.hpp"
#include "mlpipe/validation/any_splitter.hpp"
#include "mlpipe/validation/cross_validate.hpp"
#include "mlpipe/validation/predict.hpp"  // detail::splits_or_default
#include "mlpipe/validation/statistics.hpp"

// The benchmark harness: named pipelines (of any types) x named datasets x one splitter, every (pipeline, dataset,
// split) fit running in parallel, deterministically for any n_jobs; the results as a long table (CSV), summaries
// per metric with significance against the best (Markdown, LaTeX), and the Friedman / Nemenyi comparison across
// datasets (Demsar 2006) with Holm-corrected Wilcoxon pairs (Benavoli et al. 2016).

namespace mlpipe {

// named_item -- a value with the name a benchmark reports it under (a pipeline, a dataset).
template <class T>
struct named_item {
  std::string name;  // the name in tables and files
  T value;           // the pipeline, or the dataset (an mlpipe::dataset or a pair of X and y)
};

// named("logreg", pipeline) -- gives a pipeline or a dataset the name a benchmark reports it under.
template <class T>
named_item<std::remove_cvref_t<T>> named(std::string name, T&& value) {
  return {std::move(name), std::forward<T>(value)};
}

// benchmark_options -- how a benchmark runs.
struct benchmark_options {
  any_splitter cv{};       // the splits of every dataset; empty: 5 folds, stratified for classifiers
  scoring_list scoring{};  // the scorers, by name; empty: accuracy for classifiers, r2 for regressors
  int n_jobs = 1;          // threads for the (pipeline, dataset, split) fits; -1: every core. Same results for any
  double alpha = 0.05;     // significance level of the markers in summaries and of the Nemenyi critical difference
};

// result_row -- one row of a benchmark's long results table: one score of one pipeline on one split of one dataset.
struct result_row {
  std::string pipeline;     // the pipeline's name
  std::string dataset;      // the dataset's name
  index fold = 0;           // the split's number, from 0, in the splitter's order
  std::string metric;       // the scorer's name
  double value = 0.0;       // the score (greater is better, as scorers are)
  double fit_time = 0.0;    // wall-clock seconds of the fit on this split
  double score_time = 0.0;  // wall-clock seconds of scoring this split
  index n_train = 0;        // rows the pipeline was fitted on
  index n_test = 0;         // rows it was scored on
};

namespace detail {

// A JSON string literal: quotes, backslashes and control characters escaped.
inline std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buffer[16];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buffer;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

// A JSON number in its shortest round-trip form; null for NaN and infinities, which JSON cannot hold.
inline std::string json_number(double x) { return std::isfinite(x) ? format_double(x) : "null"; }

inline std::string latex_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': case '%': case '$': case '#': case '_': case '{': case '}': out += '\\'; out += c; break;
      case '~': out += "\\textasciitilde{}"; break;
      case '^': out += "\\textasciicircum{}"; break;
      case '\\': out += "\\textbackslash{}"; break;
      default: out += c;
    }
  }
  return out;
}

inline std::string markdown_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '|' || c == '*' || c == '_' || c == '\\' || c == '`') out += '\\';
    out += (c == '\n' || c == '\r') ? ' ' : c;
  }
  return out;
}

inline std::string fixed(double x, int digits) {
  if (std::isnan(x)) return "nan";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, x);
  return buffer;
}

inline void write_file(const std::string& path, const std::string& text, std::string_view what) {
  std::ofstream out(path, std::ios::binary);
  if (out) out << text;
  if (!out)
    throw invalid_input("cannot write " + std::string(what) + " to '" + path + "'; expected a writable path",
                        "benchmark");
}

inline void check_unique_names(std::string_view what, const std::vector<std::string>& names) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty())
      throw invalid_parameter(std::string(what) + " " + std::to_string(i) + " has an empty name; expected a name",
                              "benchmark");
    for (std::size_t j = 0; j < i; ++j)
      if (names[i] == names[j])
        throw invalid_parameter("two " + std::string(what) + "s are named '" + names[i] + "'; expected distinct names",
                                "benchmark");
  }
}

// A dataset as the benchmark holds it.
struct benchmark_dataset {
  std::string name;
  matrix X;
  vector y;
};

inline benchmark_dataset as_benchmark_dataset(named_item<dataset> d) {
  return {std::move(d.name), std::move(d.value.X), std::move(d.value.y)};
}

template <class XType, class YType>
benchmark_dataset as_benchmark_dataset(named_item<std::pair<XType, YType>> d) {
  return {std::move(d.name), matrix(std::move(d.value.first)), vector(std::move(d.value.second))};
}

}  // namespace detail

// results_table -- a benchmark's results in long format: one row per pipeline x dataset x fold x metric, as CSV or
// JSON.
class results_table {
 public:
  results_table() = default;
  explicit results_table(std::vector<result_row> rows) : rows_(std::move(rows)) {}

  const std::vector<result_row>& rows() const { return rows_; }
  std::size_t size() const { return rows_.size(); }

  // The table as CSV (RFC 4180: a header line, fields with commas, quotes or line breaks quoted, CRLF-free "\n"
  // line ends as most tools expect), numbers in their shortest round-trip form.
  std::string csv() const {
    std::string out = "pipeline,dataset,fold,metric,value,fit_time,score_time,n_train,n_test\n";
    for (const auto& r : rows_) {
      out += detail::csv_field(r.pipeline) + ',' + detail::csv_field(r.dataset) + ',' + std::to_string(r.fold) + ',' +
             detail::csv_field(r.metric) + ',' + format_double(r.value) + ',' + format_double(r.fit_time) + ',' +
             format_double(r.score_time) + ',' + std::to_string(r.n_train) + ',' + std::to_string(r.n_test) + '\n';
    }
    return out;
  }
  // Writes csv() to the file at path.
  void to_csv(const std::string& path) const { detail::write_file(path, csv(), "the results"); }

  // The table as JSON: an array of objects with the CSV's columns as keys; a score that is not finite is null.
  std::string json() const {
    std::string out = "[";
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      const auto& r = rows_[i];
      out += i == 0 ? "\n" : ",\n";
      out += "{\"pipeline\": " + detail::json_string(r.pipeline) + ", \"dataset\": " + detail::json_string(r.dataset) +
             ", \"fold\": " + std::to_string(r.fold) + ", \"metric\": " + detail::json_string(r.metric) +
             ", \"value\": " + detail::json_number(r.value) + ", \"fit_time\": " + detail::json_number(r.fit_time) +
             ", \"score_time\": " + detail::json_number(r.score_time) + ", \"n_train\": " + std::to_string(r.n_train) +
             ", \"n_test\": " + std::to_string(r.n_test) + "}";
    }
    out += rows_.empty() ? "]\n" : "\n]\n";
    return out;
  }
  // Writes json() to the file at path.
  void to_json(const std::string& path) const { detail::write_file(path, json(), "the results"); }

 private:
  std::vector<result_row> rows_;
};

// benchmark_summary -- one metric of a benchmark: mean ± std over the splits per pipeline x dataset, each
// pipeline's average rank over the datasets (1 = best), and per dataset whether each pipeline is significantly
// worse than the best one (corrected resampled t-test, Holm-corrected over the pipelines compared with the best).
class benchmark_summary {
 public:
  benchmark_summary(std::string metric, std::vector<std::string> pipelines, std::vector<std::string> datasets,
                    std::vector<std::vector<std::vector<double>>> scores, std::vector<std::pair<index, index>> sizes,
                    double alpha)
      : metric_(std::move(metric)), pipelines_(std::move(pipelines)), datasets_(std::move(datasets)),
        alpha_(alpha) {
    const std::size_t P = pipelines_.size();
    const std::size_t D = datasets_.size();
    mean_.assign(P, std::vector<double>(D));
    std_.assign(P, std::vector<double>(D));
    p_.assign(P, std::vector<double>(D, std::numeric_limits<double>::quiet_NaN()));
    best_.assign(D, 0);
    ranks_.assign(P, 0.0);
    for (std::size_t d = 0; d < D; ++d) {
      std::vector<double> negated(P);
      for (std::size_t p = 0; p < P; ++p) {
        mean_[p][d] = detail::mean_of(scores[p][d]);
        std_[p][d] = detail::std_of(scores[p][d]);
        negated[p] = -mean_[p][d];
        if (mean_[p][d] > mean_[best_[d]][d]) best_[d] = p;  // ties: the first pipeline
      }
      const std::vector<double> ranks = detail::average_ranks(negated);
      for (std::size_t p = 0; p < P; ++p) ranks_[p] += ranks[p] / static_cast<double>(D);
      // Each other pipeline against the best: corrected t-test, Holm over the P - 1 comparisons.
      const auto& best = scores[best_[d]][d];
      if (P < 2 || best.size() < 2) continue;
      std::vector<double> raw;
      for (std::size_t p = 0; p < P; ++p) {
        if (p == best_[d]) continue;
        std::vector<double> diff(best.size());
        bool all_equal = true;
        for (std::size_t s = 0; s < best.size(); ++s) {
          diff[s] = best[s] - scores[p][d][s];
          all_equal = all_equal && diff[s] == diff[0];
        }
        if (all_equal) raw.push_back(diff[0] == 0.0 ? 1.0 : 0.0);  // identical scores, or a constant gap
        else raw.push_back(corrected_ttest(best, scores[p][d], {.n_train = sizes[d].first, .n_test = sizes[d].second})
                               .p_value);
      }
      const std::vector<double> adjusted = p_adjust(raw, p_adjust_method::holm);
      for (std::size_t p = 0, i = 0; p < P; ++p)
        if (p != best_[d]) p_[p][d] = adjusted[i++];
    }
  }

  const std::string& metric() const { return metric_; }
  const std::vector<std::string>& pipelines() const { return pipelines_; }
  const std::vector<std::string>& datasets() const { return datasets_; }
  // The mean and (population) standard deviation of pipeline p's scores over the splits of dataset d.
  double mean(std::size_t p, std::size_t d) const { return mean_.at(p).at(d); }
  double standard_deviation(std::size_t p, std::size_t d) const { return std_.at(p).at(d); }
  // Pipeline p's rank by mean score on each dataset (1 = best, ties averaged), averaged over the datasets.
  double average_rank(std::size_t p) const { return ranks_.at(p); }
  // The pipeline with the highest mean score on dataset d (the first of tied ones).
  std::size_t best(std::size_t d) const { return best_.at(d); }
  // The Holm-corrected p-value of the corrected t-test of pipeline p against the best on dataset d (NaN for the
  // best itself, or with fewer than two splits).
  double p_value(std::size_t p, std::size_t d) const { return p_.at(p).at(d); }
  // Whether pipeline p is significantly worse than the best on dataset d at the benchmark's alpha.
  bool significantly_worse(std::size_t p, std::size_t d) const { return p_value(p, d) < alpha_; }

  // A Markdown table: a row per pipeline, "mean ± std" per dataset (the best in bold, † where significantly worse
  // than the best), and the average rank; a note below says what † means.
  std::string to_markdown(int digits = 3) const {
    std::string out = "| pipeline |";
    for (const auto& d : datasets_) out += " " + detail::markdown_escape(d) + " |";
    out += " average rank |\n|---|";
    for (std::size_t d = 0; d < datasets_.size(); ++d) out += "---|";
    out += "---|\n";
    for (std::size_t p = 0; p < pipelines_.size(); ++p) {
      out += "| " + detail::markdown_escape(pipelines_[p]) + " |";
      for (std::size_t d = 0; d < datasets_.size(); ++d) {
        std::string cell = detail::fixed(mean_[p][d], digits) + " ± " + detail::fixed(std_[p][d], digits);
        if (p == best_[d]) cell = "**" + cell + "**";
        if (significantly_worse(p, d)) cell += " †";
        out += " " + cell + " |";
      }
      out += " " + detail::fixed(ranks_[p], 2) + " |\n";
    }
    out += "\n" + detail::markdown_escape(metric_) + ", mean ± std over the splits; † significantly worse than the "
           "best (bold) on that dataset: corrected resampled t-test (Nadeau & Bengio 2003), Holm-corrected, alpha = " +
           format_double(alpha_) + ".\n";
    return out;
  }

  // A LaTeX table (booktabs: \toprule, \midrule, \bottomrule), names escaped, the best per dataset in bold,
  // $^\dagger$ where significantly worse than the best.
  std::string to_latex(int digits = 3) const {
    std::string out = "\\begin{tabular}{l";
    for (std::size_t d = 0; d <= datasets_.size(); ++d) out += 'c';
    out += "}\n\\toprule\nPipeline";
    for (const auto& d : datasets_) out += " & " + detail::latex_escape(d);
    out += " & Avg.\\ rank \\\\\n\\midrule\n";
    for (std::size_t p = 0; p < pipelines_.size(); ++p) {
      out += detail::latex_escape(pipelines_[p]);
      for (std::size_t d = 0; d < datasets_.size(); ++d) {
        std::string cell = detail::fixed(mean_[p][d], digits) + " $\\pm$ " + detail::fixed(std_[p][d], digits);
        if (p == best_[d]) cell = "\\textbf{" + cell + "}";
        if (significantly_worse(p, d)) cell += "$^\\dagger$";
        out += " & " + cell;
      }
      out += " & " + detail::fixed(ranks_[p], 2) + " \\\\\n";
    }
    out += "\\bottomrule\n\\end{tabular}\n";
    return out;
  }

 private:
  std::string metric_;
  std::vector<std::string> pipelines_;
  std::vector<std::string> datasets_;
  double alpha_;
  std::vector<std::vector<double>> mean_, std_, p_;  // [pipeline][dataset]
  std::vector<std::size_t> best_;                    // [dataset]
  std::vector<double> ranks_;                        // [pipeline]
};

// pairwise_comparison -- two pipelines compared across datasets.
struct pairwise_comparison {
  std::size_t a = 0;                // the first pipeline's position
  std::size_t b = 0;                // the second pipeline's position (a < b)
  double rank_difference = 0.0;     // average rank of a - average rank of b (negative: a ranks better)
  bool nemenyi_significant = false; // |rank_difference| > the critical difference
  double wilcoxon_p_value = 1.0;    // Wilcoxon signed-rank test of their mean scores over the datasets
  double holm_p_value = 1.0;        // the same, Holm-corrected over all pairs
};

// critical_difference_result -- the Friedman test and Nemenyi critical difference over datasets (Demsar 2006),
// and Holm-corrected pairwise Wilcoxon tests (Benavoli et al. 2016), of one metric.
struct critical_difference_result {
  std::string metric;                       // the scorer compared
  std::vector<std::string> pipelines;       // in the benchmark's order
  std::vector<double> average_ranks;        // per pipeline, over the datasets (1 = best)
  double friedman_statistic = 0.0;          // Friedman's chi-squared (ties corrected)
  double friedman_p_value = 1.0;            // the chance of ranks this different if all pipelines were alike
  double critical_difference = 0.0;         // the Nemenyi critical difference of average ranks at alpha
  double alpha = 0.05;                      // the level of the critical difference
  std::vector<pairwise_comparison> pairs;   // every pair a < b

  // A Markdown report: the Friedman test, the critical difference, average ranks and the pairs.
  std::string to_markdown() const {
    std::string out = "Friedman chi2 = " + detail::fixed(friedman_statistic, 3) + ", p = " +
                      format_double(friedman_p_value) + "; Nemenyi critical difference (alpha = " +
                      format_double(alpha) + ") = " + detail::fixed(critical_difference, 3) +
                      "\n\n| pipeline | average rank |\n|---|---|\n";
    for (std::size_t p = 0; p < pipelines.size(); ++p)
      out += "| " + detail::markdown_escape(pipelines[p]) + " | " + detail::fixed(average_ranks[p], 2) + " |\n";
    out += "\n| pair | rank difference | Nemenyi | Wilcoxon p | Holm p |\n|---|---|---|---|---|\n";
    for (const auto& c : pairs)
      out += "| " + detail::markdown_escape(pipelines[c.a]) + " vs " + detail::markdown_escape(pipelines[c.b]) +
             " | " + detail::fixed(c.rank_difference, 2) + " | " + (c.nemenyi_significant ? "different" : "-") +
             " | " + detail::fixed(c.wilcoxon_p_value, 4) + " | " + detail::fixed(c.holm_p_value, 4) + " |\n";
    return out;
  }
};

// benchmark_result -- what benchmark(...).on(...).run(...) returns: every score, and summaries of them.
class benchmark_result {
 public:
  benchmark_result(std::vector<std::string> pipelines, std::vector<std::string> datasets,
                   std::vector<std::string> metrics, std::vector<result_row> rows, double alpha)
      : pipelines_(std::move(pipelines)), datasets_(std::move(datasets)), metrics_(std::move(metrics)),
        table_(std::move(rows)), alpha_(alpha) {}

  const std::vector<std::string>& pipelines() const { return pipelines_; }
  const std::vector<std::string>& datasets() const { return datasets_; }
  const std::vector<std::string>& metrics() const { return metrics_; }

  // Every score: one row per pipeline x dataset x fold x metric, in that order.
  const results_table& results() const { return table_; }

  // scores(metric)[p][d] -- pipeline p's scores on the splits of dataset d.
  std::vector<std::vector<std::vector<double>>> scores(std::string_view metric) const {
    check_metric(metric);
    std::vector<std::vector<std::vector<double>>> out(pipelines_.size(),
                                                      std::vector<std::vector<double>>(datasets_.size()));
    for (const auto& r : table_.rows())
      if (r.metric == metric) out[position(pipelines_, r.pipeline)][position(datasets_, r.dataset)].push_back(r.value);
    return out;
  }

  // One metric's summary: mean ± std, average ranks and significance against the best per dataset.
  benchmark_summary summary(std::string_view metric) const {
    auto values = scores(metric);
    std::vector<std::pair<index, index>> sizes(datasets_.size());
    for (const auto& r : table_.rows())  // the corrected t-test's n_train and n_test: each dataset's first split
      if (r.fold == 0) sizes[position(datasets_, r.dataset)] = {r.n_train, r.n_test};
    return benchmark_summary(std::string(metric), pipelines_, datasets_, std::move(values), sizes, alpha_);
  }

  // The Friedman test with the Nemenyi critical difference, and Holm-corrected pairwise Wilcoxon tests, over the
  // datasets, of each pipeline's mean score per dataset. Needs at least two pipelines and two datasets.
  critical_difference_result critical_difference(std::string_view metric) const {
    if (pipelines_.size() < 2 || datasets_.size() < 2)
      throw invalid_input("a comparison across datasets needs at least 2 pipelines and 2 datasets; this benchmark "
                          "has " + std::to_string(pipelines_.size()) + " pipeline(s) and " +
                              std::to_string(datasets_.size()) + " dataset(s)",
                          "critical_difference");
    const auto values = scores(metric);
    std::vector<std::vector<double>> means(datasets_.size(), std::vector<double>(pipelines_.size()));
    for (std::size_t p = 0; p < pipelines_.size(); ++p)
      for (std::size_t d = 0; d < datasets_.size(); ++d) means[d][p] = detail::mean_of(values[p][d]);
    critical_difference_result out;
    out.metric = std::string(metric);
    out.pipelines = pipelines_;
    const friedman_result f = friedman_test(means);
    out.average_ranks = f.mean_ranks;
    out.friedman_statistic = f.statistic;
    out.friedman_p_value = f.p_value;
    out.alpha = alpha_;
    out.critical_difference = nemenyi_critical_difference(static_cast<index>(pipelines_.size()),
                                                          static_cast<index>(datasets_.size()), alpha_);
    std::vector<double> raw;
    for (std::size_t a = 0; a < pipelines_.size(); ++a) {
      for (std::size_t b = a + 1; b < pipelines_.size(); ++b) {
        pairwise_comparison c{.a = a, .b = b};
        c.rank_difference = f.mean_ranks[a] - f.mean_ranks[b];
        c.nemenyi_significant = std::abs(c.rank_difference) > out.critical_difference;
        std::vector<double> sa, sb;
        bool identical = true;
        for (const auto& row : means) {
          sa.push_back(row[a]);
          sb.push_back(row[b]);
          identical = identical && row[a] == row[b];
        }
        c.wilcoxon_p_value = identical ? 1.0 : wilcoxon(sa, sb).p_value;  // no difference to rank: p = 1
        raw.push_back(c.wilcoxon_p_value);
        out.pairs.push_back(c);
      }
    }
    const std::vector<double> adjusted = p_adjust(raw, p_adjust_method::holm);
    for (std::size_t i = 0; i < out.pairs.size(); ++i) out.pairs[i].holm_p_value = adjusted[i];
    return out;
  }

 private:
  void check_metric(std::string_view metric) const {
    for (const auto& m : metrics_)
      if (m == metric) return;
    const std::string suggestion = detail::did_you_mean(metric, metrics_);
    throw invalid_parameter("no scores for the metric '" + std::string(metric) + "'" +
                                (suggestion.empty() ? "." : suggestion) + " Computed: " + detail::join(metrics_, 20),
                            "benchmark");
  }

  static std::size_t position(const std::vector<std::string>& names, const std::string& name) {
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) return i;
    return 0;  // unreachable: every row names a known pipeline and dataset
  }

  std::vector<std::string> pipelines_;
  std::vector<std::string> datasets_;
  std::vector<std::string> metrics_;
  results_table table_;
  double alpha_;
};

// benchmark_plan -- pipelines and datasets ready to run: benchmark(...).on(...) returns it.
template <class... Pipelines>
class benchmark_plan {
 public:
  benchmark_plan(std::tuple<named_item<Pipelines>...> pipelines, std::vector<detail::benchmark_dataset> datasets)
      : pipelines_(std::move(pipelines)), datasets_(std::move(datasets)) {}

  // Fits every pipeline on every split of every dataset (in parallel over all of them) and scores it.
  benchmark_result run(const benchmark_options& options = {}) const {
    constexpr std::size_t P = sizeof...(Pipelines);
    std::vector<std::string> names = pipeline_names();
    std::vector<std::string> dataset_names;
    for (const auto& d : datasets_) dataset_names.push_back(d.name);
    detail::check_unique_names("pipeline", names);
    detail::check_unique_names("dataset", dataset_names);
    if (!(options.alpha > 0.0 && options.alpha < 1.0))
      throw invalid_parameter("alpha = " + format_double(options.alpha) + " is out of range; expected 0 < alpha < 1",
                              "benchmark");
    resolve_n_jobs(options.n_jobs);
    // Every pipeline's scorers, checked against what it can predict, before anything is fitted.
    std::array<std::vector<scorer>, P> scorers;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((scorers[I] = resolve_for<I>(options.scoring, names[I])), ...);
    }(std::index_sequence_for<Pipelines...>{});
    const std::vector<std::string> metrics = detail::scorer_names_of(scorers[0]);
    for (std::size_t p = 1; p < P; ++p)
      if (detail::scorer_names_of(scorers[p]) != metrics)
        throw invalid_parameter("pipeline '" + names[p] + "' is scored by " +
                                    detail::join(detail::scorer_names_of(scorers[p]), 20) + " but pipeline '" +
                                    names[0] + "' by " + detail::join(metrics, 20) +
                                    "; expected the same scorers for all: name them with .scoring",
                                "benchmark");

    // The splits of each dataset, shared by all pipelines; a task gathers its split's rows when it starts.
    std::vector<std::vector<split>> splits(datasets_.size());
    std::vector<std::size_t> first_task(datasets_.size() + 1, 0);  // tasks of one pipeline, by dataset
    for (std::size_t d = 0; d < datasets_.size(); ++d) {
      const auto& data = datasets_[d];
      try {
        detail::check_target_rows({}, data.X, data.y);
        splits[d] = splits_of<0>(options.cv, data);
      } catch (error& e) {
        e.add_note("dataset '" + data.name + "'");
        throw;
      }
      first_task[d + 1] = first_task[d] + splits[d].size();
    }
    const std::size_t per_pipeline = first_task.back();

    using task_fn = detail::fold_outcome<int> (benchmark_plan::*)(const detail::fold_data&, const std::vector<scorer>&,
                                                                 std::size_t, std::size_t) const;
    static constexpr std::array<task_fn, P> run_on = []<std::size_t... I>(std::index_sequence<I...>) {
      return std::array<task_fn, P>{&benchmark_plan::run_one<I>...};
    }(std::index_sequence_for<Pipelines...>{});
    std::vector<detail::fold_outcome<int>> outcomes(P * per_pipeline);
    parallel_for(outcomes.size(), options.n_jobs, [&](std::size_t task) {
      const std::size_t p = task / per_pipeline;
      const std::size_t t = task % per_pipeline;
      std::size_t d = 0;
      while (first_task[d + 1] <= t) ++d;
      const std::size_t s = t - first_task[d];
      try {
        const detail::fold_data fold = detail::make_fold(datasets_[d].X, datasets_[d].y, splits[d][s]);
        outcomes[task] = (this->*run_on[p])(fold, scorers[p], s, splits[d].size());
      } catch (error& e) {
        e.add_note("pipeline '" + names[p] + "' on dataset '" + datasets_[d].name + "'");
        throw;
      }
    });

    std::vector<result_row> rows;
    rows.reserve(outcomes.size() * metrics.size());
    for (std::size_t p = 0; p < P; ++p)
      for (std::size_t d = 0; d < datasets_.size(); ++d)
        for (std::size_t s = 0; s < splits[d].size(); ++s) {
          const auto& o = outcomes[p * per_pipeline + first_task[d] + s];
          for (std::size_t m = 0; m < metrics.size(); ++m)
            rows.push_back({names[p], datasets_[d].name, static_cast<index>(s), metrics[m], o.test_scores[m],
                            o.fit_time, o.score_time, static_cast<index>(splits[d][s].train.size()),
                            static_cast<index>(splits[d][s].test.size())});
        }
    return benchmark_result(std::move(names), std::move(dataset_names), metrics, std::move(rows), options.alpha);
  }

 private:
  std::vector<std::string> pipeline_names() const {
    return std::apply([](const auto&... p) { return std::vector<std::string>{p.name...}; }, pipelines_);
  }

  template <std::size_t I>
  std::vector<scorer> resolve_for(const scoring_list& scoring, const std::string& name) const {
    try {
      return detail::resolve_scoring(std::get<I>(pipelines_).value, scoring);
    } catch (error& e) {
      e.add_note("pipeline '" + name + "'");
      throw;
    }
  }

  // The splits of a dataset: the splitter's, or the default for the first pipeline's kind (stratified for
  // classifiers).
  template <std::size_t I>
  std::vector<split> splits_of(const any_splitter& cv, const detail::benchmark_dataset& data) const {
    return detail::splits_or_default(std::get<I>(pipelines_).value, cv, data.X, data.y);
  }

  // Fits pipeline I on one fold and scores it; the fitted model is dropped (its type differs per pipeline).
  template <std::size_t I>
  detail::fold_outcome<int> run_one(const detail::fold_data& fold, const std::vector<scorer>& scorers,
                                    std::size_t split_index, std::size_t n_splits) const {
    auto outcome = detail::fit_and_score(std::get<I>(pipelines_).value, fold, scorers, false, split_index, n_splits);
    return {0, std::move(outcome.test_scores), {}, outcome.fit_time, outcome.score_time};
  }

  std::tuple<named_item<Pipelines>...> pipelines_;
  std::vector<detail::benchmark_dataset> datasets_;
};

// benchmark_builder -- what benchmark(pipelines...) returns; .on(datasets...) gives the plan to run.
template <class... Pipelines>
class benchmark_builder {
 public:
  explicit benchmark_builder(std::tuple<named_item<Pipelines>...> pipelines) : pipelines_(std::move(pipelines)) {}

  // The datasets to run on: named("iris", dataset) or named("mine", std::pair{X, y}).
  template <class... Datasets>
  benchmark_plan<Pipelines...> on(Datasets&&... datasets) const {
    static_assert(sizeof...(Datasets) >= 1, "mlpipe: benchmark(...).on(...) needs at least one named dataset");
    std::vector<detail::benchmark_dataset> held;
    (held.push_back(detail::as_benchmark_dataset(std::forward<Datasets>(datasets))), ...);
    return {pipelines_, std::move(held)};
  }

 private:
  std::tuple<named_item<Pipelines>...> pipelines_;
};

// benchmark(named("a", p1), named("b", p2), ...) -- a benchmark of pipelines of any types, each given a name:
// benchmark(...).on(named("iris", d1), ...).run({.cv, .scoring, .n_jobs}).
template <class... Pipelines>
benchmark_builder<Pipelines...> benchmark(named_item<Pipelines>... pipelines) {
  static_assert(sizeof...(Pipelines) >= 1, "mlpipe: benchmark(...) needs at least one named pipeline");
  static_assert((predictor<Pipelines> && ...),
                "mlpipe: benchmark(...) takes named pipelines that predict: named(\"name\", pipeline)");
  return benchmark_builder<Pipelines...>(std::tuple<named_item<Pipelines>...>{std::move(pipelines)...});
}

}  // namespace mlpipe
