#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mlpipe/core/column_transformer.hpp"
#include "mlpipe/core/params.hpp"
#include "mlpipe/core/paths.hpp"
#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "support.hpp"

// File-local names live here: the test files are compiled together in batches (a unity build).
namespace test_params_tests {

namespace mp = mlpipe;
using mp::test::error_message;

namespace {

enum class color { red, green };

}  // namespace

}  // namespace test_params_tests

template <>
struct mlpipe::enum_names<test_params_tests::color> {
  using color = test_params_tests::color;
  static constexpr std::array values{std::pair{color::red, std::string_view("red")},
                                     std::pair{color::green, std::string_view("green")}};
};

namespace test_params_tests {

namespace {

// A stage with one hyperparameter of each kind, to exercise conversions and validation.
struct toy {
  static constexpr std::string_view kind = "toy";
  bool flag = false;
  int count = 3;
  std::size_t size = 2;
  double rate = 0.5;
  std::string label = "a";
  color hue = color::red;
  std::pair<double, double> range{0.0, 1.0};
  static constexpr auto params = std::tuple{
      mp::param<"flag">(&toy::flag),          mp::param<"count">(&toy::count, mp::at_least(1)),
      mp::param<"size">(&toy::size),          mp::param<"rate">(&toy::rate, mp::between(0.0, 1.0)),
      mp::param<"label">(&toy::label),        mp::param<"hue">(&toy::hue),
      mp::param<"range">(&toy::range)};
  struct fitted {
    static constexpr std::string_view kind = toy::kind;  // read through the fitted_stage concept
    mp::index n = 0;
    mp::index n_features_in() const { return n; }
    mp::index n_features_out() const { return n; }
    mp::matrix transform(const mp::matrix_view& X) const { return X; }
  };
  fitted fit(const mp::matrix_view& X, const mp::vector_view& = mp::vector()) const {
    mp::validate_params(*this);
    return {X.cols()};
  }
};
static_assert(mp::transformer<toy>);

}  // namespace


TEST_CASE("fixed_string splits parameter paths at compile time", "[core][params]") {
  constexpr mp::fixed_string path = "features.num.scale";
  STATIC_REQUIRE(path.size() == 18);
  STATIC_REQUIRE(mp::detail::path_head<path>().view() == "features");
  STATIC_REQUIRE(mp::detail::path_tail<path>().view() == "num.scale");
  STATIC_REQUIRE(mp::detail::path_head<mp::fixed_string("C")>().view() == "C");
  STATIC_REQUIRE(mp::detail::kind_name<mp::ridge>.view() == "ridge");
}

TEST_CASE("set_param converts values to the parameter's type and rejects the wrong type", "[core][params]") {
  toy t;
  mp::set_param(t, "flag", true);
  mp::set_param(t, "count", 7);
  mp::set_param(t, "count", 8.0);  // an integral real, as JSON files may hold it
  mp::set_param(t, "size", 5);
  mp::set_param(t, "rate", 1);     // integers widen to reals
  mp::set_param(t, "label", "b");
  mp::set_param(t, "hue", "green");
  mp::set_param(t, "range", std::vector<double>{-1.0, 2.0});
  CHECK(t.flag);
  CHECK(t.count == 8);
  CHECK(t.size == 5);
  CHECK(t.rate == 1.0);
  CHECK(t.label == "b");
  CHECK(t.hue == color::green);
  CHECK(t.range == std::pair{-1.0, 2.0});

  CHECK(std::get<std::int64_t>(mp::get_param(t, "count")) == 8);
  CHECK(std::get<std::string>(mp::get_param(t, "hue")) == "green");
  CHECK(mp::format_value(mp::get_param(t, "range")) == "[-1, 2]");
  CHECK(mp::param_names(t) == std::vector<std::string>{"flag", "count", "size", "rate", "label", "hue", "range"});

  CHECK(error_message<mp::invalid_parameter>([&] { mp::set_param(t, "flag", 1); }) ==
        "parameter 'flag' of toy expects a boolean, got 1 (an integer)");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::set_param(t, "count", 2.5); }) ==
        "parameter 'count' of toy expects an integer, got 2.5 (a real number)");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::set_param(t, "size", -1); }) ==
        "parameter 'size' of toy expects a non-negative integer, got -1 (an integer)");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::set_param(t, "rate", "high"); }) ==
        "parameter 'rate' of toy expects a real number, got \"high\" (a string)");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::set_param(t, "hue", "blue"); }) ==
        "parameter 'hue' of toy expects one of \"red\", \"green\", got \"blue\" (a string)");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::set_param(t, "range", std::vector<double>{1.0}); }) ==
        "parameter 'range' of toy expects a list of two numbers, got [1] (a list of numbers)");
  CHECK(t.count == 8);  // a rejected value leaves the parameter as it was
}

TEST_CASE("validate_params names the parameter, the value and the valid range", "[core][params]") {
  const mp::matrix X = mp::matrix::Ones(3, 2);
  CHECK(error_message<mp::invalid_parameter>([&] { toy{.count = 0}.fit(X); }) ==
        "toy: count = 0 is out of range; expected count >= 1");
  CHECK(error_message<mp::invalid_parameter>([&] { toy{.rate = 1.5}.fit(X); }) ==
        "toy: rate = 1.5 is out of range; expected 0 <= rate <= 1");
  CHECK(error_message<mp::invalid_parameter>([&] { toy{.rate = std::nan("")}.fit(X); }) ==
        "toy: rate = nan is not a finite number; expected 0 <= rate <= 1");
  CHECK(error_message<mp::invalid_parameter>([&] { mp::ridge{.alpha = -0.5}.fit(X, mp::vector::Ones(3)); }) ==
        "ridge: alpha = -0.5 is out of range; expected alpha >= 0");
  CHECK(mp::greater_than(0).describe("C") == "C > 0");
  CHECK(mp::at_most(10).describe("k") == "k <= 10");
  CHECK_NOTHROW(toy{}.fit(X));
}

