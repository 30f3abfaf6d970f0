#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
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

// nlohmann's DOM builder behind a depth count: the binary readers recurse once per array or object, so a file of
// 0x81 0x81 0x81 ... (CBOR) or 0x91 0x91 ... (MessagePack) is stopped at max_nesting_depth levels instead of
// overflowing the stack.
class depth_limited_builder {
 public:
  explicit depth_limited_builder(json& result) : builder_(result, true) {}

  bool null() { return builder_.null(); }
  bool boolean(bool value) { return builder_.boolean(value); }
  bool number_integer(json::number_integer_t value) { return builder_.number_integer(value); }
  bool number_unsigned(json::number_unsigned_t value) { return builder_.number_unsigned(value); }
  bool number_float(json::number_float_t value, const json::string_t& text) {
    return builder_.number_float(value, text);
  }
  bool string(json::string_t& value) { return builder_.string(value); }
  bool binary(json::binary_t& value) { return builder_.binary(value); }
  bool start_object(std::size_t size) {
    enter();
    return builder_.start_object(size);
  }
  bool key(json::string_t& value) { return builder_.key(value); }
  bool end_object() {
    --depth_;
    return builder_.end_object();
  }
  bool start_array(std::size_t size) {
    enter();
    return builder_.start_array(size);
  }
  bool end_array() {
    --depth_;
    return builder_.end_array();
  }
  template <class Exception>
  bool parse_error(std::size_t position, const std::string& token, const Exception& e) {
    return builder_.parse_error(position, token, e);  // throws e
  }

 private:
  void enter() {
    if (++depth_ > max_nesting_depth) throw_nesting_too_deep();
  }

  nlohmann::detail::json_sax_dom_parser<json> builder_;
  int depth_ = 0;
};

inline json decode_binary(const char* first, const char* last, file_format format) {
  json result;
  depth_limited_builder builder(result);
  json::sax_parse(first, last, &builder,
                  format == file_format::cbor ? json::input_format_t::cbor : json::input_format_t::msgpack);
  return result;
}

inline constexpr binary_codec nlohmann_binary_codec{&encode_binary, &decode_binary};

inline const bool binary_formats_registered = (registered_binary_codec() = &nlohmann_binary_codec, true);

}  // namespace mlpipe::detail
