#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/core/random.hpp"
#include "mlpipe/feature_selection/select_k_best.hpp"
#include "mlpipe/models/logistic_regression.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "mlpipe/tuning/space.hpp"
#include "support.hpp"

// File-local names live here: the test files are compiled together in batches (a unity build).
namespace test_searches_tests {

namespace mp = mlpipe;
using mp::test::error_message;

namespace {
auto scale_select_logistic() {
  return mp::step<"scale">(mp::standard_scaler{}) | mp::step<"select">(mp::select_k_best{.k = 10, .score = mp::f_classif}) |
         mp::step<"model">(mp::logistic_regression{});
}

// A drawn candidate equals scikit-learn's: the same paths, numbers equal to the last bit, strings equal.
void check_candidate(const mp::param_set& ours, const nlohmann::json& theirs, bool loguniform) {
  REQUIRE(ours.size() == theirs.size());
  for (const auto& [path, value] : ours) {
    INFO(path);
    REQUIRE(theirs.contains(path));
    const auto& expected = theirs[path];
    if (const auto* s = std::get_if<std::string>(&value)) {
      CHECK(*s == expected.get<std::string>());
    } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
      CHECK(static_cast<double>(*i) == expected.get<double>());
    } else if (path == "model.C" && loguniform) {
      // scipy draws loguniform through numpy's power, which on AVX-512 machines is not libm's pow: 1 or 2 ulp apart.
      CHECK(std::abs(std::get<double>(value) - expected.get<double>()) <= 4.5e-16 * expected.get<double>());
    } else {
      CHECK(std::get<double>(value) == expected.get<double>());
    }
  }
}

const nlohmann::json& sampler_case(const std::string& name, int seed) {
  for (const auto& c : mp::test::test_reference("tuning")["samplers"])
    if (c["name"] == name && c["seed"] == seed) return c;
  FAIL("no reference case " << name << " " << seed);
  throw;
}

void check_sampler(const mp::space_list& spaces, const std::string& name, int seed) {
  const auto& ref = sampler_case(name, seed);
  mp::numpy_random_state rng(static_cast<std::uint32_t>(seed));
  const auto drawn = spaces.sample(ref["n_iter"].get<std::size_t>(), rng);
  REQUIRE(drawn.size() == ref["candidates"].size());
  for (std::size_t i = 0; i < drawn.size(); ++i) {
    INFO(name << " seed " << seed << " candidate " << i);
    check_candidate(drawn[i], ref["candidates"][i], !spaces.all_lists());
  }
}
}  // namespace

TEST_CASE("spaces draw scikit-learn's ParameterSampler candidates for the same seed", "[searches][space]") {
  const mp::space lists{{"model.C", {0.01, 0.1, 1.0, 10.0}}, {"select.k", {2, 5, 10, 20, 30}}};
  for (const int seed : {0, 1, 42}) {
    check_sampler(lists, "lists_permutation", seed);
    check_sampler(lists, "lists_all", seed);
    check_sampler(lists, "lists_more_than_grid", seed);
  }
  std::vector<mp::param_value> a, b;
  for (std::int64_t i = 0; i < 40; ++i) a.emplace_back(i);
  for (std::int64_t i = 0; i < 30; ++i) b.emplace_back(i);
  const mp::space big{{"a", a}, {"b", b}};
  check_sampler(big, "lists_tracking", 3);
  check_sampler(big, "lists_reservoir", 3);
  const mp::space mixed{{"model.C", mp::loguniform(1e-3, 1e3)}, {"select.k", mp::int_uniform(2, 30)},
                        {"model.l1_ratio", mp::uniform(0.25, 0.75)},
                        {"model.penalty", mp::choice({"l1", "l2", "elasticnet"})}};
  check_sampler(mixed, "mixed", 0);
  check_sampler(mixed, "mixed", 7);
  const mp::space_list two{mp::space{{"model.C", mp::loguniform(1e-2, 1e2)}},
                           mp::space{{"model.C", {0.5, 2.0}}, {"select.k", mp::int_uniform(1, 3)}}};
  check_sampler(two, "two_spaces", 5);
}

