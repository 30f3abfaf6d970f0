// libFuzzer target: bytes -> load_from_bytes<Fitted>(bytes, format) -> predict, with the format named by the
// environment variable MLPIPE_FUZZ_FORMAT = json (the default), cbor or msgpack (see tests/fuzz/README.md): one
// executable for the three formats. Every input is tried as both pipelines of
// fuzz_pipelines.hpp; when one loads, predict, predict_one and (for the classifier) predict_proba and
// predict_proba_one run on rows of the model's width. A load_error or another mlpipe::error is an expected outcome;
// anything else (a sanitizer report, another exception, an abort, a huge allocation) is a finding.

#include <cstddef>
#include <cstdint>
#include <cstdio>       // std::fprintf
#include <cstdlib>      // std::getenv, std::abort
#include <span>
#include <string_view>
#include <vector>

#include "fuzz_pipelines.hpp"
#include "mlpipe/io/binary_formats.hpp"
#include "mlpipe/io/serialize.hpp"

namespace {

namespace mp = mlpipe;

mp::file_format format_from_environment() {
  const char* value = std::getenv("MLPIPE_FUZZ_FORMAT");
  const std::string_view name = value != nullptr ? value : "json";
  if (name == "json") return mp::file_format::json;
  if (name == "cbor") return mp::file_format::cbor;
  if (name == "msgpack") return mp::file_format::msgpack;
  std::fprintf(stderr, "MLPIPE_FUZZ_FORMAT=%s: expected json, cbor or msgpack\n", value);
  std::abort();
}

const mp::file_format format = format_from_environment();

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
  exercise<mp::fuzz::classifier>(bytes);
  exercise<mp::fuzz::regressor>(bytes);
  return 0;
}
