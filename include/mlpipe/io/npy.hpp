#pragma once

// read_npy -- datasets from NumPy's .npy files, read and checked by mlpipe itself (no xtensor needed). A .npy file is
// untrusted input: its magic, version, header, dtype, shape and size are checked against the file before anything is
// allocated, and each fault is an mlpipe::invalid_input naming the file and what was wrong.

#include <algorithm>    // std::min
#include <bit>          // std::endian
#include <charconv>     // std::from_chars
#include <cerrno>
#include <cmath>        // std::abs
#include <cstdint>
#include <cstring>      // std::memcpy
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>      // std::move
#include <vector>

#include "mlpipe/core/dataset.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/text.hpp"  // clipped, errno_text
#include "mlpipe/core/types.hpp"

namespace mlpipe {

// npy_target -- where read_npy finds the target: nowhere (every column is a feature), a column of the array, or a
// second .npy file holding one value per row.
class npy_target {
 public:
  // No target: every column is a feature and y stays empty.
  npy_target() = default;
  // The array's column `column` (0-based) is moved to y.
  npy_target(index column) : column_(column) {}
  // The array's column `column` (0-based) is moved to y.
  npy_target(int column) : column_(column) {}
  // y is read from a second .npy file: shape (rows,) or (rows, 1), as many rows as the features.
  npy_target(std::filesystem::path file) : file_(std::move(file)) {}
  // y is read from a second .npy file (its path).
  npy_target(const char* file) : file_(file) {}
  // y is read from a second .npy file (its path).
  npy_target(const std::string& file) : file_(file) {}

  // The target's column in the features array, if the target is a column.
  const std::optional<index>& column() const noexcept { return column_; }
  // The target's own file, if the target is a file (empty otherwise).
  const std::filesystem::path& file() const noexcept { return file_; }

 private:
  std::optional<index> column_;
  std::filesystem::path file_;
};

// npy_options -- how read_npy reads a file.
struct npy_options {
  npy_target target;  // a column (0-based) or a second .npy file moved to y; none by default
};

namespace detail {

// What a .npy header says about the array that follows it.
struct npy_header {
  enum class dtype { f8, f4, i8, i4 };
  dtype type = dtype::f8;
  std::string descr;                  // as written: "<f8"
  std::size_t item_size = 8;          // bytes per element
  bool fortran_order = false;         // column-major (true) or row-major (false) element order
  std::vector<std::uint64_t> shape;   // one extent per dimension; empty for a 0-d array
  std::uint64_t data_offset = 0;      // where the elements start in the file
  std::uint64_t count = 0;            // the number of elements (the shape's product)
};

// numpy's own limit on a header's length (numpy.lib.format's max_header_size): longer headers are refused unread.
inline constexpr std::uint64_t npy_max_header_size = 10000;

// "(3, 4)" -- a shape as numpy prints it.
inline std::string npy_shape_text(const std::vector<std::uint64_t>& shape) {
  std::string out = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + (shape.size() == 1 ? ",)" : ")");
}

// One .npy file being read: its name for errors, the stream and its length.
class npy_reader {
 public:
  explicit npy_reader(const std::filesystem::path& path) : name_(path.string()), in_(path, std::ios::binary) {
    if (!in_) {
      const int code = errno;
      throw invalid_input("cannot open '" + name_ + "': " + errno_text(code), "read_npy");
    }
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) fail("cannot read its size: " + ec.message());
    file_size_ = size;
  }

  [[noreturn]] void fail(const std::string& what) const { throw invalid_input(name_ + ": " + what, "read_npy"); }

  const std::string& name() const noexcept { return name_; }

