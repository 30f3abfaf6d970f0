#pragma once

// Helpers shared by mlpipe's tests: the datasets, scikit-learn's reference values, and comparisons.

#include <algorithm>         // std::max
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "mlpipe/core/dataset.hpp"
#include "mlpipe/core/error.hpp"
#include "mlpipe/core/types.hpp"
#include "mlpipe/io/csv.hpp"
#include "mlpipe/io/serialize.hpp"
#include "mlpipe/testing/check_stage.hpp"

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

// A number from a reference JSON: null is NaN, "inf" and "-inf" are infinities (tests/reference/common.py's number).
inline double number(const nlohmann::json& j) {
  if (j.is_null()) return std::numeric_limits<double>::quiet_NaN();
  if (j.is_string()) {
    REQUIRE((j.get<std::string>() == "inf" || j.get<std::string>() == "-inf"));
    return j.get<std::string>() == "inf" ? std::numeric_limits<double>::infinity()
                                         : -std::numeric_limits<double>::infinity();
  }
  return j.get<double>();
}

// A list of numbers from a reference JSON, with number()'s NaN and infinities.
inline vector numbers(const nlohmann::json& j) {
  vector v(static_cast<index>(j.size()));
  for (index i = 0; i < v.size(); ++i) v(i) = number(j[static_cast<std::size_t>(i)]);
  return v;
}

// A matrix from a reference JSON's list of rows (common.py's rows), with number()'s NaN and infinities.
inline matrix to_matrix(const nlohmann::json& rows) {
  REQUIRE(!rows.empty());
  matrix m(static_cast<index>(rows.size()), static_cast<index>(rows[0].size()));
  for (index i = 0; i < m.rows(); ++i) {
    REQUIRE(static_cast<index>(rows[static_cast<std::size_t>(i)].size()) == m.cols());
    for (index j = 0; j < m.cols(); ++j) m(i, j) = number(rows[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)]);
  }
  return m;
}

// Row or column numbers from a reference JSON (common.py's ints).
inline std::vector<index> to_indices(const nlohmann::json& j) { return j.get<std::vector<index>>(); }

// A vector written in the test: values({0, 1, 1}).
inline vector values(std::initializer_list<double> list) {
  vector v(static_cast<index>(list.size()));
  index i = 0;
  for (const double x : list) v(i++) = x;
  return v;
}

// |a - b| / |b|, where NaN matches only NaN and equal values (infinities, zeros) match exactly.
inline double relative_error_nan(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0.0 : std::numeric_limits<double>::infinity();
  if (a == b) return 0.0;
  return std::abs(a - b) / std::abs(b);
}

// The largest relative_error_nan over two vectors of the same length.
inline double max_relative_error_nan(const vector& a, const vector& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0.0;
  for (index i = 0; i < a.size(); ++i) worst = std::max(worst, relative_error_nan(a(i), b(i)));
  return worst;
}

// Columns of X, or constant columns, as a reference's "columns" list describes them: an index picks X's column,
// {"constant": c} makes a column of c.
inline matrix columns_of(const matrix& X, const nlohmann::json& spec) {
  matrix out(X.rows(), static_cast<index>(spec.size()));
  for (index j = 0; j < out.cols(); ++j) {
    const nlohmann::json& c = spec[static_cast<std::size_t>(j)];
    if (c.is_object()) out.col(j).setConstant(c["constant"].get<double>());
    else out.col(j) = X.col(c.get<index>());
  }
  return out;
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

// Saves f to JSON and loads it back: the same state, bit for bit, and the same predictions on X.
template <class Fitted>
void check_save_load(const Fitted& f, const matrix& X) {
  const auto loaded = from_json<Fitted>(to_json(f));
  CHECK(to_json(loaded) == to_json(f));
  CHECK((loaded.predict(X).array() == f.predict(X).array()).all());
}

// The load_error message of f's saved state with edit(model node) applied.
template <class Fitted, class Edit>
std::string corrupted(const Fitted& f, Edit edit) {
  nlohmann::json envelope = to_json(f);
  edit(envelope["model"]);
  return error_message<load_error>([&] { (void)from_json<Fitted>(envelope); });
}

// check_stage(spec, X, y) passes; its report is shown when it does not.
template <class Spec>
void expect_conformant(const Spec& spec, const matrix& X, const vector& y) {
  const auto report = testing::check_stage(spec, X, y);
  INFO(report.to_string());
  CHECK(report.ok());
}

}  // namespace mlpipe::test
