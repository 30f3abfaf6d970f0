#pragma once

#include "mlpipe/dynamic.hpp"
#include "mlpipe/tuning/grid_search.hpp"
#include "mlpipe/tuning/halving.hpp"
#include "mlpipe/tuning/random_search.hpp"
#include "mlpipe/tuning/tpe_search.hpp"
#include "mlpipe/validation/any_splitter.hpp"
#include "mlpipe/validation/cross_validate.hpp"
#include "mlpipe/validation/splitters.hpp"

// cross_validate and the searches over an any_pipeline, compiled once per program: in the one source file that
// includes <mlpipe/dynamic_registry.hpp>, which instantiates them. Every other file that includes this header
// declares them only (extern template), so a harness written against any_pipeline compiles in a few seconds: it
// parses the templates but instantiates none of the cross-validation and search code. The calls are the usual ones:
// mp::cross_validate(p, X, y, mp::kfold{...}), mp::grid_search(p, grid, options).fit(X, y), ...
// Opt-in, like the registry it needs: a program that includes it links the registry's file (else the linker reports
// an undefined mlpipe::grid_search<mlpipe::any_pipeline>::fit), so <mlpipe/mlpipe.hpp> does not include it.

namespace mlpipe {

// cross_validate(any_pipeline, X, y, cv, options) with the splitters a harness names (others are instantiated where
// they are called, as usual).
extern template cv_results<any_model> cross_validate(const any_pipeline&, const matrix_view&, const vector_view&,
                                                     const any_splitter&, const cv_options&);
extern template cv_results<any_model> cross_validate(const any_pipeline&, const matrix_view&, const vector_view&,
                                                     const kfold&, const cv_options&);
extern template cv_results<any_model> cross_validate(const any_pipeline&, const matrix_view&, const vector_view&,
                                                     const stratified_kfold&, const cv_options&);
extern template cv_results<any_model> cross_validate(const any_pipeline&, const matrix_view&, const vector_view&,
                                                     const repeated_kfold&, const cv_options&);
extern template cv_results<any_model> cross_validate(const any_pipeline&, const matrix_view&, const vector_view&,
                                                     const repeated_stratified_kfold&, const cv_options&);
extern template cv_results<any_model> cross_validate(const any_pipeline&, const matrix_view&, const vector_view&,
                                                     const shuffle_split&, const cv_options&);
extern template cv_results<any_model> cross_validate(const any_pipeline&, const matrix_view&, const vector_view&,
                                                     const stratified_shuffle_split&, const cv_options&);

// The searches over an any_pipeline, their fitted tables and best models.
extern template struct grid_search<any_pipeline>;
extern template struct random_search<any_pipeline>;
extern template struct halving_grid_search<any_pipeline>;
extern template struct halving_random_search<any_pipeline>;
extern template struct sampler_search<any_pipeline, tpe_sampler, "tpe_search">;

}  // namespace mlpipe
