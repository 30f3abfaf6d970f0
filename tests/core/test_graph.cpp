#include <catch2/catch.hpp>

#include "mlpipe/core/column_transformer.hpp"
#include "mlpipe/core/columns.hpp"
#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/core/transform_fn.hpp"
#include "mlpipe/core/union.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "support.hpp"

// File-local names live here: the test files are compiled together in batches (a unity build).
namespace test_graph_tests {

namespace mp = mlpipe;
using mp::test::error_message;

namespace {

const mp::dataset& diabetes() { return mp::test::load("diabetes.csv"); }

auto square() {
  return mp::transform_fn([](const mp::matrix_view& X) { return X.array().square().matrix(); });
}

}  // namespace

TEST_CASE("a fitted pipeline equals its steps fitted one after another", "[core][graph]") {
  const auto& d = diabetes();
  auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{.alpha = 2.0});
  const auto fitted = pipe.fit(d.X, d.y);

  const auto scaler = mp::standard_scaler{}.fit(d.X);
  const mp::matrix Xs = scaler.transform(d.X);
  const auto model = mp::ridge{.alpha = 2.0}.fit(Xs, d.y);

  CHECK(fitted.predict(d.X) == model.predict(Xs));  // the same operations in the same order: bit-identical
  CHECK(fitted.get<"scale">().mean() == scaler.mean());
  CHECK(fitted.get<"model">().coef() == model.coef());
  CHECK(fitted.n_features_in() == 10);
  CHECK(pipe.get<"model.alpha">() == 2.0);  // fit is const: the spec is unchanged
}

TEST_CASE("pipelines concatenate, nest, and keep their last step's role", "[core][graph]") {
  const auto& d = diabetes();
  auto prep = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"square">(square());
  auto flat = prep | mp::step<"model">(mp::ridge{});
  auto nested = mp::step<"prep">(prep) | mp::step<"model">(mp::ridge{});
  STATIC_REQUIRE(std::tuple_size_v<decltype(flat.steps)> == 3);
  STATIC_REQUIRE(std::tuple_size_v<decltype(nested.steps)> == 2);

  const auto f1 = flat.fit(d.X, d.y);
  const auto f2 = nested.fit(d.X, d.y);
  CHECK(f1.predict(d.X) == f2.predict(d.X));
  CHECK(f2.get<"prep.square">().n_features_out() == 10);
  CHECK(f2.get<"prep.scale">().mean() == f1.get<"scale">().mean());

  // A transformer pipeline transforms, and fits without a target.
  const auto fp = prep.fit(d.X);
  const mp::matrix Xt = fp.transform(d.X);
  CHECK(Xt.cols() == 10);
  CHECK(Xt.col(0).mean() == Approx(1.0).epsilon(1e-12));  // squares of standardized values average to 1
  const auto [fp2, Xt2] = prep.fit_transform(d.X);
  CHECK(Xt2 == Xt);
  CHECK(fp2.n_features_out() == 10);

  // Unnamed stages take their kind as name, as scikit-learn's make_pipeline does.
  auto unnamed = mp::standard_scaler{} | mp::ridge{};
  CHECK(unnamed.param_names() == std::vector<std::string>{"standard_scaler.with_mean", "standard_scaler.with_std",
                                                          "ridge.alpha", "ridge.fit_intercept"});
  CHECK(mp::make_pipeline(mp::standard_scaler{}, mp::ridge{}).param_names() == unnamed.param_names());
}

TEST_CASE("union_of puts its branches' outputs side by side", "[core][graph]") {
  const auto& d = diabetes();
  auto both = mp::union_of(mp::step<"scaled">(mp::standard_scaler{}), mp::step<"squared">(square()));
  const auto fitted = both.fit(d.X);
  const mp::matrix out = fitted.transform(d.X);
  REQUIRE(out.cols() == 20);
  CHECK(fitted.n_features_out() == 20);
  CHECK(out.leftCols(10) == mp::standard_scaler{}.fit(d.X).transform(d.X));
  CHECK(out.rightCols(10) == d.X.array().square().matrix());
  CHECK(both.fit_transform(d.X).second == out);

  auto pipe = mp::step<"features">(both) | mp::step<"model">(mp::ridge{.alpha = 0.1});
  const auto fp = pipe.fit(d.X, d.y);
  CHECK(fp.get<"model">().coef().size() == 20);
  CHECK(fp.get<"features.scaled">().n_features_in() == 10);
}

