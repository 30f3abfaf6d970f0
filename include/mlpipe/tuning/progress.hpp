#pragma once

#include <cmath>        // std::isfinite, std::isnan
#include <cstdio>       // std::fprintf, stderr
#include <functional>   // std::function
#include <string>

#include <unistd.h>     // isatty

#include "mlpipe/core/param_value.hpp"  // format_double

namespace mlpipe {

// search_progress -- where a search stands, handed to its on_progress callback after each finished task.
struct search_progress {
  std::size_t tasks_done = 0;    // (candidate, split) evaluations finished, those read back from a journal included
  std::size_t tasks_total = 0;   // how many the search will run in all (known in advance for every strategy)
  double best_score = 0.0;       // the best mean test score of a candidate evaluated on every split so far; NaN: none
  double elapsed = 0.0;          // seconds since the search started
  double remaining = 0.0;        // estimated seconds left (elapsed per task run so far times the tasks left); NaN: unknown
};

// progress_callback -- called by a search after each finished task, one call at a time. If it throws, the search
// starts no more tasks, lets the running ones finish (journaling them), and throws an mlpipe::error naming it.
using progress_callback = std::function<void(const search_progress&)>;

namespace detail {

// "1:05" for 65 seconds, "?" when unknown.
inline std::string clock_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0.0) return "?";
  const auto s = static_cast<long>(seconds + 0.5);
  const std::string sec = std::to_string(s % 60);
  return std::to_string(s / 60) + ":" + (sec.size() < 2 ? "0" + sec : sec);
}

// The bar progress_bar draws: "[#######             ] 14/40 tasks, best 0.9512, 0:03 elapsed, ~0:07 left".
inline std::string progress_line(const search_progress& p, int width = 20) {
  const double fraction = p.tasks_total > 0 ? static_cast<double>(p.tasks_done) / static_cast<double>(p.tasks_total) : 1.0;
  const int filled = static_cast<int>(fraction * width);
  std::string out = "[" + std::string(static_cast<std::size_t>(filled), '#') +
                    std::string(static_cast<std::size_t>(width - filled), ' ') + "] " + std::to_string(p.tasks_done) +
                    "/" + std::to_string(p.tasks_total) + " tasks";
  if (!std::isnan(p.best_score)) out += ", best " + format_double(p.best_score);
  out += ", " + clock_text(p.elapsed) + " elapsed, ~" + clock_text(p.remaining) + " left";
  return out;
}

}  // namespace detail

// progress_bar() -- an on_progress callback drawing a one-line bar on stderr, redrawn in place, when stderr is a
// terminal (nothing otherwise: logs and pipes stay clean); a line break when the last task is done.
inline progress_callback progress_bar() {
  const bool terminal = isatty(2) != 0;
  return [terminal](const search_progress& p) {
    if (!terminal) return;
    std::fprintf(stderr, "\r%s\033[K%s", detail::progress_line(p).c_str(), p.tasks_done >= p.tasks_total ? "\n" : "");
    std::fflush(stderr);
  };
}

}  // namespace mlpipe