  // Reads and checks the magic string, the version, the header and the size of the data against the file.
  npy_header read_header() {
    static constexpr unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    unsigned char prefix[8] = {};
    if (file_size_ < 8 || !read_bytes(prefix, 8)) {
      fail("the file has " + std::to_string(file_size_) + " bytes, too few for a .npy header; expected at least 10");
    }
    if (std::memcmp(prefix, magic, 6) != 0) {
      fail("it does not start with the .npy magic string \\x93NUMPY; expected a file written by numpy.save");
    }
    const int major = prefix[6];
    const int minor = prefix[7];
    if (!((major == 1 || major == 2 || major == 3) && minor == 0)) {
      fail("format version " + std::to_string(major) + "." + std::to_string(minor) +
           " is not supported; expected 1.0, 2.0 or 3.0");
    }
    const std::size_t length_bytes = major == 1 ? 2 : 4;
    unsigned char length_le[4] = {};
    if (!read_bytes(length_le, length_bytes)) fail("the file ends inside the header's length field");
    std::uint64_t header_length = 0;
    for (std::size_t i = length_bytes; i-- > 0;) header_length = header_length << 8 | length_le[i];
    npy_header header;
    header.data_offset = 8 + length_bytes + header_length;
    if (header_length > npy_max_header_size) {
      fail("the header is " + std::to_string(header_length) + " bytes long; expected at most " +
           std::to_string(npy_max_header_size) + " (numpy's limit)");
    }
    if (header.data_offset > file_size_) {
      fail("the header says it is " + std::to_string(header_length) + " bytes long but the file has only " +
           std::to_string(file_size_ - 8 - length_bytes) + " bytes after the header's length; the file is truncated");
    }
    std::string text(static_cast<std::size_t>(header_length), '\0');
    if (!read_bytes(text.data(), text.size())) fail("cannot read the header");
    parse_header(text, major, header);

    if (header.shape.size() > 32) {  // numpy's NPY_MAXDIMS
      fail("the shape has " + std::to_string(header.shape.size()) + " dimensions; expected at most 32");
    }
    std::uint64_t count = 1;
    for (const std::uint64_t extent : header.shape) {
      if (extent != 0 && count > std::numeric_limits<std::uint64_t>::max() / extent) {
        fail("the shape " + npy_shape_text(header.shape) + " has more elements than 2^64; the header is corrupt");
      }
      count *= extent;
    }
    header.count = count;
    const std::uint64_t available = file_size_ - header.data_offset;
    if (count > available / header.item_size) {
      fail("the shape " + npy_shape_text(header.shape) + " of " + header.descr + " needs " +
           (count > std::numeric_limits<std::uint64_t>::max() / header.item_size
                ? std::string("more than 2^64")
                : std::to_string(count * header.item_size)) +
           " bytes of data but the file has " + std::to_string(available) + " after the header; the file is truncated");
    }
    if (count * header.item_size != available) {
      fail("the file has " + std::to_string(available - count * header.item_size) + " bytes after the " +
           std::to_string(count) + " elements of shape " + npy_shape_text(header.shape) +
           "; expected the data to end the file");
    }
    return header;
  }

  // Reads `count` elements of the header's dtype, in file order, and hands each to sink(k, value) as a double.
  // Integers beyond 2^53 in magnitude have no exact double: refused, naming the element through where(k).
  template <class Sink, class Where>
  void read_elements(const npy_header& header, std::uint64_t count, Sink&& sink, Where&& where) {
    constexpr std::uint64_t chunk_elements = 8192;
    buffer_.resize(static_cast<std::size_t>(std::min(count, chunk_elements) * header.item_size));
    for (std::uint64_t done = 0; done < count;) {
      const std::uint64_t n = std::min(count - done, chunk_elements);
      if (!read_bytes(buffer_.data(), static_cast<std::size_t>(n * header.item_size))) fail("cannot read the data");
      const unsigned char* p = buffer_.data();
      for (std::uint64_t i = 0; i < n; ++i, p += header.item_size) {
        const std::uint64_t k = done + i;
        switch (header.type) {
          case npy_header::dtype::f8: sink(k, little_endian<double>(p)); break;
          case npy_header::dtype::f4: sink(k, static_cast<double>(little_endian<float>(p))); break;
          case npy_header::dtype::i8: sink(k, exact_double(little_endian<std::int64_t>(p), k, where)); break;
          case npy_header::dtype::i4: sink(k, static_cast<double>(little_endian<std::int32_t>(p))); break;
        }
      }
      done += n;
    }
  }

