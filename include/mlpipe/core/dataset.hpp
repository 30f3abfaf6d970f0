#pragma once

#include <string>
#include <vector>

#include "mlpipe/core/types.hpp"

namespace mlpipe {

// dataset -- a feature matrix with its target and names, as read_csv returns it.
struct dataset {
  matrix X;                                // one row per sample, one column per feature
  vector y;                                // one target per row; empty when there is no target column
  std::vector<std::string> feature_names;  // X's column names, in order
  std::string target_name;                 // the target column's name; empty when there is none
};

}  // namespace mlpipe
