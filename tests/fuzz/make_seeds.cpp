// Writes the load fuzzer's seed corpus: real saved models of both fuzz pipelines, and the corrupted files of every
// loader bug found so far, each in JSON, CBOR and MessagePack; and .npy files (every dtype, order and version
// read_npy takes, and broken ones). Usage: make_seeds <folder>; writes <folder>/json, <folder>/cbor,
// <folder>/msgpack and <folder>/npy.

#include <cmath>
#include <cstdint>
#include <cstring>      // std::memcpy
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_pipelines.hpp"
#include "mlpipe/io/binary_formats.hpp"
#include "mlpipe/io/serialize.hpp"

namespace mp = mlpipe;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path out_dir;

void write(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string as_text(const std::vector<std::uint8_t>& bytes) { return std::string(bytes.begin(), bytes.end()); }

// One seed in the three formats.
void seed(const std::string& name, const json& envelope) {
  write(out_dir / "json" / (name + ".json"), envelope.dump());
  write(out_dir / "cbor" / (name + ".cbor"), as_text(json::to_cbor(envelope)));
  write(out_dir / "msgpack" / (name + ".msgpack"), as_text(json::to_msgpack(envelope)));
}

// A seed of raw bytes per format (files that are not envelopes at all).
void raw_seed(const std::string& name, const std::string& json_bytes, const std::string& cbor_bytes,
              const std::string& msgpack_bytes) {
  write(out_dir / "json" / (name + ".json"), json_bytes);
  write(out_dir / "cbor" / (name + ".cbor"), cbor_bytes);
  write(out_dir / "msgpack" / (name + ".msgpack"), msgpack_bytes);
}

// A variant of an envelope: a copy with one change.
void variant(const std::string& name, const json& envelope, const std::function<void(json&)>& change) {
  json copy = envelope;
  change(copy);
  seed(name, copy);
}

std::string repeated(const std::string& unit, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += unit;
  return out;
}

// A .npy file: the magic string, the version, the header's length (2 bytes in version 1, 4 in 2 and 3), the header
// dictionary padded with spaces to a multiple of 64 bytes and ended by a newline, then the payload.
std::string npy_file(const std::string& dict, const std::string& payload, int major = 1) {
  const std::size_t prefix = major == 1 ? 10 : 12;
  std::string header = dict;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  const std::size_t length = header.size();
  for (std::size_t b = 0; b < (major == 1 ? 2u : 4u); ++b) out += static_cast<char>((length >> (8 * b)) & 0xff);
  return out + header + payload;
}

std::string npy_dict(const std::string& descr, bool fortran, const std::string& shape) {
  return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape +
         ", }";
}

// The bytes of n values of type T: 0.5, 1.5, ... (or their integer parts).
template <class T>
std::string npy_values(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    const T v = static_cast<T>(0.5 + i);
    char bytes[sizeof(T)];
    std::memcpy(bytes, &v, sizeof(T));
    out.append(bytes, sizeof(T));
  }
  return out;
}

void npy_seed(const std::string& name, const std::string& bytes) { write(out_dir / "npy" / (name + ".npy"), bytes); }