TEST_CASE("pipeline parameter paths are checked at compile time for literals", "[core][params]") {
  auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{.alpha = 1.0});
  STATIC_REQUIRE(mp::detail::has_path<decltype(pipe), "model.alpha">());
  STATIC_REQUIRE(mp::detail::has_path<decltype(pipe), "scale.with_std">());
  STATIC_REQUIRE_FALSE(mp::detail::has_path<decltype(pipe), "model.C">());
  STATIC_REQUIRE_FALSE(mp::detail::has_path<decltype(pipe), "model">());
  STATIC_REQUIRE_FALSE(mp::detail::has_path<decltype(pipe), "alpha">());

  pipe.set<"model.alpha">(0.25).set<"scale.with_mean">(false);
  CHECK(pipe.get<"model.alpha">() == 0.25);
  CHECK_FALSE(pipe.get<"scale.with_mean">());
  CHECK(std::get<1>(pipe.steps).stage.alpha == 0.25);
  STATIC_REQUIRE(std::is_same_v<std::remove_cvref_t<decltype(pipe.get<"model.alpha">())>, double>);
}

TEST_CASE("run-time parameter paths walk nested pipelines and column transformers", "[core][params]") {
  auto num = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"again">(mp::standard_scaler{});
  auto features = mp::column_transformer(mp::step<"num">(mp::columns({0, 1}, num)),
                                         mp::step<"rest">(mp::columns({2}, mp::standard_scaler{})));
  auto pipe = mp::step<"features">(features) | mp::step<"model">(mp::ridge{});

  CHECK(pipe.param_names() ==
        std::vector<std::string>{"features.remainder", "features.num.scale.with_mean", "features.num.scale.with_std",
                                 "features.num.again.with_mean", "features.num.again.with_std",
                                 "features.rest.with_mean", "features.rest.with_std", "model.alpha",
                                 "model.fit_intercept"});
  pipe.set_param("features.num.scale.with_mean", false);
  pipe.set_param("features.remainder", "passthrough");
  pipe.set_param("model.alpha", 3);
  CHECK_FALSE(pipe.get<"features.num.scale.with_mean">());
  CHECK(pipe.get<"features.remainder">() == mp::remainder::passthrough);
  CHECK(std::get<double>(pipe.get_param("model.alpha")) == 3.0);
  CHECK(std::get<bool>(pipe.get_param("features.num.scale.with_mean")) == false);
}

TEST_CASE("an unknown parameter path lists the closest valid names", "[core][params]") {
  auto pipe = mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{});
  CHECK(error_message<mp::invalid_parameter>([&] { pipe.set_param("model.alpah", 1.0); }) ==
        "unknown parameter path 'model.alpah'; did you mean 'model.alpha'? Valid paths: scale.with_mean, "
        "scale.with_std, model.alpha, model.fit_intercept");
  CHECK(error_message<mp::invalid_parameter>([&] { pipe.set_param("scale.with_men", true); }) ==
        "unknown parameter path 'scale.with_men'; did you mean 'scale.with_mean'? Valid paths: scale.with_mean, "
        "scale.with_std, model.alpha, model.fit_intercept");
  CHECK(error_message<mp::invalid_parameter>([&] { (void)pipe.get_param("optimizer.learning_rate"); }) ==
        "unknown parameter path 'optimizer.learning_rate'. Valid paths: scale.with_mean, scale.with_std, "
        "model.alpha, model.fit_intercept");
  CHECK(error_message<mp::invalid_parameter>([&] { pipe.set_param("model", 1.0); }) ==
        "parameter path 'model' names a step, not a parameter; its parameters are: model.alpha, model.fit_intercept");
  CHECK(error_message<mp::invalid_parameter>([&] { pipe.set_param("model.alpha", true); }) ==
        "parameter 'model.alpha' of ridge expects a real number, got true (a boolean)");
}

TEST_CASE("concepts tell transformers, regressors and pipelines apart", "[core][params]") {
  using scale_then_ridge = decltype(mp::standard_scaler{} | mp::ridge{});
  using scale_twice = decltype(mp::step<"a">(mp::standard_scaler{}) | mp::step<"b">(mp::standard_scaler{}));
  STATIC_REQUIRE(mp::transformer<mp::standard_scaler>);
  STATIC_REQUIRE_FALSE(mp::predictor<mp::standard_scaler>);
  STATIC_REQUIRE(mp::regressor<mp::ridge>);
  STATIC_REQUIRE_FALSE(mp::classifier<mp::ridge>);
  STATIC_REQUIRE_FALSE(mp::transformer<mp::ridge>);
  STATIC_REQUIRE(mp::regressor<scale_then_ridge>);
  STATIC_REQUIRE_FALSE(mp::transformer<scale_then_ridge>);
  STATIC_REQUIRE(mp::transformer<scale_twice>);
  STATIC_REQUIRE(mp::pipeable<mp::standard_scaler, mp::ridge>);
  STATIC_REQUIRE(mp::pipeable<scale_twice, mp::ridge>);
  STATIC_REQUIRE(mp::pipeable<scale_twice, decltype(mp::step<"c">(mp::standard_scaler{}))>);
  STATIC_REQUIRE_FALSE(mp::pipeable<mp::standard_scaler, int>);
  STATIC_REQUIRE_FALSE(mp::pipeable<double, mp::ridge>);
  STATIC_REQUIRE_FALSE(mp::pipeable<mp::matrix, mp::ridge>);
  STATIC_REQUIRE_FALSE(mp::stage<int>);
}

}  // namespace test_params_tests