  // Reads `count` float64 elements straight into memory the caller owns (no staging copy) on a little-endian machine.
  template <class Where>
  void read_doubles_into(const npy_header& header, double* out, std::uint64_t count, Where&& where) {
    if (header.type == npy_header::dtype::f8 && std::endian::native == std::endian::little) {
      if (!read_bytes(out, static_cast<std::size_t>(count * 8))) fail("cannot read the data");
      return;
    }
    read_elements(header, count, [out](std::uint64_t k, double v) { out[k] = v; }, where);
  }

 private:
  bool read_bytes(void* out, std::size_t n) {
    in_.read(static_cast<char*>(out), static_cast<std::streamsize>(n));
    return static_cast<std::size_t>(in_.gcount()) == n;
  }

  template <class T>
  static T little_endian(const unsigned char* p) {
    unsigned char bytes[sizeof(T)];
    for (std::size_t i = 0; i < sizeof(T); ++i)
      bytes[i] = std::endian::native == std::endian::little ? p[i] : p[sizeof(T) - 1 - i];
    T value;
    std::memcpy(&value, bytes, sizeof(T));
    return value;
  }

  template <class Where>
  double exact_double(std::int64_t v, std::uint64_t k, Where& where) const {
    constexpr std::int64_t limit = std::int64_t{1} << 53;
    if (v > limit || v < -limit) {
      fail(where(k) + ": the integer " + std::to_string(v) +
           " has no exact double; expected integers of magnitude at most 2^53 (9007199254740992)");
    }
    return static_cast<double>(v);
  }