void npy_seeds() {
  fs::create_directories(out_dir / "npy");
  npy_seed("f8_c_3x2", npy_file(npy_dict("<f8", false, "(3, 2)"), npy_values<double>(6)));
  npy_seed("f8_fortran_3x2", npy_file(npy_dict("<f8", true, "(3, 2)"), npy_values<double>(6)));
  npy_seed("f4_c_2x3", npy_file(npy_dict("<f4", false, "(2, 3)"), npy_values<float>(6)));
  npy_seed("i8_c_2x2", npy_file(npy_dict("<i8", false, "(2, 2)"), npy_values<std::int64_t>(4)));
  npy_seed("i4_fortran_4x1", npy_file(npy_dict("<i4", true, "(4, 1)"), npy_values<std::int32_t>(4)));
  npy_seed("f8_v2_2x2", npy_file(npy_dict("<f8", false, "(2, 2)"), npy_values<double>(4), 2));
  npy_seed("f8_v3_2x2", npy_file(npy_dict("<f8", true, "(2, 2)"), npy_values<double>(4), 3));
  npy_seed("f8_1d", npy_file(npy_dict("<f8", false, "(3,)"), npy_values<double>(3)));
  npy_seed("f8_0d", npy_file(npy_dict("<f8", false, "()"), npy_values<double>(1)));
  std::string with_nan = npy_values<double>(4);
  const double nan = std::nan("");
  std::memcpy(with_nan.data() + 8, &nan, sizeof nan);
  npy_seed("f8_nan", npy_file(npy_dict("<f8", false, "(2, 2)"), with_nan));
  npy_seed("truncated_payload", npy_file(npy_dict("<f8", false, "(3, 2)"), npy_values<double>(5)));
  npy_seed("huge_shape", npy_file(npy_dict("<f8", false, "(4611686018427387904, 4)"), npy_values<double>(4)));
  npy_seed("shape_overflow", npy_file(npy_dict("<f8", false, "(4294967296, 4294967296)"), npy_values<double>(4)));
  npy_seed("big_endian", npy_file(npy_dict(">f8", false, "(2, 2)"), npy_values<double>(4)));
  npy_seed("object_dtype", npy_file(npy_dict("|O", false, "(2, 2)"), npy_values<double>(4)));
  npy_seed("no_shape", npy_file("{'descr': '<f8', 'fortran_order': False, }", npy_values<double>(4)));
  npy_seed("empty_rows", npy_file(npy_dict("<f8", false, "(0, 3)"), ""));
  std::string long_header = npy_file(npy_dict("<f8", false, "(2, 2)"), npy_values<double>(4));
  long_header[8] = '\xff';  // a header length past the end of the file
  long_header[9] = '\x7f';
  npy_seed("header_past_end", long_header);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_seeds <folder>\n";
    return 2;
  }
  out_dir = argv[1];
  for (const char* format : {"json", "cbor", "msgpack"}) fs::create_directories(out_dir / format);
  npy_seeds();

  // Small deterministic data: 40 rows, 6 features; classes follow the first three features.
  const mp::index n = 40;
  mp::matrix X(n, 6);
  mp::vector y2(n), y3(n), target(n);
  for (mp::index i = 0; i < n; ++i) {
    y2(i) = static_cast<double>(i % 2);
    y3(i) = static_cast<double>(i % 3);
    for (mp::index j = 0; j < 6; ++j)
      X(i, j) = std::sin(0.7 * static_cast<double>(i) + 1.3 * static_cast<double>(j)) + (j < 3 ? 1.5 * y2(i) : 0.0);
    target(i) = X(i, 0) - 2.0 * X(i, 1) + 0.5 * X(i, 4);
  }
  mp::matrix X_regression = X;
  X_regression.col(5).setConstant(3.0);  // a constant column for variance_threshold to drop
  X_regression(4, 2) = std::nan("");     // missing values for simple_imputer
  X_regression(9, 0) = std::nan("");

  const json binary = mp::to_json(mp::fuzz::classifier_spec().fit(X, y2));
  const json multiclass = mp::to_json(mp::fuzz::classifier_spec().fit(X, y3));
  const json regression = mp::to_json(mp::fuzz::regressor_spec().fit(X_regression, target));
  seed("classifier_binary", binary);
  seed("classifier_multiclass", multiclass);
  seed("regressor", regression);

  // The loader's bugs as they were reported, and their neighbours.
  const auto steps = [](json& e) -> json& { return e["model"]["steps"]; };
  variant("select_support_out_of_range", binary, [&](json& e) { steps(e)[1]["state"]["support"] = {0, 1, 99}; });
  variant("select_support_negative", binary, [&](json& e) { steps(e)[1]["state"]["support"] = {-1, 0, 1}; });
  variant("select_support_duplicate", binary, [&](json& e) { steps(e)[1]["state"]["support"] = {2, 2, 0}; });
  variant("scale_shorter_than_mean", binary, [&](json& e) { steps(e)[0]["state"]["scale"].erase(5); });
  variant("mean_longer_than_scale", binary, [&](json& e) { steps(e)[0]["state"]["mean"].push_back(1.0); });
  variant("classes_empty", binary, [&](json& e) { steps(e)[2]["state"]["classes"] = json::array(); });
  variant("classes_one", multiclass, [&](json& e) { steps(e)[2]["state"]["classes"] = {0}; });
  variant("classes_unsorted", multiclass, [&](json& e) { steps(e)[2]["state"]["classes"] = {2, 0, 1}; });
  variant("intercept_empty", binary, [&](json& e) { steps(e)[2]["state"]["intercept"] = json::array(); });
  variant("coef_rows_overflow", binary, [&](json& e) {
    steps(e)[2]["state"]["coef"] = {{"rows", 4611686018427387904}, {"cols", 4}, {"data", json::array()}};
  });
  variant("coef_narrower", multiclass, [&](json& e) {
    steps(e)[2]["state"]["coef"] = {{"rows", 3}, {"cols", 2}, {"data", {1, 2, 3, 4, 5, 6}}};
  });
  variant("coef_nan", binary, [&](json& e) { steps(e)[2]["state"]["coef"]["data"][0] = "nan"; });
  variant("schema_version_wraps", binary, [&](json& e) { steps(e)[0]["schema_version"] = 4294967297; });
  variant("format_version_wraps", binary, [&](json& e) { e["format_version"] = 4294967297; });
  variant("n_samples_seen_unsigned", binary,
          [&](json& e) { steps(e)[0]["state"]["n_samples_seen"] = 18446744073709551615u; });
  variant("metadata_mismatch", binary, [&](json& e) { e["metadata"]["n_features_in"] = 99; });
  variant("metadata_not_object", binary, [&](json& e) { e["metadata"] = {6}; });
  variant("select_k_negative", binary, [&](json& e) { steps(e)[1]["params"]["k"] = -1; });
  variant("imputer_statistics_shorter", regression, [&](json& e) { steps(e)[0]["state"]["statistics"].erase(0); });
  variant("minmax_scale_shorter", regression, [&](json& e) { steps(e)[1]["state"]["scale"].erase(0); });
  variant("variance_support_out_of_range", regression,
          [&](json& e) { steps(e)[2]["state"]["support"] = {0, 1, 50}; });
  variant("ridge_coef_longer", regression, [&](json& e) { steps(e)[3]["state"]["coef"].push_back(1.0); });
  variant("ridge_intercept_list", regression, [&](json& e) { steps(e)[3]["state"]["intercept"] = json::array(); });

  // Nesting far past the limit: [[[[..., and {"a": {"a": ... in each format's own bytes.
  raw_seed("deep_arrays", std::string(1000, '['), std::string(1000, '\x81'), std::string(1000, '\x91'));
  raw_seed("deep_objects", repeated("{\"a\":", 1000), repeated("\xa1\x61\x61", 1000), repeated("\x81\xa1\x61", 1000));
  return 0;
}
