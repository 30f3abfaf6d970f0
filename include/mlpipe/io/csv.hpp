#pragma once

#include <charconv>     // std::from_chars
#include <cstring>      // std::strerror
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <istream>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/core/dataset.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/paths.hpp"  // did_you_mean, join
#include "mlpipe/core/types.hpp"

namespace mlpipe {

// csv_options -- how read_csv reads a file.
struct csv_options {
  std::string target;     // name of the target column (moved to y); empty: every column is a feature
  char delimiter = ',';   // field separator
  // Cells read as missing (NaN), besides the empty cell; compared after trimming spaces.
  std::vector<std::string> na_values = {"NA", "N/A", "NaN", "nan", "null", "NULL", "?"};
};

namespace detail {

struct csv_reader {
  std::istream& in;
  std::string source;
  const csv_options& options;
  long line_number = 0;

  [[noreturn]] void fail(const std::string& what) const {
    throw invalid_input(source + ": " + what, "read_csv");
  }

  // Splits one record into fields; handles quoted fields with "" escapes and CRLF line ends.
  bool next_record(std::vector<std::string>& fields) {
    std::string line;
    while (std::getline(in, line)) {
      ++line_number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank lines carry no record
      fields.clear();
      std::string field;
      bool quoted = false;
      const long first_line = line_number;
      for (std::size_t i = 0;; ++i) {
        if (i == line.size()) {
          if (!quoted) break;
          std::string more;  // a quoted field spans lines
          if (!std::getline(in, more)) {
            line_number = first_line;
            fail("line " + std::to_string(first_line) + ": a quoted field is not closed before the end of the file");
          }
          ++line_number;
          if (!more.empty() && more.back() == '\r') more.pop_back();
          field += '\n';
          line = more;
          i = static_cast<std::size_t>(-1);
          continue;
        }
        const char c = line[i];
        if (quoted) {
          if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            ++i;
          } else if (c == '"') {
            quoted = false;
          } else {
            field += c;
          }
        } else if (c == '"') {
          quoted = true;
        } else if (c == options.delimiter) {
          fields.push_back(std::move(field));
          field.clear();
        } else {
          field += c;
        }
      }
      fields.push_back(std::move(field));
      return true;
    }
    return false;
  }

  static std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t");
    return s.substr(first, last - first + 1);
  }

  double parse(std::string_view cell, std::size_t column, const std::vector<std::string>& names) const {
    const std::string_view text = trim(cell);
    if (text.empty()) return std::numeric_limits<double>::quiet_NaN();
    for (const auto& na : options.na_values)
      if (text == na) return std::numeric_limits<double>::quiet_NaN();
    std::string_view digits = text;
    if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);  // from_chars rejects a leading '+'
    double value = 0.0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec == std::errc::result_out_of_range) {
      fail("line " + std::to_string(line_number) + ", column " + std::to_string(column + 1) + " ('" + names[column] +
           "'): \"" + std::string(text) + "\" is out of the range of a double");
    }
    if (ec != std::errc{} || end != digits.data() + digits.size()) {
      fail("line " + std::to_string(line_number) + ", column " + std::to_string(column + 1) + " ('" + names[column] +
           "'): \"" + std::string(text) + "\" is not a number; expected a number, an empty cell or one of the "
           "missing-value markers (NA, nan, ...)");
    }
    return value;
  }

  dataset read() {
    std::vector<std::string> header;
    if (!next_record(header)) fail("the file is empty; expected a header row and data rows");
    for (auto& name : header) name = std::string(trim(name));
    for (std::size_t i = 0; i < header.size(); ++i)
      for (std::size_t j = i + 1; j < header.size(); ++j)
        if (header[i] == header[j] && !options.target.empty() && header[i] == options.target)
          fail("the header names the target column '" + options.target + "' twice (columns " + std::to_string(i + 1) +
               " and " + std::to_string(j + 1) + ")");

    std::size_t target_column = header.size();
    if (!options.target.empty()) {
      for (std::size_t i = 0; i < header.size(); ++i)
        if (header[i] == options.target) target_column = i;
      if (target_column == header.size()) {
        const std::string suggestion = did_you_mean(options.target, header);
        fail("no column is named '" + options.target + "' (the target)" + (suggestion.empty() ? "." : suggestion) +
             " Columns: " + join(header, 40));
      }
    }

    dataset out;
    out.target_name = options.target;
    for (std::size_t i = 0; i < header.size(); ++i)
      if (i != target_column) out.feature_names.push_back(header[i]);
    const auto n_features = static_cast<index>(out.feature_names.size());
    if (n_features == 0) fail("the file has no feature columns besides the target '" + options.target + "'");

    std::vector<double> values;  // row-major while reading; the row count is unknown until the end
    std::vector<double> targets;
    std::vector<std::string> fields;
    while (next_record(fields)) {
      if (fields.size() != header.size()) {
        fail("line " + std::to_string(line_number) + " has " + std::to_string(fields.size()) +
             " fields but the header has " + std::to_string(header.size()) + "; expected the same number on every row");
      }
      for (std::size_t i = 0; i < fields.size(); ++i) {
        const double v = parse(fields[i], i, header);
        if (i == target_column) targets.push_back(v);
        else values.push_back(v);
      }
    }
    const auto n_rows = static_cast<index>(values.size() / static_cast<std::size_t>(n_features));
    if (n_rows == 0) fail("the file has a header but no data rows");
    out.X = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
        values.data(), n_rows, n_features);
    if (target_column != header.size()) out.y = Eigen::Map<const vector>(targets.data(), n_rows);
    return out;
  }
};

}  // namespace detail

// read_csv(stream, options, name) -- reads CSV text with a header row; `name` is used in error messages.
inline dataset read_csv(std::istream& in, const csv_options& options = {}, std::string name = "<stream>") {
  detail::csv_reader reader{in, std::move(name), options};
  return reader.read();
}

// read_csv(path, {.target = "target"}) -- a dataset from a CSV file with a header row. Empty cells and the
// na_values read as NaN; errors name the file, the line, the column and the text that could not be read.
inline dataset read_csv(const std::filesystem::path& path, const csv_options& options = {}) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int code = errno;
    throw invalid_input("cannot open '" + path.string() + "': " + std::strerror(code), "read_csv");
  }
  return read_csv(in, options, path.string());
}

}  // namespace mlpipe
