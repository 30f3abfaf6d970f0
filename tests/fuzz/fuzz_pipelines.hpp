#pragma once

// The fitted pipelines the load fuzzer reads, shared by the fuzz target and the seed generator so that their
// signatures agree.

#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/feature_selection/select_k_best.hpp"
#include "mlpipe/feature_selection/variance_threshold.hpp"
#include "mlpipe/models/logistic_regression.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/min_max_scaler.hpp"
#include "mlpipe/preprocessing/simple_imputer.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"

namespace mlpipe::fuzz {

// scale -> select -> logistic regression: a classifier (predict, predict_proba and their one-row forms).
inline auto classifier_spec() {
  return step<"scale">(standard_scaler{}) | step<"select">(select_k_best{.k = 3}) |
         step<"model">(logistic_regression{});
}

// impute -> min-max -> variance threshold -> ridge: a regressor.
inline auto regressor_spec() {
  return step<"impute">(simple_imputer{}) | step<"minmax">(min_max_scaler{}) |
         step<"variance">(variance_threshold{}) | step<"model">(ridge{.alpha = 0.5});
}

using classifier = decltype(classifier_spec())::fitted;
using regressor = decltype(regressor_spec())::fitted;

}  // namespace mlpipe::fuzz
