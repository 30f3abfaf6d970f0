#pragma once

// Everything mlpipe offers, for convenience. mlpipe's own headers include only what they use.

#include "mlpipe/version.hpp"

#include "mlpipe/core/allocate.hpp"
#include "mlpipe/core/check.hpp"
#include "mlpipe/core/column_transformer.hpp"
#include "mlpipe/core/columns.hpp"
#include "mlpipe/core/concepts.hpp"
#include "mlpipe/core/dataset.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/fit_transform.hpp"
#include "mlpipe/core/fixed_string.hpp"
#include "mlpipe/core/param_value.hpp"
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/paths.hpp"
#include "mlpipe/core/parallel.hpp"
#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/core/random.hpp"
#include "mlpipe/core/scratch.hpp"
#include "mlpipe/core/special_functions.hpp"
#include "mlpipe/core/step.hpp"
#include "mlpipe/core/transform_fn.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/core/union.hpp"

#include "mlpipe/io/csv.hpp"
#include "mlpipe/io/serialize.hpp"

#include "mlpipe/preprocessing/min_max_scaler.hpp"
#include "mlpipe/preprocessing/simple_imputer.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"

#include "mlpipe/feature_selection/feature_count.hpp"
#include "mlpipe/feature_selection/select_k_best.hpp"
#include "mlpipe/feature_selection/univariate.hpp"
#include "mlpipe/feature_selection/variance_threshold.hpp"

#include "mlpipe/models/forest.hpp"
#include "mlpipe/models/elastic_net.hpp"
#include "mlpipe/models/logistic_regression.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/models/tree.hpp"

#include "mlpipe/validation/any_splitter.hpp"
#include "mlpipe/validation/cross_validate.hpp"
#include "mlpipe/validation/metrics.hpp"
#include "mlpipe/validation/metrics_classification.hpp"
#include "mlpipe/validation/metrics_ranking.hpp"
#include "mlpipe/validation/metrics_regression.hpp"
#include "mlpipe/validation/scorers.hpp"
#include "mlpipe/validation/splitters.hpp"

#include "mlpipe/tuning/grid.hpp"
#include "mlpipe/tuning/grid_search.hpp"
#include "mlpipe/tuning/search_results.hpp"
