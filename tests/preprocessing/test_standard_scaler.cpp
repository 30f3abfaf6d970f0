#include <catch2/catch.hpp>

#include <cmath>   // std::ldexp, std::sin, std::cos
#include <vector>

#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "support.hpp"

// File-local names live here: the test files are compiled together in batches (a unity build).
namespace test_standard_scaler_tests {

namespace mp = mlpipe;
using mp::test::error_message;
using mp::test::max_relative_error;
using mp::test::to_vector;

TEST_CASE("standard_scaler learns scikit-learn's mean, variance and scale on breast_cancer", "[preprocessing]") {
  const auto& d = mp::test::load("breast_cancer.csv");
  const auto& ref = mp::test::test_reference()["standard_scaler_breast_cancer"];
  const auto f = mp::standard_scaler{}.fit(d.X);
  // Summation order differs from numpy's pairwise sums, so agreement is to rounding, not to the bit.
  CHECK(max_relative_error(f.mean(), to_vector(ref["mean_"]), 1e-300) < 1e-13);
  CHECK(max_relative_error(f.var(), to_vector(ref["var_"]), 1e-300) < 1e-12);
  CHECK(max_relative_error(f.scale(), to_vector(ref["scale_"]), 1e-300) < 1e-12);
  const mp::matrix Xt = f.transform(d.X.topRows(3));
  for (mp::index i = 0; i < 3; ++i)
    CHECK(max_relative_error(Xt.row(i).transpose(), to_vector(ref["transform_first3_rows"][std::size_t(i)])) < 1e-11);
  CHECK(f.n_samples_seen() == 569);
  CHECK(f.n_features_in() == 30);
  CHECK(f.n_features_out() == 30);
}

TEST_CASE("standard_scaler output has zero mean and unit variance, and inverts", "[preprocessing]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto f = mp::standard_scaler{}.fit(d.X);
  const mp::matrix Xt = f.transform(d.X);
  for (mp::index j = 0; j < Xt.cols(); ++j) {
    CHECK(std::abs(Xt.col(j).mean()) < 1e-14);
    CHECK((Xt.col(j).array() - Xt.col(j).mean()).square().mean() == Approx(1.0).epsilon(1e-12));
  }
  CHECK((f.inverse_transform(Xt) - d.X).cwiseAbs().maxCoeff() < 1e-15);
}

TEST_CASE("standard_scaler gives equal columns the same statistics wherever they lie in memory", "[preprocessing]") {
  // 1,001 rows: each column of X starts at another alignment, which changed the order of Eigen's vectorized sums.
  // (Eigen's column means gave columns 1 and 3 a mean one rounding away from columns 0 and 2 on these values.)
  mp::matrix X(1001, 4);
  for (mp::index i = 0; i < X.rows(); ++i) {
    const auto t = static_cast<double>(i);
    X(i, 0) = std::sin(0.37 * t * t) * 1e3 + 1e4 * std::cos(1.1 * t);
  }
  X.col(1) = X.col(0);
  X.col(2) = X.col(0);
  X.col(3) = X.col(0);
  const auto f = mp::standard_scaler{}.fit(X);
  for (mp::index j = 1; j < 4; ++j) {
    CHECK(f.mean()(j) == f.mean()(0));
    CHECK(f.var()(j) == f.var()(0));
  }
  const mp::matrix Xt = f.transform(X);
  CHECK(Xt.col(3) == Xt.col(0));
}

TEST_CASE("standard_scaler honours with_mean and with_std", "[preprocessing]") {
  mp::matrix X(4, 2);
  X << 1, 10, 2, 10, 3, 10, 6, 10;  // the second column is constant
  SECTION("defaults: constant columns keep scale 1") {
    const auto f = mp::standard_scaler{}.fit(X);
    CHECK(f.scale()(1) == 1.0);
    CHECK(f.var()(1) == 0.0);
    CHECK(f.transform(X).col(1).isZero(0));
    CHECK(f.mean()(0) == 3.0);
    CHECK(f.var()(0) == 3.5);
  }
  SECTION("with_mean = false only scales") {
    const auto f = mp::standard_scaler{.with_mean = false}.fit(X);
    CHECK(f.transform(X).col(0).isApprox(X.col(0) / std::sqrt(3.5)));
    CHECK(f.mean()(0) == 3.0);  // still learned, as scikit-learn's mean_
  }
  SECTION("with_std = false only centres") {
    const auto f = mp::standard_scaler{.with_std = false}.fit(X);
    CHECK(f.scale() == mp::vector::Ones(2));
    CHECK(f.transform(X).col(0) == (X.col(0).array() - 3.0).matrix());
  }
  SECTION("a near-constant column (variance within rounding) is not blown up") {
    mp::matrix Y(3, 1);
    Y << 0.1 + 0.2, 0.3, 0.3;  // 0.30000000000000004, 0.3, 0.3
    const auto f = mp::standard_scaler{}.fit(Y);
    CHECK(f.scale()(0) == 1.0);
  }
}

TEST_CASE("standard_scaler rejects empty, non-finite and mis-shaped input", "[preprocessing]") {
  mp::matrix X = mp::matrix::Random(5, 3);
  CHECK(error_message<mp::invalid_input>([&] { mp::standard_scaler{}.fit(mp::matrix(0, 3)); }) ==
        "standard_scaler: X is empty (0 rows, 3 columns); expected at least one row and one column");
  CHECK(error_message<mp::invalid_input>([&] { mp::standard_scaler{}.fit(mp::matrix(4, 0)); }) ==
        "standard_scaler: X is empty (4 rows, 0 columns); expected at least one row and one column");
  const auto f = mp::standard_scaler{}.fit(X);
  X(2, 1) = std::numeric_limits<double>::infinity();
  CHECK(error_message<mp::invalid_input>([&] { mp::standard_scaler{}.fit(X); }) ==
        "standard_scaler: X has inf at row 2, column 1; expected finite values (impute missing values first, e.g. "
        "with simple_imputer)");
  CHECK(error_message<mp::invalid_input>([&] { f.transform(X); }) ==
        "standard_scaler: X has inf at row 2, column 1; expected finite values (impute missing values first, e.g. "
        "with simple_imputer)");
  CHECK(error_message<mp::invalid_input>([&] { f.transform(mp::matrix::Ones(2, 4)); }) ==
        "standard_scaler: X has 4 columns but this step was fitted on 3; expected 3 columns");
  CHECK(error_message<mp::invalid_input>([&] { f.inverse_transform(mp::matrix::Ones(2, 2)); }) ==
        "standard_scaler: X has 2 columns but this step was fitted on 3; expected 3 columns");
}

TEST_CASE("standard_scaler on huge values: the statistics of the rescaled data, or an error naming the column",
          "[preprocessing][overflow]") {
  // breast_cancer times 2^500: worst area reaches 1.4e154, whose plain sum of squares overflows; the fit sums such
  // columns in units of a power of two (exact) and gets what the unscaled data gives, rescaled.
  const auto& d = mp::test::load("breast_cancer.csv");
  const double big = std::ldexp(1.0, 500);
  const auto f = mp::standard_scaler{}.fit(d.X);
  const auto g = mp::standard_scaler{}.fit(d.X * big);
  // Within a rounding: the plain path sums X's columns in place, the scaled one a copy (another summation order).
  CHECK(max_relative_error(g.mean(), f.mean() * big, 1e-300) < 1e-15);
  CHECK(max_relative_error(g.var(), f.var() * (big * big), 1e-300) < 1e-14);
  CHECK(max_relative_error(g.scale(), f.scale() * big, 1e-300) < 1e-14);
  const mp::matrix Xt = g.transform(d.X * big);
  CHECK(Xt.allFinite());
  CHECK((Xt - f.transform(d.X)).cwiseAbs().maxCoeff() < 1e-13);

  // Near the largest double a spread has a variance beyond it: an error at fit, not inf and NaN at transform.
  mp::matrix X(4, 3);
  X << 1, 1e307, 2e307,  //
      2, -1e307, 2e307,  //
      3, 5e306, 2e307,   //
      4, 0, 2e307;
  CHECK(error_message<mp::invalid_input>([&] { mp::standard_scaler{}.fit(X); }) ==
        "standard_scaler: X column 1 has values too large in magnitude (up to 1e+307): its variance is beyond the "
        "largest double; expected a standard deviation below 1.3e154 (rescale the column first)");
  // A constant column is constant however large: scale 1, centred to exact zeros.
  const mp::matrix constant = X(Eigen::all, std::vector<mp::index>{0, 2});
  const auto c = mp::standard_scaler{}.fit(constant);
  CHECK(c.mean()(1) == 2e307);
  CHECK(c.var()(1) == 0.0);
  CHECK(c.scale()(1) == 1.0);
  CHECK(c.transform(constant).col(1).isZero(0));
}

}  // namespace test_standard_scaler_tests