TEST_CASE("columns and column_transformer route column subsets", "[core][graph]") {
  const auto& d = diabetes();
  SECTION("remainder drop keeps only the branches' outputs") {
    auto ct = mp::column_transformer(mp::step<"num">(mp::columns({2, 3}, mp::standard_scaler{})),
                                     mp::step<"raw">(mp::columns({0}, square())));
    const auto f = ct.fit(d.X);
    const mp::matrix out = f.transform(d.X);
    REQUIRE(out.cols() == 3);
    CHECK(out.leftCols(2) == mp::standard_scaler{}.fit(d.X.middleCols(2, 2)).transform(d.X.middleCols(2, 2)));
    CHECK(out.col(2) == d.X.col(0).array().square().matrix());
    CHECK(f.passthrough().empty());
  }
  SECTION("remainder passthrough appends the unused columns in input order") {
    auto ct = mp::column_transformer(mp::remainder::passthrough,
                                     mp::step<"num">(mp::columns({5, 1}, mp::standard_scaler{})));
    const auto f = ct.fit(d.X);
    const mp::matrix out = f.transform(d.X);
    REQUIRE(out.cols() == 10);
    CHECK(f.passthrough() == std::vector<mp::index>{0, 2, 3, 4, 6, 7, 8, 9});
    const mp::matrix picked = d.X(Eigen::all, std::vector<mp::index>{5, 1});
    CHECK(out.leftCols(2) == mp::standard_scaler{}.fit(picked).transform(picked));
    CHECK(out.col(2) == d.X.col(0));
    CHECK(out.col(9) == d.X.col(9));
  }
  SECTION("the remainder policy is a parameter") {
    auto ct = mp::column_transformer(mp::step<"num">(mp::columns({0}, mp::standard_scaler{})));
    CHECK(ct.fit(d.X).n_features_out() == 1);
    ct.set_param("remainder", "passthrough");
    CHECK(ct.fit(d.X).n_features_out() == 10);
  }
  SECTION("a model on a column subset") {
    auto pipe = mp::make_pipeline(mp::step<"model">(mp::columns({2, 8}, mp::ridge{})));
    const auto f = pipe.fit(d.X, d.y);
    const mp::matrix picked = d.X(Eigen::all, std::vector<mp::index>{2, 8});
    CHECK(f.predict(d.X) == mp::ridge{}.fit(picked, d.y).predict(picked));
    STATIC_REQUIRE(mp::regressor<decltype(pipe)>);
  }
  SECTION("bad column lists are parameter errors") {
    CHECK(error_message<mp::invalid_parameter>([&] { mp::columns({0, 10}, mp::standard_scaler{}).fit(d.X); }) ==
          "columns: column 10 is out of range; X has 10 columns, so expected 0 <= column < 10");
    CHECK(error_message<mp::invalid_parameter>([&] { mp::columns({3, 1, 3}, mp::standard_scaler{}).fit(d.X); }) ==
          "columns: column 3 is listed twice in [3, 1, 3]; expected distinct column indices");
    CHECK(error_message<mp::invalid_parameter>([&] { mp::columns({}, mp::standard_scaler{}).fit(d.X); }) ==
          "columns: columns is empty; expected at least one column index");
  }
}

TEST_CASE("transform_fn wraps a function and checks the shape it returns", "[core][graph]") {
  const auto& d = diabetes();
  auto first_two = mp::transform_fn([](const mp::matrix_view& X) { return mp::matrix(X.leftCols(2)); });
  const auto f = first_two.fit(d.X);
  CHECK(f.n_features_in() == 10);
  CHECK(f.n_features_out() == 2);
  CHECK(f.transform(d.X.topRows(4)) == d.X.topLeftCorner(4, 2));

  auto drop_rows = mp::transform_fn([](const mp::matrix_view& X) { return mp::matrix(X.topRows(1)); });
  CHECK(error_message<mp::invalid_input>([&] { drop_rows.fit(d.X.topRows(3)); }) ==
        "transform_fn: the function returned 1 x 10 for an input of 3 rows; expected 3 rows");
  auto by_rows = mp::transform_fn([](const mp::matrix_view& X) { return mp::matrix(X.leftCols(X.rows() % 5 + 1)); });
  const auto fb = by_rows.fit(d.X.topRows(5));  // 1 output column for 5 rows
  CHECK(error_message<mp::invalid_input>([&] { fb.transform(d.X.topRows(6)); }) ==
        "transform_fn: the function returned 6 x 2 for an input of 6 rows; expected 6 rows and 1 columns");
}

