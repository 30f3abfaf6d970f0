#pragma once

#include <charconv>     // std::from_chars
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <istream>
#include <limits>
#include <map>
#include <string>  // std::char_traits
#include <string_view>
#include <utility>      // std::move
#include <vector>

#include "mlpipe/core/dataset.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/text.hpp"
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

// At most about 80 characters of a cell or name for an error message; longer text is cut, its length said.
inline std::string cell_excerpt(std::string_view text) { return clipped(text, 80); }

// The power of ten of a decimal number's leading digit ("0.05" and "5e-2": -2; "12" and "0.12e2": 1; zero: 0), from
// text that from_chars read as a number. Tells an underflow from an overflow when the number is out of range.
inline long decimal_magnitude(std::string_view text) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  const auto is_digit = [&] { return i < text.size() && text[i] >= '0' && text[i] <= '9'; };
  bool nonzero = false;
  long magnitude = 0;
  for (; is_digit(); ++i) {
    if (nonzero) ++magnitude;
    else nonzero = text[i] != '0';
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    for (long zeros = 0; is_digit(); ++i) {
      if (nonzero) continue;
      if (text[i] == '0') {
        ++zeros;
      } else {
        nonzero = true;
        magnitude = -(zeros + 1);
      }
    }
  }
  if (!nonzero) return 0;
  long exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    const bool negative = i < text.size() && text[i] == '-';
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    for (; is_digit(); ++i)
      if (exponent < 100000000) exponent = exponent * 10 + (text[i] - '0');  // far past any double's range
    if (negative) exponent = -exponent;
  }
  return magnitude + exponent;
}

struct csv_reader {
  csv_reader(std::istream& stream, std::string name, const csv_options& opts)
      : in(stream), source(std::move(name)), options(opts) {}

  std::istream& in;
  std::string source;
  const csv_options& options;
  long line_number = 1;                           // the line the next character is on
  long record_line = 0;                           // the line the last record started on
  const std::vector<std::string>* names = nullptr;  // the header, once read
  std::string pending;                            // characters read ahead (a partial byte order mark)
  std::size_t pending_at = 0;

  static constexpr int end_of_file = std::char_traits<char>::eof();

  [[noreturn]] void fail(const std::string& what) const {
    throw invalid_input(source + ": " + what, "read_csv");
  }

  int get() {
    if (pending_at < pending.size()) return static_cast<unsigned char>(pending[pending_at++]);
    return in.rdbuf()->sbumpc();
  }
  int peek() {
    if (pending_at < pending.size()) return static_cast<unsigned char>(pending[pending_at]);
    return in.rdbuf()->sgetc();
  }

  // Skips a UTF-8 byte order mark at the start (spreadsheet programs write one), keeping any other bytes.
  void skip_byte_order_mark() {
    static constexpr unsigned char mark[] = {0xEF, 0xBB, 0xBF};
    for (const unsigned char byte : mark) {
      if (in.rdbuf()->sgetc() != byte) return;
      pending += static_cast<char>(in.rdbuf()->sbumpc());
    }
    pending.clear();
  }

  // "line 3, column 2 ('b')" -- where a cell is; the column's name once the header is read.
  std::string cell_place(std::size_t column) const {
    std::string out = "line " + std::to_string(record_line) + ", column " + std::to_string(column + 1);
    if (names != nullptr && column < names->size()) out += " ('" + cell_excerpt((*names)[column]) + "')";
    return out;
  }

  // The field that broke the quoting rules (its start in text, its rest still unread), cut as cell_excerpt cuts it.
  std::string field_excerpt(std::string text) {
    std::size_t length = text.size();
    for (;;) {
      const int c = peek();
      if (c == end_of_file || c == '\n' || c == '\r' || c == static_cast<unsigned char>(options.delimiter)) break;
      get();
      if (++length <= 81) text += static_cast<char>(c);
    }
    if (length <= 80) return text;
    text.resize(80);
    return text + "... (" + std::to_string(length) + " characters)";
  }