TEST_CASE("a space rejects empty spaces, reversed bounds and non-positive log bounds as it is built", "[searches][space]") {
  CHECK(error_message<mp::invalid_parameter>([] { mp::space{std::vector<mp::space_axis>{}}; }) ==
        "space: no parameters; expected at least one {path, distribution}");
  CHECK(error_message<mp::invalid_parameter>([] { mp::space{{"model.C", mp::uniform(2.0, 2.0)}}; }) ==
        "space: 'model.C' = uniform(2, 2): low = 2 >= high = 2; expected low < high");
  CHECK(error_message<mp::invalid_parameter>([] { mp::space{{"select.k", mp::int_uniform(30, 2)}}; }) ==
        "space: 'select.k' = int_uniform(30, 2): low = 30 > high = 2; expected low <= high");
  CHECK(error_message<mp::invalid_parameter>([] { mp::space{{"model.C", mp::loguniform(0.0, 10.0)}}; }) ==
        "space: 'model.C' = loguniform(0, 10): low = 0 is not positive; expected 0 < low on a log scale");
  CHECK(error_message<mp::invalid_parameter>([] { mp::space{{"select.k", mp::int_loguniform(-1, 10)}}; }) ==
        "space: 'select.k' = int_loguniform(-1, 10): low = -1 is not positive; expected 0 < low on a log scale");
  CHECK(error_message<mp::invalid_parameter>([] { mp::space{{"model.C", mp::uniform(0.0, INFINITY)}}; }) ==
        "space: 'model.C' = uniform(0, inf): the bounds are not finite; expected finite low and high");
  CHECK(error_message<mp::invalid_parameter>([] { mp::space{{"model.C", mp::choice({})}}; }) ==
        "space: 'model.C' = []: no values; expected at least one");
  CHECK(error_message<mp::invalid_parameter>([] {
          mp::space{{"model.C", mp::loguniform(1.0, 2.0)}, {"model.C", {1.0}}};
        }) == "space: the path 'model.C' appears twice; expected each path once");
  CHECK(error_message<mp::invalid_parameter>([] { mp::space_list{std::vector<mp::space>{}}; }) ==
        "space_list: no spaces; expected at least one");
}

TEST_CASE("a space is checked against the pipeline's paths, types and ranges before any fit", "[searches][space]") {
  const auto pipe = scale_select_logistic();
  auto check = [&](mp::space s) { mp::check_space(pipe, s, "random_search"); };
  CHECK_NOTHROW(check(mp::space{{"model.C", mp::loguniform(1e-3, 1e3)}, {"select.k", mp::int_uniform(2, 30)}}));
  CHECK(error_message<mp::invalid_parameter>([&] { check(mp::space{{"model.CC", mp::loguniform(1e-3, 1e3)}}); })
            .starts_with("random_search: unknown parameter path 'model.CC'; did you mean 'model.C'? Valid paths: "));
  CHECK(error_message<mp::invalid_parameter>([&] { check(mp::space{{"select.k", mp::uniform(2.0, 30.0)}}); }) ==
        "random_search: parameter 'select.k' of select_k_best expects an integer or \"all\", got 29.999999999999996 "
        "(a real number) (space axis 'select.k' = uniform(2, 30))");
  CHECK(error_message<mp::invalid_parameter>([&] { check(mp::space{{"model.C", mp::uniform(-1.0, 1.0)}}); }) ==
        "step 'model' (logistic_regression): C = -1 is out of range; expected C > 0 (space axis 'model.C' = "
        "uniform(-1, 1))");
  CHECK(error_message<mp::invalid_parameter>([&] { check(mp::space{{"model.penalty", {"l2", "l3"}}}); })
            .starts_with("random_search: parameter 'model.penalty' of logistic_regression expects one of"));
}

TEST_CASE("a trial's parameters read as a member and as a call", "[searches][space]") {
  const mp::trial t{3, mp::param_set{{"model.C", 0.5}}};
  CHECK(t.number == 3);
  CHECK(mp::format_params(t.params) == "model.C = 0.5");
  CHECK(mp::format_params(t.params()) == "model.C = 0.5");
}

}  // namespace test_searches_tests
