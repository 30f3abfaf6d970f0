#pragma once

// Class labels as classifiers read them: the sorted distinct labels of y and each row's index among them.

#include <algorithm>    // std::lower_bound
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/core/check.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/order.hpp"        // sorted_distinct
#include "mlpipe/core/param_value.hpp"  // format_double
#include "mlpipe/core/types.hpp"

namespace mlpipe::detail {

// label_codes -- a classification target encoded: the classes (ascending) and each row's class index.
struct label_codes {
  vector classes;
  std::vector<index> codes;
};

// Checks y as class labels (finite, at least two classes) and encodes it; `kind` names the stage in errors.
inline label_codes encode_class_labels(std::string_view kind, const vector_view& y) {
  check_class_labels(kind, y);
  const std::vector<double> values = sorted_distinct(y);
  if (values.size() < 2) {
    throw invalid_input("y has a single class (" + format_double(values[0]) + "); expected at least two classes",
                        kind);
  }
  label_codes out{Eigen::Map<const vector>(values.data(), static_cast<index>(values.size())),
                  std::vector<index>(static_cast<std::size_t>(y.size()))};
  for (index i = 0; i < y.size(); ++i)
    out.codes[static_cast<std::size_t>(i)] = std::lower_bound(values.begin(), values.end(), y(i)) - values.begin();
  return out;
}

}  // namespace mlpipe::detail
