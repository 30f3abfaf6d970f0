#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>  // std::generic_category

namespace mlpipe::detail {

// csv_field(text) -- a CSV field as RFC 4180 writes it: quoted, with quotes doubled, when it holds a comma, a quote
// or a line break. Every CSV mlpipe writes (search tables, benchmark results, stability reports) goes through it.
inline std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

// clipped(text, at_most) -- text as an error message quotes it: cut after at_most characters, saying how long it
// was ("abc... (5000084 characters)"). A bad cell or a file's value can be megabytes long.
inline std::string clipped(std::string_view text, std::size_t at_most) {
  if (text.size() <= at_most) return std::string(text);
  std::string out(text.substr(0, at_most));
  out += "... (";
  out += std::to_string(text.size());
  out += " characters)";
  return out;
}

// The text of an errno value, safe to call from several threads (std::strerror is not).
inline std::string errno_text(int code) { return std::generic_category().message(code); }

// join_formatted(items, format, ", ") -- format(item) for each item, with the separator between them: "a, b, c".
// Messages and tables join lists this way; appending piece by piece also keeps g++ 12 quiet at -O3 (it misreads
// `"a" + std::string&&` as overlapping copies, -Wrestrict).
template <class Range, class Format>
std::string join_formatted(const Range& items, Format&& format, std::string_view separator = ", ") {
  std::string out;
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += separator;
    first = false;
    out += format(item);
  }
  return out;
}

}  // namespace mlpipe::detail
