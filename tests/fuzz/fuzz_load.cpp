// libFuzzer target: bytes -> load_from_bytes<Fitted>(bytes, format) -> predict. Built three times, with
// MLPIPE_FUZZ_FORMAT = json, cbor or msgpack (see tests/fuzz/README.md). Every input is tried as both pipelines of
// fuzz_pipelines.hpp; when one loads, predict, predict_one and (for the classifier) predict_proba and
// predict_proba_one run on rows of the model's width. A load_error or another mlpipe::error is an expected outcome;
// anything else (a sanitizer report, another exception, an abort, a huge allocation) is a finding.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_pipelines.hpp"
#include "mlpipe/io/binary_formats.hpp"
#include "mlpipe/io/serialize.hpp"

#ifndef MLPIPE_FUZZ_FORMAT
#error "define MLPIPE_FUZZ_FORMAT as json, cbor or msgpack"
#endif

namespace {

namespace mp = mlpipe;

template <class Fitted>
void exercise(std::span<const std::byte> bytes) {
  Fitted fitted;
  try {
    fitted = mp::load_from_bytes<Fitted>(bytes, mp::file_format::MLPIPE_FUZZ_FORMAT, "fuzz");
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