  // The header is a Python dict literal: {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }, then spaces
  // and a newline. Its keys may come in any order; each must be there once; nothing else may be.
  void parse_header(std::string_view text, int major, npy_header& header) const {
    if (major < 3) {
      for (const char c : text) {
        if (static_cast<unsigned char>(c) > 0x7F) fail("the header has a non-ASCII byte; expected ASCII (version " +
                                                       std::to_string(major) + ".0)");
      }
    }
    std::size_t at = 0;
    const auto bad = [&](const std::string& what) -> void {
      fail("the header " + quoted(text) + " is not a valid .npy header: " + what);
    };
    const auto skip_spaces = [&] {
      while (at < text.size() && (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r')) ++at;
    };
    const auto expect = [&](char c, const char* what) {
      skip_spaces();
      if (at >= text.size() || text[at] != c) bad(std::string("expected ") + what + " at byte " + std::to_string(at));
      ++at;
    };
    const auto string_literal = [&]() -> std::string {
      skip_spaces();
      if (at >= text.size() || (text[at] != '\'' && text[at] != '"')) {
        bad("expected a quoted string at byte " + std::to_string(at));
      }
      const char quote = text[at++];
      const std::size_t end = text.find(quote, at);
      if (end == std::string_view::npos) bad("a string is not closed");
      std::string out(text.substr(at, end - at));
      at = end + 1;
      return out;
    };

    if (text.empty() || text.back() != '\n') bad("it does not end with a newline");
    bool seen_descr = false, seen_order = false, seen_shape = false;
    expect('{', "'{'");
    for (;;) {
      skip_spaces();
      if (at < text.size() && text[at] == '}') {
        ++at;
        break;
      }
      const std::string key = string_literal();
      expect(':', "':' after a key");
      skip_spaces();
      if (key == "descr") {
        if (seen_descr) bad("the key 'descr' is given twice");
        seen_descr = true;
        if (at < text.size() && text[at] == '[') {
          fail("descr is a list of fields (a structured array); expected one of '<f8', '<f4', '<i8', '<i4'");
        }
        header.descr = string_literal();
        set_dtype(header);
      } else if (key == "fortran_order") {
        if (seen_order) bad("the key 'fortran_order' is given twice");
        seen_order = true;
        if (text.substr(at, 4) == "True") {
          header.fortran_order = true;
          at += 4;
        } else if (text.substr(at, 5) == "False") {
          header.fortran_order = false;
          at += 5;
        } else {
          bad("fortran_order is neither True nor False");
        }
      } else if (key == "shape") {
        if (seen_shape) bad("the key 'shape' is given twice");
        seen_shape = true;
        expect('(', "'(' to open the shape");
        for (;;) {
          skip_spaces();
          if (at < text.size() && text[at] == ')') {
            ++at;
            break;
          }
          std::uint64_t extent = 0;
          const auto [end, ec] = std::from_chars(text.data() + at, text.data() + text.size(), extent);
          if (ec == std::errc::result_out_of_range) bad("an extent of the shape is larger than 2^64");
          if (ec != std::errc{}) bad("expected a non-negative integer in the shape at byte " + std::to_string(at));
          at = static_cast<std::size_t>(end - text.data());
          header.shape.push_back(extent);
          if (header.shape.size() > 64) bad("the shape has more than 64 dimensions");
          skip_spaces();
          if (at < text.size() && text[at] == ',') ++at;
          else if (at >= text.size() || text[at] != ')')
            bad("expected ',' or ')' in the shape at byte " + std::to_string(at));
        }
      } else {
        bad("unknown key '" + clipped(key, 40) + "'; expected only 'descr', 'fortran_order' and 'shape'");
      }
      skip_spaces();
      if (at < text.size() && text[at] == ',') ++at;
      else if (at >= text.size() || text[at] != '}') bad("expected ',' or '}' at byte " + std::to_string(at));
    }
    skip_spaces();
    if (at != text.size()) bad("text follows the closing '}'");
    if (!seen_descr) bad("the key 'descr' is missing");
    if (!seen_order) bad("the key 'fortran_order' is missing");
    if (!seen_shape) bad("the key 'shape' is missing");
  }

  void set_dtype(npy_header& header) const {
    const std::string& d = header.descr;
    if (d == "<f8") header.type = npy_header::dtype::f8, header.item_size = 8;
    else if (d == "<f4") header.type = npy_header::dtype::f4, header.item_size = 4;
    else if (d == "<i8") header.type = npy_header::dtype::i8, header.item_size = 8;
    else if (d == "<i4") header.type = npy_header::dtype::i4, header.item_size = 4;
    else if (d.size() == 3 && d[0] == '>' && (d.substr(1) == "f8" || d.substr(1) == "f4" || d.substr(1) == "i8" ||
                                               d.substr(1) == "i4")) {
      fail("the dtype '" + d + "' is big-endian; expected little-endian ('<" + d.substr(1) +
           "'): save it with arr.astype('<" + d.substr(1) + "')");
    } else {
      fail("the dtype '" + clipped(d, 40) + "' is not supported; expected '<f8' (float64), '<f4', '<i8' or '<i4'");
    }
  }

  static std::string quoted(std::string_view text) {
    std::string shown;
    for (const char c : text.substr(0, 120)) shown += c == '\n' ? std::string("\\n") : std::string(1, c);
    return "\"" + shown + (text.size() > 120 ? "...\"" : "\"");
  }

  std::string name_;
  std::ifstream in_;
  std::uint64_t file_size_ = 0;
  std::vector<unsigned char> buffer_;
};

// The target read from its own file: shape (rows,) or (rows, 1).
inline vector read_npy_target(const std::filesystem::path& path, index rows) {
  npy_reader reader(path);
  const npy_header header = reader.read_header();
  const bool column = header.shape.size() == 2 && header.shape[1] == 1;
  if (header.shape.size() != 1 && !column) {
    reader.fail("the target has shape " + npy_shape_text(header.shape) + "; expected (" + std::to_string(rows) +
                ",) or (" + std::to_string(rows) + ", 1)");
  }
  if (header.shape[0] != static_cast<std::uint64_t>(rows)) {
    reader.fail("the target has " + std::to_string(header.shape[0]) + " rows but the features have " +
                std::to_string(rows) + "; expected one target per row");
  }
  vector y(rows);
  reader.read_doubles_into(header, y.data(), header.count,
                           [](std::uint64_t k) { return "row " + std::to_string(k); });
  return y;
}

}  // namespace detail

// read_npy(path, {.target = 4 or "y.npy"}) -- a dataset from a 2-D .npy file (rows x features) as numpy.save writes
// it: versions 1.0, 2.0 and 3.0; dtype float64, and float32, int64 or int32 converted to double; C or Fortran
// order. The values are read straight into the dataset's matrix (a Fortran-ordered float64 file with one read, no
// staging copy). Features are named x0, x1, ... after their column in the file. NaN and infinities are read as
// they are, as read_csv reads missing cells: a stage's fit reports them. Errors name the file and what was wrong.
inline dataset read_npy(const std::filesystem::path& path, const npy_options& options = {}) {
  detail::npy_reader reader(path);
  const detail::npy_header header = reader.read_header();
  if (header.shape.size() != 2) {
    reader.fail("the array has shape " + detail::npy_shape_text(header.shape) + " (" +
                std::to_string(header.shape.size()) + " dimensions); expected a 2-D array (rows x features)" +
                (header.shape.size() == 1 ? ": reshape it with X.reshape(-1, 1) for a single feature" : ""));
  }
  const auto rows = static_cast<index>(header.shape[0]);
  const auto cols = static_cast<index>(header.shape[1]);
  if (rows == 0) reader.fail("the array has shape " + detail::npy_shape_text(header.shape) + ": no rows");
  if (cols == 0) reader.fail("the array has shape " + detail::npy_shape_text(header.shape) + ": no columns");

  const std::optional<index>& target = options.target.column();
  if (target && (*target < 0 || *target >= cols)) {
    reader.fail("the target column " + std::to_string(*target) + " is out of range; expected 0 to " +
                std::to_string(cols - 1) + " (the array has " + std::to_string(cols) + " columns)");
  }
  if (target && cols == 1) {
    reader.fail("the target column 0 is the only column; expected at least one feature besides the target");
  }

  dataset out;
  const index n_features = target ? cols - 1 : cols;
  out.X.resize(rows, n_features);
  if (target) out.y.resize(rows);
  for (index c = 0; c < cols; ++c) {
    if (target && c == *target) out.target_name = "x" + std::to_string(c);
    else out.feature_names.push_back("x" + std::to_string(c));
  }
  // Column c of the file: a column of X, or y.
  const auto column_of = [&](index c) -> double* {
    if (target && c == *target) return out.y.data();
    return out.X.col(target && c > *target ? c - 1 : c).data();
  };
  const auto where = [&](std::uint64_t row, std::uint64_t col) {
    return "row " + std::to_string(row) + ", column " + std::to_string(col);
  };
  if (header.fortran_order) {  // column after column: each straight into its place
    for (index c = 0; c < cols; ++c) {
      reader.read_doubles_into(header, column_of(c), static_cast<std::uint64_t>(rows), [&](std::uint64_t k) {
        return where(k, static_cast<std::uint64_t>(c));
      });
    }
  } else {  // row after row: a small buffer at a time, scattered into the columns
    const auto ucols = static_cast<std::uint64_t>(cols);
    reader.read_elements(
        header, header.count,
        [&](std::uint64_t k, double v) {
          const auto c = static_cast<index>(k % ucols);
          const auto r = static_cast<index>(k / ucols);
          if (target && c == *target) out.y(r) = v;
          else out.X(r, target && c > *target ? c - 1 : c) = v;
        },
        [&](std::uint64_t k) { return where(k / ucols, k % ucols); });
  }
  if (!options.target.file().empty()) {
    if (target) reader.fail("the target is both a column and a file");  // unreachable through npy_target
    out.y = detail::read_npy_target(options.target.file(), rows);
    out.target_name = options.target.file().stem().string();
  }
  return out;
}

}  // namespace mlpipe