  // Reads one record into fields (RFC 4180: quoted fields with "" escapes may span lines; LF, CRLF and CR end a
  // line); lines of only spaces are skipped. False at the end of the input.
  bool next_record(std::vector<std::string>& fields) {
    for (;;) {
      if (peek() == end_of_file) return false;
      fields.clear();
      record_line = line_number;
      std::string field;
      bool was_quoted = false;  // the current field was quoted (and is closed: only spaces may follow)
      bool blank = true;        // the record so far is one unquoted field of spaces
      for (;;) {
        const int c = get();
        if (c == end_of_file || c == '\n' || c == '\r') {
          if (c == '\r' && peek() == '\n') get();
          if (c != end_of_file) ++line_number;
          break;
        }
        if (c == static_cast<unsigned char>(options.delimiter)) {
          fields.push_back(std::move(field));
          field.clear();
          was_quoted = false;
          blank = false;
          continue;
        }
        if (c != ' ' && c != '\t') blank = false;
        if (was_quoted) {
          if (c == ' ' || c == '\t') continue;
          const std::string text = field_excerpt("\"" + replace_quotes(field) + "\"" + static_cast<char>(c));
          fail(cell_place(fields.size()) + ": " + text + " has text after its closing quote; expected '" +
               std::string(1, options.delimiter) + "' or the end of the line after a closing quote (RFC 4180)");
        }
        if (c != '"') {
          field += static_cast<char>(c);
          continue;
        }
        if (field.find_first_not_of(" \t") != std::string::npos) {
          const std::string text = field_excerpt(field + '"');
          fail(cell_place(fields.size()) + ": the unquoted field " + text +
               " has a quote in it; expected quotes only around a whole field, with each quote inside it doubled "
               "(RFC 4180)");
        }
        read_quoted(field);
        was_quoted = true;
      }
      fields.push_back(std::move(field));
      if (!(blank && fields.size() == 1)) return true;
    }
  }

  // Reads a quoted field's text after its opening quote, through its closing quote; line ends inside it read as
  // '\n'.
  void read_quoted(std::string& field) {
    field.clear();
    const long first_line = line_number;
    for (;;) {
      const int c = get();
      if (c == end_of_file) {
        fail("line " + std::to_string(first_line) + ": a quoted field is not closed before the end of the file");
      }
      if (c == '"') {
        if (peek() != '"') return;
        get();
        field += '"';
      } else if (c == '\n' || c == '\r') {
        if (c == '\r' && peek() == '\n') get();
        ++line_number;
        field += '\n';
      } else {
        field += static_cast<char>(c);
      }
    }
  }

  static std::string replace_quotes(const std::string& text) {
    std::string out;
    for (const char c : text) {
      if (c == '"') out += '"';
      out += c;
    }
    return out;
  }

  static std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t");
    return s.substr(first, last - first + 1);
  }

  // A cell as a number: NaN for an empty cell or a missing-value marker; a number too small for a double reads as
  // 0 (as strtod and numpy read it), one too large is an error.
  double parse(std::string_view cell, std::size_t column) const {
    const std::string_view text = trim(cell);
    if (text.empty()) return std::numeric_limits<double>::quiet_NaN();
    for (const auto& na : options.na_values)
      if (text == na) return std::numeric_limits<double>::quiet_NaN();
    std::string_view digits = text;
    if (digits.size() > 1 && digits.front() == '+' && digits[1] != '-' && digits[1] != '+')
      digits.remove_prefix(1);  // from_chars rejects a leading '+'; "+-2" stays an error
    double value = 0.0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    const bool whole = end == digits.data() + digits.size();
    if (ec == std::errc::result_out_of_range && whole) {
      if (decimal_magnitude(digits) < 0) return digits.front() == '-' ? -0.0 : 0.0;  // underflow: rounds to zero
      fail(cell_place(column) + ": \"" + cell_excerpt(text) + "\" is out of the range of a double; expected a number "
           "of magnitude below 1.8e308");
    }
    if (ec != std::errc{} || !whole) {
      fail(cell_place(column) + ": \"" + cell_excerpt(text) + "\" is not a number; expected a number, an empty cell "
           "or one of the missing-value markers (NA, nan, ...)");
    }
    return value;
  }

  // Names must be distinct and non-empty, or columns could not be told apart (nor a target found).
  void check_header(const std::vector<std::string>& header) const {
    std::map<std::string_view, std::size_t> first_column;
    for (std::size_t j = 0; j < header.size(); ++j) {
      if (header[j].empty()) {
        fail("line " + std::to_string(record_line) + ": column " + std::to_string(j + 1) +
             " has an empty name; expected a name for every column");
      }
      const auto [it, added] = first_column.emplace(header[j], j);
      if (!added) {
        fail("line " + std::to_string(record_line) + ": columns " + std::to_string(it->second + 1) + " and " +
             std::to_string(j + 1) + " are both named '" + cell_excerpt(header[j]) +
             "'; expected a different name for each column");
      }
    }
  }

  dataset read() {
    skip_byte_order_mark();
    std::vector<std::string> header;
    if (!next_record(header)) fail("the file is empty; expected a header row and data rows");
    for (auto& name : header) name = std::string(trim(name));
    check_header(header);
    names = &header;

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
        fail("line " + std::to_string(record_line) + " has " + std::to_string(fields.size()) +
             " fields but the header has " + std::to_string(header.size()) + "; expected the same number on every row");
      }
      for (std::size_t i = 0; i < fields.size(); ++i) {
        const double v = parse(fields[i], i);
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
    throw invalid_input("cannot open '" + path.string() + "': " + detail::errno_text(code), "read_csv");
  }
  return read_csv(in, options, path.string());
}

}  // namespace mlpipe
