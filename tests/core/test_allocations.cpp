// predict_one and predict_proba_one must not touch the heap. This file replaces the global allocation functions (for
// the whole test program) with ones that count, per thread, how often they are called; Eigen allocates with malloc,
// so the test program is built with EIGEN_RUNTIME_NO_MALLOC and the counted calls run with Eigen's heap forbidden
// (an Eigen allocation there stops the program on Eigen's assertion, failing the test).
#include <catch2/catch.hpp>

#include <span>
#include <vector>

#include "mlpipe/core/column_transformer.hpp"
#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/core/union.hpp"
#include "mlpipe/feature_selection/select_k_best.hpp"
#include "mlpipe/models/logistic_regression.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/min_max_scaler.hpp"
#include "mlpipe/preprocessing/simple_imputer.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "support.hpp"

#define MLPIPE_COUNTER_ONLY  // the counting operator new is defined in tests/counting_new.cpp
#include "counting_new.hpp"

// File-local names live here: the test files are compiled together in batches (a unity build).
namespace test_allocations_tests {

namespace mp = mlpipe;

using mlpipe::test::allocations_per_call;

TEST_CASE("predict_one and predict_proba_one allocate nothing after a thread's first call", "[core][allocations]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const mp::vector row = d.X.row(7).transpose();
  const std::span<const double> r(row.data(), static_cast<std::size_t>(row.size()));

  const long counted = mp::test::allocations;
  { const std::vector<double> probe(10); }
  REQUIRE(mp::test::allocations == counted + MLPIPE_COUNT_ALLOCATIONS);  // the counter sees allocations: this test can fail

  const auto classifier = (mp::step<"scale">(mp::standard_scaler{}) |
                           mp::step<"select">(mp::select_k_best{.k = 10}) |
                           mp::step<"model">(mp::logistic_regression{}))
                              .fit(d.X, d.y);
  double proba[2];
  double label = 0.0;
  CHECK(allocations_per_call([&] { label = classifier.predict_one(r); }) == 0);
  CHECK(allocations_per_call([&] { classifier.predict_proba_one(r, proba); }) == 0);
  CHECK(label == classifier.predict(d.X.row(7))(0));
  CHECK(proba[1] == Approx(classifier.predict_proba(d.X.row(7))(0, 1)).epsilon(1e-12));

  const auto composite = (mp::step<"features">(mp::column_transformer(
                              mp::remainder::passthrough,
                              mp::step<"head">(mp::columns({0, 1, 2, 3}, mp::step<"impute">(mp::simple_imputer{}) |
                                                                             mp::step<"scale">(mp::min_max_scaler{}))))) |
                          mp::step<"both">(mp::union_of(mp::standard_scaler{}, mp::min_max_scaler{})) |
                          mp::step<"model">(mp::ridge{}))
                             .fit(d.X, d.y);
  double value = 0.0;
  CHECK(allocations_per_call([&] { value = composite.predict_one(r); }) == 0);
  CHECK(value == Approx(composite.predict(d.X.row(7))(0)).epsilon(1e-12));
}

}  // namespace test_allocations_tests
