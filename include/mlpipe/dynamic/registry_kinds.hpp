#pragma once

#include <string_view>

#include "mlpipe/dynamic/wrap.hpp"
#include "mlpipe/dynamic.hpp"
#include "mlpipe/feature_selection/rfe.hpp"
#include "mlpipe/feature_selection/select_from_model.hpp"
#include "mlpipe/feature_selection/select_k_best.hpp"
#include "mlpipe/feature_selection/sequential.hpp"
#include "mlpipe/feature_selection/univariate_select.hpp"
#include "mlpipe/feature_selection/variance_threshold.hpp"
#include "mlpipe/models/elastic_net.hpp"
#include "mlpipe/models/forest.hpp"
#include "mlpipe/models/linear_svc.hpp"
#include "mlpipe/models/logistic_regression.hpp"
#include "mlpipe/models/naive_bayes.hpp"
#include "mlpipe/models/neighbors.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/models/ridge_classifier.hpp"
#include "mlpipe/models/tree.hpp"
#include "mlpipe/preprocessing/min_max_scaler.hpp"
#include "mlpipe/preprocessing/simple_imputer.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "mlpipe/tuning/grid_search.hpp"
#include "mlpipe/tuning/halving.hpp"
#include "mlpipe/tuning/random_search.hpp"
#include "mlpipe/tuning/tpe_search.hpp"
#include "mlpipe/validation/splitters.hpp"

// The library's stage kinds, as the registry (<mlpipe/dynamic_registry.hpp>) registers them when it is first used.

namespace mlpipe::detail {

template <class S, class Add>
void add_library_stage(Add& add) {
  add(S::kind,
      stage_kind_entry{[]() -> std::shared_ptr<dynamic_stage> { return std::make_shared<stage_adapter<S>>(S{}); },
                       &load_fitted<typename S::fitted>});
}

// A search's fitted kind: load_any loads its files (the best model any model). from_json builds the searches from
// their settings (dynamic_registry.hpp's build_search), not from a default stage, so there is no make.
template <fixed_string Kind, class Add>
void add_search(Add& add) {
  add(Kind.view(), stage_kind_entry{nullptr, &load_fitted<fitted_search<any_model, Kind>>});
}

// Calls add(kind, entry) for every leaf stage of the library.
template <class Add>
void register_library_stages(Add&& add) {
  // preprocessing
  add_library_stage<standard_scaler>(add);
  add_library_stage<min_max_scaler>(add);
  add_library_stage<simple_imputer>(add);
  // feature selection (univariate and variance; the selectors with an inner estimator are registered by the registry)
  add_library_stage<variance_threshold>(add);
  add_library_stage<select_k_best>(add);
  add_library_stage<select_percentile>(add);
  add_library_stage<select_fpr>(add);
  add_library_stage<select_fdr>(add);
  add_library_stage<select_fwe>(add);
  add_library_stage<generic_univariate_select>(add);
  // selectors with an inner estimator, any model as it (their "estimator" in a spec)
  add_library_stage<select_from_model<any_pipeline>>(add);
  add_library_stage<rfe<any_pipeline>>(add);
  add_library_stage<rfecv<any_pipeline>>(add);  // their default cv and scoring follow the estimator's roles()
  add_library_stage<sequential_feature_selector<any_pipeline>>(add);
  add_library_stage<exhaustive_feature_selector<any_pipeline>>(add);
  // linear models
  add_library_stage<ridge>(add);
  add_library_stage<lasso>(add);
  add_library_stage<elastic_net>(add);
  add_library_stage<logistic_regression>(add);
  add_library_stage<ridge_classifier>(add);
  add_library_stage<linear_svc>(add);
  // naive Bayes, neighbors
  add_library_stage<gaussian_nb>(add);
  add_library_stage<multinomial_nb>(add);
  add_library_stage<bernoulli_nb>(add);
  add_library_stage<k_neighbors_classifier>(add);
  add_library_stage<k_neighbors_regressor>(add);
  // trees and forests
  add_library_stage<decision_tree_classifier>(add);
  add_library_stage<decision_tree_regressor>(add);
  add_library_stage<random_forest_classifier>(add);
  add_library_stage<random_forest_regressor>(add);
  add_library_stage<extra_trees_classifier>(add);
  add_library_stage<extra_trees_regressor>(add);
  // searches, any model as their estimator and best model
  add_search<"grid_search">(add);
  add_search<"random_search">(add);
  add_search<"tpe_search">(add);
  add_search<"halving_grid_search">(add);
  add_search<"halving_random_search">(add);
  add_search<"hyperband">(add);
}

}  // namespace mlpipe::detail
