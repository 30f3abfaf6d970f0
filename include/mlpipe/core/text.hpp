#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mlpipe::detail {

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