TEST_CASE("errors name the step they come from", "[core][graph]") {
  const auto& d = diabetes();
  auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{});
  mp::matrix bad = d.X;
  bad(7, 3) = std::numeric_limits<double>::quiet_NaN();

  CHECK(error_message<mp::invalid_input>([&] { pipe.fit(bad, d.y); }) ==
        "step 'scale' (standard_scaler): X has nan at row 7, column 3; expected finite values (impute missing "
        "values first, e.g. with simple_imputer)");
  pipe.set<"model.alpha">(-1.0);
  CHECK(error_message<mp::invalid_parameter>([&] { pipe.fit(d.X, d.y); }) ==
        "step 'model' (ridge): alpha = -1 is out of range; expected alpha >= 0");
  pipe.set<"model.alpha">(1.0);
  CHECK(error_message<mp::invalid_input>([&] { pipe.fit(d.X, d.y.head(5)); }) ==
        "pipeline: y has 5 values but X has 442 rows; expected one target per row");

  const auto fitted = pipe.fit(d.X, d.y);
  CHECK(error_message<mp::invalid_input>([&] { fitted.predict(d.X.leftCols(9)); }) ==
        "step 'scale' (standard_scaler): X has 9 columns but this step was fitted on 10; expected 10 columns");
  CHECK(error_message<mp::invalid_input>([&] { fitted.predict(bad); }) ==
        "step 'scale' (standard_scaler): X has nan at row 7, column 3; expected finite values (impute missing "
        "values first, e.g. with simple_imputer)");
  CHECK(error_message<mp::invalid_input>([&] { fitted.predict(mp::matrix(0, 10)); }) ==
        "step 'scale' (standard_scaler): X is empty (0 rows, 10 columns); expected at least one row and one column");

  // Nested composites build the whole path.
  auto nested = mp::step<"features">(mp::column_transformer(
                    mp::step<"num">(mp::columns({1, 3}, mp::step<"scale">(mp::standard_scaler{}) |
                                                             mp::step<"square">(square()))))) |
                mp::step<"model">(mp::ridge{});
  const mp::error e = [&] {
    try {
      nested.fit(bad, d.y);
    } catch (const mp::error& caught) {
      return caught;
    }
    FAIL("expected an error");
    return mp::error("");
  }();
  CHECK(e.step_path() == "features.num.scale");
  CHECK(e.kind() == "standard_scaler");
  CHECK(std::string(e.what()) ==
        "step 'features.num.scale' (standard_scaler): X has nan at row 7, column 1; expected finite values (impute "
        "missing values first, e.g. with simple_imputer) (the step sees input columns [1, 3])");
}

TEST_CASE("fitted pipelines are values: copies predict the same and threads can share one", "[core][graph]") {
  const auto& d = diabetes();
  const auto fitted = (mp::standard_scaler{} | mp::ridge{.alpha = 0.5}).fit(d.X, d.y);
  const auto copy = fitted;
  CHECK(copy.predict(d.X) == fitted.predict(d.X));
  STATIC_REQUIRE(std::is_copy_constructible_v<decltype(fitted)>);
  using fitted_type = std::remove_cvref_t<decltype(fitted)>;
  STATIC_REQUIRE(mp::fitted_regressor<fitted_type>);
  STATIC_REQUIRE_FALSE(mp::fitted_transformer<fitted_type>);
  STATIC_REQUIRE_FALSE(mp::fitted_classifier<fitted_type>);
}

TEST_CASE("large inputs go through the pipeline in row blocks with the same results and errors", "[core][graph]") {
  const auto& d = diabetes();
  mp::matrix X(5000, 10);  // more than two blocks of 2048 rows
  for (mp::index i = 0; i < X.rows(); ++i) X.row(i) = d.X.row(i % d.X.rows()) * (1.0 + 1e-3 * static_cast<double>(i % 7));
  const auto fitted = (mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{})).fit(d.X, d.y);
  // Step by step on the whole input, as an unblocked pipeline would do it.
  const mp::vector expected = fitted.get<"model">().predict(fitted.get<"scale">().transform(X));
  const mp::vector blocked = fitted.predict(X);
  CHECK((blocked - expected).cwiseAbs().maxCoeff() <= 1e-12 * expected.cwiseAbs().maxCoeff());
  for (mp::index i : {0, 2047, 2048, 4095, 4096, 4999}) CHECK(blocked(i) == Approx(expected(i)).epsilon(1e-14));

  const auto scale_only = (mp::step<"a">(mp::standard_scaler{}) | mp::step<"b">(mp::standard_scaler{})).fit(d.X);
  CHECK(scale_only.transform(X).isApprox(scale_only.get<"b">().transform(scale_only.get<"a">().transform(X)), 1e-15));

  X(4500, 6) = std::numeric_limits<double>::infinity();  // in the third block: still reported by its own row number
  CHECK(error_message<mp::invalid_input>([&] { fitted.predict(X); }) ==
        "step 'scale' (standard_scaler): X has inf at row 4500, column 6; expected finite values (impute missing "
        "values first, e.g. with simple_imputer)");
}

}  // namespace test_graph_tests
