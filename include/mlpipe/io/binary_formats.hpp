#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlpipe/io/serialize.hpp"

// Include this header in one source file of a program to let save and load read and write CBOR (.cbor) and
// MessagePack (.msgpack, .mpk) besides JSON. It is kept out of <mlpipe/mlpipe.hpp> because nlohmann/json's binary
// reader compiles all five of its binary formats at once: about a second in every file that includes it.
//
// The formats are registered when the program starts (an inline variable's initializer), so one including file is
// enough for every file of the program.

namespace mlpipe::detail {

inline std::vector<std::uint8_t> encode_binary(const json& envelope, file_format format) {
  return format == file_format::cbor ? json::to_cbor(envelope) : json::to_msgpack(envelope);
}

inline json decode_binary(const char* first, const char* last, file_format format) {
  return format == file_format::cbor ? json::from_cbor(first, last) : json::from_msgpack(first, last);
}

inline constexpr binary_codec nlohmann_binary_codec{&encode_binary, &decode_binary};

inline const bool binary_formats_registered = (registered_binary_codec() = &nlohmann_binary_codec, true);

}  // namespace mlpipe::detail
