#pragma once

#include <cerrno>
#include <charconv>     // std::from_chars
#include <cmath>        // std::isnan
#include <cstdint>
#include <cstring>      // std::memcpy, std::strerror
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <fcntl.h>      // open
#include <unistd.h>     // write, fsync, close, ftruncate

#include "mlpipe/core/error.hpp"
#include "mlpipe/core/param_value.hpp"  // format_double
#include "mlpipe/core/types.hpp"

// A search journal: a JSON-lines file holding one line per finished (candidate, split) task, appended and fsynced as
// each task ends, so that a search killed part-way resumes where it stopped. Its first line names the search:
//   {"mlpipe_journal": 1, "kind": "random_search", "search": "<hex>", "data": "<hex>", "seed": 0}
// ("search": a fingerprint of the spec's parameters, the space or grid, the strategy's options, the splits and the
// scorers; "data": of X and y, checked first, as other data also makes other splits). Each further line is one task:
//   {"round": 0, "candidate": 3, "split": 1, "test": [0.95], "train": [], "fit_time": 0.01, "score_time": 0.001}
// (round: a halving iteration, a Hyperband bracket's rung, a batch of trials; numbers written to round-trip, NaN as
// null). A last line without its line break (a write cut short by kill -9) is ignored and cut off.

namespace mlpipe::detail {

// 64-bit FNV-1a, for fingerprints.
class fingerprint {
 public:
  fingerprint& add(std::string_view text) {
    for (const char c : text) mix(static_cast<unsigned char>(c));
    mix(0xff);  // a separator, so that "ab" + "c" differs from "a" + "bc"
    return *this;
  }
  fingerprint& add(double x) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &x, sizeof bits);
    for (int i = 0; i < 8; ++i) mix(static_cast<unsigned char>(bits >> (8 * i)));
    return *this;
  }
  fingerprint& add(const matrix_view& X) {
    add(static_cast<double>(X.rows())).add(static_cast<double>(X.cols()));
    for (index j = 0; j < X.cols(); ++j)
      for (index i = 0; i < X.rows(); ++i) add(X(i, j));
    return *this;
  }
  fingerprint& add(const vector_view& y) {
    add(static_cast<double>(y.size()));
    for (index i = 0; i < y.size(); ++i) add(y(i));
    return *this;
  }
  std::uint64_t value() const { return hash_; }
  std::string hex() const {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 0; i < 16; ++i) out[static_cast<std::size_t>(15 - i)] = digits[(hash_ >> (4 * i)) & 15];
    return out;
  }

 private:
  void mix(unsigned char byte) {
    hash_ ^= byte;
    hash_ *= 1099511628211ULL;
  }
  std::uint64_t hash_ = 14695981039346656037ULL;
};

// One task's results as the journal keeps them.
struct journal_record {
  std::vector<double> test;
  std::vector<double> train;
  double fit_time = 0.0;
  double score_time = 0.0;
};

// Who wrote a journal: its header line's fields.
struct journal_identity {
  std::string kind;
  std::string search;  // hex fingerprints
  std::string data;
  std::int64_t seed = 0;
};

