#pragma once

// Helpers shared by mlpipe's tests: the datasets, scikit-learn's reference values, and comparisons.

#include <cmath>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "mlpipe/core/dataset.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/io/csv.hpp"

namespace mlpipe::test {

inline std::string data_path(const std::string& file) { return std::string(MLPIPE_DATA_DIR) + "/" + file; }

inline const dataset& load(const std::string& file) {
  static std::map<std::string, dataset> cache;
  auto it = cache.find(file);
  if (it == cache.end()) it = cache.emplace(file, read_csv(data_path(file), {.target = "target"})).first;
  return it->second;
}

inline nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

// scikit-learn's values shipped with the datasets (examples/data/sklearn_reference.json).
inline const nlohmann::json& sklearn_reference() {
  static const nlohmann::json j = read_json(data_path("sklearn_reference.json"))["values"];
  return j;
}

// Values made by the scripts in tests/reference: make_reference.py writes reference.json; <area>.py writes
// <area>.json (test_reference("feature_selection")).
inline const nlohmann::json& test_reference(const std::string& area = "reference") {
  static std::map<std::string, nlohmann::json> cache;
  auto it = cache.find(area);
  if (it == cache.end())
    it = cache.emplace(area, read_json(std::string(MLPIPE_TEST_REFERENCE_DIR) + "/" + area + ".json")["values"]).first;
  return it->second;
}

inline vector to_vector(const nlohmann::json& j) {
  vector v(static_cast<index>(j.size()));
  for (index i = 0; i < v.size(); ++i) v(i) = j[static_cast<std::size_t>(i)].get<double>();
  return v;
}

// Largest |a - b| / max(|b|, floor): relative error where b is large, absolute where it is near zero.
inline double max_relative_error(const vector& a, const vector& b, double floor = 1.0) {
  REQUIRE(a.size() == b.size());
  double worst = 0.0;
  for (index i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a(i) - b(i)) / std::max(std::abs(b(i)), floor));
  return worst;
}

// The message of the mlpipe::error that f throws (fails the test if it throws nothing or something else).
template <class Error = error, class F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("expected an exception");
  return {};
}

}  // namespace mlpipe::test
