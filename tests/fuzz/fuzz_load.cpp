// libFuzzer target: bytes -> load_from_bytes<Fitted>(bytes, format) -> predict, with the format named by the
// environment variable MLPIPE_FUZZ_FORMAT = json (the default), cbor or msgpack (see tests/fuzz/README.md): one
// executable for the three formats. Every input is tried as both pipelines of
// fuzz_pipelines.hpp; when one loads, predict, predict_one and (for the classifier) predict_proba and
// predict_proba_one run on rows of the model's width. A load_error or another mlpipe::error is an expected outcome;
// anything else (a sanitizer report, another exception, an abort, a huge allocation) is a finding.
// MLPIPE_FUZZ_FORMAT = npy fuzzes read_npy instead: each input is written to a file and read as a dataset without a
// target, with column 0 as the target, and with the file as its own target file; a dataset that reads must have
// the shape read_npy promises.

#include <cstddef>
#include <cstdint>
#include <cstdio>       // std::fprintf
#include <cstdlib>      // std::getenv, std::abort
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>     // getpid

#include "fuzz_pipelines.hpp"
#include "mlpipe/io/binary_formats.hpp"
#include "mlpipe/io/npy.hpp"
#include "mlpipe/io/serialize.hpp"

namespace {

namespace mp = mlpipe;

// What the inputs are: model files in one of the three formats, or .npy files.
struct fuzz_mode {
  bool npy = false;
  mp::file_format format = mp::file_format::json;
};

fuzz_mode mode_from_environment() {
  const char* value = std::getenv("MLPIPE_FUZZ_FORMAT");
  const std::string_view name = value != nullptr ? value : "json";
  if (name == "json") return {false, mp::file_format::json};
  if (name == "cbor") return {false, mp::file_format::cbor};
  if (name == "msgpack") return {false, mp::file_format::msgpack};
  if (name == "npy") return {true, mp::file_format::json};
  std::fprintf(stderr, "MLPIPE_FUZZ_FORMAT=%s: expected json, cbor, msgpack or npy\n", value);
  std::abort();
}

const fuzz_mode mode = mode_from_environment();
const mp::file_format format = mode.format;

// read_npy on the bytes (written to a file of this process's own): an mlpipe::error or a dataset of the promised
// shape (at least one row and one feature, one name per feature, y with one value per row when there is a target).
void exercise_npy(std::span<const std::byte> bytes) {
  static const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("mlpipe_fuzz_" + std::to_string(getpid()) + ".npy");
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  const mp::npy_options ways[] = {mp::npy_options{}, mp::npy_options{.target = 0}, mp::npy_options{.target = path}};
  for (const mp::npy_options& options : ways) {
    try {
      const mp::dataset d = mp::read_npy(path, options);
      const bool has_target = options.target.column().has_value() || !options.target.file().empty();
      if (d.X.rows() < 1 || d.X.cols() < 1 || static_cast<mp::index>(d.feature_names.size()) != d.X.cols() ||
          (has_target ? d.y.size() != d.X.rows() : d.y.size() != 0)) {
        std::fprintf(stderr, "read_npy returned a %ld x %ld dataset with %zu names and %ld targets\n",
                     static_cast<long>(d.X.rows()), static_cast<long>(d.X.cols()), d.feature_names.size(),
                     static_cast<long>(d.y.size()));
        std::abort();
      }
    } catch (const mp::error&) {
    }
  }
}

template <class Fitted>
void exercise(std::span<const std::byte> bytes) {
  Fitted fitted;
  try {
    fitted = mp::load_from_bytes<Fitted>(bytes, format, "fuzz");
  } catch (const mp::load_error&) {
    return;
  }
  // Three rows of the model's width: zeros, growing values, and alternating large and negative ones.
  const mp::index n = fitted.n_features_in();
  mp::matrix X(3, n);
  for (mp::index j = 0; j < n; ++j) {
    X(0, j) = 0.0;
    X(1, j) = static_cast<double>(j + 1);
    X(2, j) = j % 2 ? -2.5 : 1e3;
  }
  try {
    (void)fitted.predict(X);
  } catch (const mp::error&) {
  }
  std::vector<double> row(static_cast<std::size_t>(n));
  for (mp::index i = 0; i < X.rows(); ++i) {
    for (mp::index j = 0; j < n; ++j) row[static_cast<std::size_t>(j)] = X(i, j);
    try {
      (void)fitted.predict_one(row);
    } catch (const mp::error&) {
    }
    if constexpr (requires { fitted.predict_proba(X); }) {
      std::vector<double> out(static_cast<std::size_t>(fitted.template get<"model">().classes().size()));
      try {
        fitted.predict_proba_one(row, out);
      } catch (const mp::error&) {
      }
    }
  }
  if constexpr (requires { fitted.predict_proba(X); }) {
    try {
      (void)fitted.predict_proba(X);
    } catch (const mp::error&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  if (mode.npy) {
    exercise_npy(bytes);
    return 0;
  }
  exercise<mp::fuzz::classifier>(bytes);
  exercise<mp::fuzz::regressor>(bytes);
  return 0;
}