class search_journal {
 public:
  // Opens the journal at path, reading the tasks it holds; creates it with its header when it does not exist.
  // Throws an invalid_parameter error (for kind) when it is another search's or corrupt.
  search_journal(std::string path, journal_identity identity) : path_(std::move(path)), identity_(std::move(identity)) {
    std::string valid;  // the file up to its last complete line
    {
      std::ifstream in(path_, std::ios::binary);
      if (in) {
        std::ostringstream text;
        text << in.rdbuf();
        valid = read(text.str());
      }
    }
    const bool fresh = valid.empty();
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT, 0644);
    if (fd_ < 0) fail("cannot be opened for writing: " + std::string(std::strerror(errno)));
    if (::ftruncate(fd_, static_cast<off_t>(valid.size())) != 0 || ::lseek(fd_, 0, SEEK_END) < 0)
      fail("cannot be written: " + std::string(std::strerror(errno)));
    if (fresh) {
      append("{\"mlpipe_journal\": 1, \"kind\": \"" + identity_.kind + "\", \"search\": \"" + identity_.search +
             "\", \"data\": \"" + identity_.data + "\", \"seed\": " + std::to_string(identity_.seed) + "}\n");
    }
  }
  search_journal(const search_journal&) = delete;
  search_journal& operator=(const search_journal&) = delete;
  ~search_journal() {
    if (fd_ >= 0) ::close(fd_);
  }

  const std::string& path() const { return path_; }
  // How many task records the file held when opened.
  std::size_t size() const { return records_.size(); }

  // The task's record, if the journal holds it.
  const journal_record* find(std::size_t round, std::size_t candidate, std::size_t split) const {
    const auto it = records_.find({round, candidate, split});
    return it == records_.end() ? nullptr : &it->second;
  }

  // One task's line.
  static std::string record_line(std::size_t round, std::size_t candidate, std::size_t split, const journal_record& r) {
    return "{\"round\": " + std::to_string(round) + ", \"candidate\": " + std::to_string(candidate) +
           ", \"split\": " + std::to_string(split) + ", \"test\": " + numbers(r.test) + ", \"train\": " +
           numbers(r.train) + ", \"fit_time\": " + number(r.fit_time) + ", \"score_time\": " + number(r.score_time) +
           "}\n";
  }

  // Appends lines with one write and fsyncs them (threads may call it at once).
  void append(const std::string& lines) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::size_t written = 0;
    while (written < lines.size()) {
      const ssize_t n = ::write(fd_, lines.data() + written, lines.size() - written);
      if (n < 0) {
        if (errno == EINTR) continue;
        fail("cannot be written: " + std::string(std::strerror(errno)));
      }
      written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd_) != 0) fail("cannot be synced to disk: " + std::string(std::strerror(errno)));
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw invalid_parameter("journal '" + path_ + "' " + what, identity_.kind);
  }

  static std::string number(double x) { return std::isnan(x) ? std::string("null") : format_double(x); }
  static std::string numbers(const std::vector<double>& xs) {
    std::string out = "[";
    for (std::size_t i = 0; i < xs.size(); ++i) out += (i ? ", " : "") + number(xs[i]);
    return out + "]";
  }

  // The text after "key": in line, or npos.
  static std::size_t after_key(std::string_view line, std::string_view key) {
    const std::string quoted = "\"" + std::string(key) + "\": ";
    const std::size_t at = line.find(quoted);
    return at == std::string_view::npos ? at : at + quoted.size();
  }
  static bool read_number(std::string_view line, std::size_t& at, double& out) {
    if (line.substr(at, 4) == "null") {
      out = std::numeric_limits<double>::quiet_NaN();
      at += 4;
      return true;
    }
    const auto [end, ec] = std::from_chars(line.data() + at, line.data() + line.size(), out);
    if (ec != std::errc{}) return false;
    at = static_cast<std::size_t>(end - line.data());
    return true;
  }
  static bool read_field(std::string_view line, std::string_view key, double& out) {
    std::size_t at = after_key(line, key);
    return at != std::string_view::npos && read_number(line, at, out);
  }
  static bool read_list(std::string_view line, std::string_view key, std::vector<double>& out) {
    std::size_t at = after_key(line, key);
    if (at == std::string_view::npos || at >= line.size() || line[at] != '[') return false;
    ++at;
    while (at < line.size() && line[at] != ']') {
      double x = 0.0;
      if (!read_number(line, at, x)) return false;
      out.push_back(x);
      if (line.substr(at, 2) == ", ") at += 2;
    }
    return at < line.size();
  }
  static bool read_string(std::string_view line, std::string_view key, std::string& out) {
    std::size_t at = after_key(line, key);
    if (at == std::string_view::npos || at >= line.size() || line[at] != '"') return false;
    const std::size_t end = line.find('"', at + 1);
    if (end == std::string_view::npos) return false;
    out = std::string(line.substr(at + 1, end - at - 1));
    return true;
  }
  static bool read_index(std::string_view line, std::string_view key, std::size_t& out) {
    double x = 0.0;
    if (!read_field(line, key, x) || !(x >= 0.0) || x > 1e15 || x != static_cast<double>(static_cast<std::size_t>(x)))
      return false;
    out = static_cast<std::size_t>(x);
    return true;
  }

  // Reads the file's text: checks its header against this search's, loads its records, and returns the text up to
  // its last complete line.
  std::string read(const std::string& text) {
    std::size_t start = 0;
    std::size_t line_number = 0;
    while (start < text.size()) {
      const std::size_t end = text.find('\n', start);
      if (end == std::string::npos) break;  // a torn last line: ignored, and cut off when the file is reopened
      const std::string_view line(text.data() + start, end - start);
      ++line_number;
      if (line_number == 1) check_header(line);
      else load_record(line, line_number);
      start = end + 1;
    }
    return text.substr(0, start);
  }

  void check_header(std::string_view line) const {
    journal_identity theirs;
    double seed = 0.0;
    double version = 0.0;
    if (!read_field(line, "mlpipe_journal", version) || version != 1.0 || !read_string(line, "kind", theirs.kind) ||
        !read_string(line, "search", theirs.search) || !read_string(line, "data", theirs.data) ||
        !read_field(line, "seed", seed)) {
      fail("is not a search journal: its first line is not {\"mlpipe_journal\": 1, \"kind\": ..., \"search\": ..., "
           "\"data\": ..., \"seed\": ...}; remove it or choose another path");
    }
    const std::string advice = "; remove it or choose another path to start afresh";
    if (theirs.kind != identity_.kind)
      fail("was written by a " + theirs.kind + ", not by this " + identity_.kind + advice);
    if (theirs.data != identity_.data)
      fail("was written for other data (data fingerprint " + theirs.data + ", this data's " + identity_.data + ")" +
           advice);
    if (theirs.search != identity_.search)
      fail("was written by another search: its spec, space, splits or options differ (search fingerprint " +
           theirs.search + ", this search's " + identity_.search + ")" + advice);
    if (seed != static_cast<double>(identity_.seed))
      fail("was written with seed = " + format_double(seed) + ", this search's is " + std::to_string(identity_.seed) +
           advice);
  }

  void load_record(std::string_view line, std::size_t line_number) {
    std::size_t round = 0, candidate = 0, split = 0;
    journal_record r;
    if (!read_index(line, "round", round) || !read_index(line, "candidate", candidate) ||
        !read_index(line, "split", split) || !read_list(line, "test", r.test) || !read_list(line, "train", r.train) ||
        !read_field(line, "fit_time", r.fit_time) || !read_field(line, "score_time", r.score_time) ||
        !(r.fit_time >= 0.0) || !(r.score_time >= 0.0) || r.test.empty()) {
      fail("line " + std::to_string(line_number) + " is corrupt: expected a task {\"round\", \"candidate\", \"split\", "
           "\"test\", \"train\", \"fit_time\", \"score_time\"}; remove the file to start afresh");
    }
    records_[{round, candidate, split}] = std::move(r);  // a task run twice (a torn group): the same values
  }

  std::string path_;
  journal_identity identity_;
  int fd_ = -1;
  std::mutex mutex_;
  std::map<std::tuple<std::size_t, std::size_t, std::size_t>, journal_record> records_;
};

}  // namespace mlpipe::detail
