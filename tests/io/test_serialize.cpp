#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>  // std::random_device
#include <span>
#include <string>
#include <thread>
#include <utility>  // std::exchange

#include <fcntl.h>     // open
#include <signal.h>    // kill, SIGKILL
#include <sys/file.h>  // flock
#include <sys/wait.h>  // waitpid
#include <unistd.h>    // fork, _exit

#include "mlpipe/core/column_transformer.hpp"
#include "mlpipe/core/pipeline.hpp"
#include "mlpipe/core/transform_fn.hpp"
#include "mlpipe/core/union.hpp"
#include "mlpipe/feature_selection/select_k_best.hpp"
#include "mlpipe/io/binary_formats.hpp"  // .cbor and .msgpack
#include "mlpipe/io/serialize.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "support.hpp"

// File-local names live here: the test files are compiled together in batches (a unity build).
namespace test_serialize_tests {

namespace mp = mlpipe;
namespace fs = std::filesystem;
using mp::test::error_message;

namespace {

// A fresh folder per test case, removed afterwards; unique across the test processes CTest runs in parallel.
struct temp_dir {
  fs::path path;
  temp_dir() : path(fs::temp_directory_path() / ("mlpipe_test_" + std::to_string(std::random_device{}()))) {
    fs::create_directories(path);
  }
  ~temp_dir() { fs::remove_all(path); }
  fs::path operator/(const std::string& name) const { return path / name; }
};

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

auto scaler_ridge() { return mp::step<"scale">(mp::standard_scaler{}) | mp::step<"model">(mp::ridge{.alpha = 0.3}); }

std::span<const std::byte> bytes_of(const std::string& text) { return std::as_bytes(std::span(text)); }

// The temporary files a save to `name` makes (name.tmp-<16 hex digits>) found in a folder.
int temp_files(const fs::path& dir, const std::string& name) {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(dir))
    n += mp::detail::is_temp_name(entry.path().filename().string(), name + ".tmp-") ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("a saved and reloaded pipeline predicts bit-identically in every format", "[io][serialize]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto fitted = scaler_ridge().fit(d.X, d.y);
  temp_dir dir;
  for (const std::string name : {"model.json", "model.cbor", "model.msgpack"}) {
    CAPTURE(name);
    mp::save(fitted, dir / name);
    const auto back = mp::load<std::remove_cvref_t<decltype(fitted)>>(dir / name);
    CHECK(back.predict(d.X) == fitted.predict(d.X));
    CHECK(back.get<"model">().coef() == fitted.get<"model">().coef());
    CHECK(back.get<"model">().intercept() == fitted.get<"model">().intercept());
    CHECK(back.get<"scale">().var() == fitted.get<"scale">().var());
    CHECK(back.get<"scale">().n_samples_seen() == 442);
    CHECK(back.get<"model">().spec().alpha == 0.3);
    const mp::vector row = d.X.row(5).transpose();
    const std::span<const double> r(row.data(), 10);
    CHECK(back.predict_one(r) == fitted.predict_one(r));
    // predict_one sums in another order than the batch product: equal to rounding, not to the bit.
    CHECK(back.predict_one(r) == Approx(fitted.predict(d.X.row(5))(0)).epsilon(1e-13));
  }
  // Nothing but the three models is left in the folder: the temporary files were renamed into place.
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 3);
}

TEST_CASE("without binary_formats.hpp, the binary formats are refused by name", "[io][serialize]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto fitted = scaler_ridge().fit(d.X, d.y);
  using fitted_type = std::remove_cvref_t<decltype(fitted)>;
  temp_dir dir;
  mp::save(fitted, dir / "model.cbor");
  // What a program that never includes the header sees: no codec registered.
  struct unregister {
    const mp::detail::binary_codec* saved = std::exchange(mp::detail::registered_binary_codec(), nullptr);
    ~unregister() { mp::detail::registered_binary_codec() = saved; }
  } scope;
  const std::string needs = " format is compiled only into programs that include <mlpipe/io/binary_formats.hpp>; "
                            "include it in one source file, or use .json";
  CHECK(error_message<mp::error>([&] { mp::save(fitted, dir / "other.msgpack"); }) ==
        "save: '" + (dir / "other.msgpack").string() + "': the MessagePack" + needs);
  CHECK(error_message<mp::load_error>([&] { (void)mp::load<fitted_type>(dir / "model.cbor"); }) ==
        (dir / "model.cbor").string() + ": the CBOR" + needs);
  CHECK_FALSE(fs::exists(dir / "other.msgpack"));
  // JSON needs nothing more.
  mp::save(fitted, dir / "model.json");
  CHECK(mp::load<fitted_type>(dir / "model.json").predict(d.X) == fitted.predict(d.X));
}

TEST_CASE("the envelope names the format, the versions, the graph and the state", "[io][serialize]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto fitted = scaler_ridge().fit(d.X, d.y);
  const nlohmann::json j = mp::to_json(fitted);
  CHECK(j["format"] == "mlpipe");
  CHECK(j["format_version"] == 1);
  CHECK(j["library_version"] == mp::version_string);
  CHECK(j["signature"] == "pipeline(scale:standard_scaler,model:ridge)");
  CHECK(j["metadata"]["n_features_in"] == 10);
  const auto& steps = j["model"]["steps"];
  REQUIRE(steps.size() == 2);
  CHECK(steps[0]["name"] == "scale");
  CHECK(steps[0]["kind"] == "standard_scaler");
  CHECK(steps[0]["params"]["with_mean"] == true);
  CHECK(steps[1]["params"]["alpha"] == 0.3);
  CHECK(steps[1]["state"]["coef"].size() == 10);
  // Doubles are written as the shortest text that reads back exactly.
  CHECK(steps[1]["state"]["coef"][0].get<double>() == fitted.get<"model">().coef()(0));
}

TEST_CASE("composite graphs and non-finite values round-trip", "[io][serialize]") {
  const auto& d = mp::test::load("diabetes.csv");
  auto features = mp::column_transformer(
      mp::remainder::passthrough,
      mp::step<"body">(mp::columns({0, 2, 3}, mp::union_of(mp::step<"scaled">(mp::standard_scaler{}),
                                                            mp::step<"abs">(mp::transform_fn([](const mp::matrix_view& X) {
                                                              return X.array().abs().matrix();
                                                            }))))));
  const auto fitted = (mp::step<"features">(features) | mp::step<"model">(mp::ridge{})).fit(d.X, d.y);
  temp_dir dir;
  mp::save(fitted, dir / "graph.json");
  const auto back = mp::load<std::remove_cvref_t<decltype(fitted)>>(dir / "graph.json");
  CHECK(back.predict(d.X) == fitted.predict(d.X));
  CHECK(back.get<"features">().passthrough() == fitted.get<"features">().passthrough());

  // Non-finite numbers where a state may hold them: a selector's scores (nan for a constant feature, inf where a
  // feature separates the classes perfectly); and a subnormal p-value.
  const mp::select_k_best::fitted odd(mp::select_k_best{.k = 1},
                                      {(mp::vector(3) << std::nan(""), HUGE_VAL, -HUGE_VAL).finished(),
                                       (mp::vector(3) << std::nan(""), 0.0, 1e-310).finished()},
                                      {1});
  mp::save(odd, dir / "odd.json");
  const auto odd_back = mp::load<mp::select_k_best::fitted>(dir / "odd.json");
  CHECK(std::isnan(odd_back.scores()(0)));
  CHECK(odd_back.scores()(1) == HUGE_VAL);
  CHECK(odd_back.scores()(2) == -HUGE_VAL);
  CHECK(odd_back.pvalues()(2) == 1e-310);  // a subnormal survives the text round trip
}

TEST_CASE("loading a bad file is a load_error naming what differed", "[io][serialize]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto fitted = scaler_ridge().fit(d.X, d.y);
  using fitted_type = std::remove_cvref_t<decltype(fitted)>;
  temp_dir dir;
  const fs::path file = dir / "model.json";
  mp::save(fitted, file);
  const std::string good = read_text(file);
  const std::string f = file.string();
  auto load = [&] { (void)mp::load<fitted_type>(file); };

  SECTION("missing") {
    CHECK(error_message<mp::load_error>([&] { (void)mp::load<fitted_type>(dir / "none.json"); }) ==
          (dir / "none.json").string() + ": cannot open the file: No such file or directory");
  }
  SECTION("truncated") {
    write_text(file, good.substr(0, good.size() / 2));
    CHECK_THAT(error_message<mp::load_error>(load), Catch::StartsWith(f + ": the file is truncated or corrupt ("));
    std::ofstream(dir / "t.cbor", std::ios::binary) << std::string(5, '\xa5');
    CHECK_THAT(error_message<mp::load_error>([&] { (void)mp::load<fitted_type>(dir / "t.cbor"); }),
               Catch::StartsWith((dir / "t.cbor").string() + ": the file is truncated or corrupt ("));
  }
  SECTION("not an mlpipe file") {
    write_text(file, "{\"hello\": 1}");
    CHECK(error_message<mp::load_error>(load) == f + ": not an mlpipe model file (no \"format\": \"mlpipe\")");
  }
  SECTION("a newer format") {
    write_text(file, std::string(good).replace(good.find("\"format_version\": 1"), 19, "\"format_version\": 7"));
    CHECK(error_message<mp::load_error>(load) == f + ": format version 7; this build reads versions 1 to 1");
  }
  SECTION("another pipeline type") {
    CHECK(error_message<mp::load_error>([&] { (void)mp::load<mp::ridge::fitted>(file); }) ==
          f + ": the file holds a model of another pipeline type: pipeline(scale:standard_scaler,model:ridge); the "
              "type it is loaded as is ridge");
    const auto other = (mp::step<"scale">(mp::standard_scaler{}) | mp::step<"ridge">(mp::ridge{})).fit(d.X, d.y);
    CHECK(error_message<mp::load_error>([&] { (void)mp::load<std::remove_cvref_t<decltype(other)>>(file); }) ==
          f + ": the file holds a model of another pipeline type: pipeline(scale:standard_scaler,model:ridge); the "
              "type it is loaded as is pipeline(scale:standard_scaler,ridge:ridge)");
  }
  SECTION("a state field missing or of the wrong shape") {
    nlohmann::json j = nlohmann::json::parse(good);
    j["model"]["steps"][1]["state"].erase("intercept");
    write_text(file, j.dump());
    CHECK(error_message<mp::load_error>(load) == f + ": model steps[1] 'model' state: 'intercept' is missing");

    j = nlohmann::json::parse(good);
    j["model"]["steps"][0]["state"]["mean"] = "zero";
    write_text(file, j.dump());
    CHECK(error_message<mp::load_error>(load) ==
          f + ": model steps[0] 'scale' state.mean: expected a list of numbers, found string");

    j = nlohmann::json::parse(good);
    j["model"]["steps"][1]["params"]["alpha"] = "big";
    write_text(file, j.dump());
    CHECK(error_message<mp::load_error>(load) ==
          f + ": model steps[1] 'model' params.alpha: expected a real number, found \"big\"");

    j = nlohmann::json::parse(good);
    j["model"]["steps"][1]["kind"] = "lasso";
    write_text(file, j.dump());
    CHECK(error_message<mp::load_error>(load) ==
          f + ": model steps[1] 'model': the file holds a lasso where the type expects a ridge");

    j = nlohmann::json::parse(good);
    j["model"]["steps"][0]["schema_version"] = 2;
    write_text(file, j.dump());
    CHECK(error_message<mp::load_error>(load) ==
          f + ": model steps[0] 'scale' (standard_scaler): schema version 2 in the file; this build reads version 1");

    j = nlohmann::json::parse(good);
    j["metadata"]["n_features_in"] = 11;
    write_text(file, j.dump());
    CHECK(error_message<mp::load_error>(load) == f + ": metadata says 11 input features but the model has 10");
  }
  SECTION("a matrix whose data does not fit its shape") {
    mp::matrix M(2, 3);
    M << 1, 2, 3, 4, 5, 6;
    nlohmann::json node;
    mp::detail::json_writer writer(node);
    writer("m", M);
    node["state"]["m"]["data"].erase(0);
    mp::matrix back;
    mp::detail::json_reader reader(node, "here");
    CHECK(error_message<mp::load_error>([&] { reader("m", back); }) ==
          "here state.m: a 2 x 3 matrix needs 6 values, found 5");
  }
}

TEST_CASE("save reports a folder it cannot write to", "[io][serialize]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto fitted = mp::ridge{}.fit(d.X, d.y);
  const fs::path target = fs::temp_directory_path() / "mlpipe_no_such_dir" / "m.json";
  CHECK_THAT(error_message<mp::error>([&] { mp::save(fitted, target); }),
             Catch::StartsWith("save: cannot create '" + target.string() + ".tmp-"));
}

TEST_CASE("a message quotes at most a few hundred characters of a file", "[io][serialize]") {
  using nlohmann::json;
  CHECK(mp::detail::excerpt(json("lasso")) == "\"lasso\"");
  CHECK(mp::detail::excerpt(json::parse(R"({"a": [1, 2.5, null, true], "b": {}})")) ==
        R"({"a": [1, 2.5, null, true], "b": {}})");
  json long_list = json::array();
  for (int i = 0; i < 100000; ++i) long_list.push_back(i);
  const std::string list = mp::detail::excerpt(long_list);
  CHECK(list.size() < 300);
  CHECK_THAT(list, Catch::StartsWith("[0, 1, 2, 3,") && Catch::EndsWith(", ...]"));
  const std::string text = mp::detail::excerpt(json(std::string(1'000'000, 'x')));
  CHECK(text == "\"" + std::string(200, 'x') + "...\"");
  json deep = 1;
  for (int i = 0; i < 100; ++i) deep = json::array({deep});
  CHECK(mp::detail::excerpt(deep) == "[[[[[...]]]]]");
  CHECK(mp::detail::excerpt(json::binary({1, 2, 3})) == "<3 bytes of binary data>");
  CHECK(mp::detail::excerpt(json(std::nan(""))) == "nan");
  CHECK(mp::detail::excerpt(json(std::string("\xff\xfe"))) == "\"\xef\xbf\xbd\xef\xbf\xbd\"");  // replaced, no throw
  CHECK(mp::detail::clipped(std::string(1000, 'k')) == std::string(200, 'k') + "... (1000 characters)");
}

TEST_CASE("load_from_bytes reads a model from memory in every format", "[io][serialize]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto fitted = scaler_ridge().fit(d.X, d.y);
  using fitted_type = std::remove_cvref_t<decltype(fitted)>;
  temp_dir dir;
  for (const auto& entry : {std::pair{"m.json", mp::file_format::json}, std::pair{"m.cbor", mp::file_format::cbor},
                            std::pair{"m.msgpack", mp::file_format::msgpack}}) {
    const std::string name = entry.first;
    const mp::file_format format = entry.second;  // not a structured binding: clang 14 cannot capture one
    CAPTURE(name);
    mp::save(fitted, dir / name);
    const std::string bytes = read_text(dir / name);
    CHECK(mp::load_from_bytes<fitted_type>(bytes_of(bytes), format).predict(d.X) == fitted.predict(d.X));
    CHECK(error_message<mp::load_error>([&] {
            (void)mp::load_from_bytes<fitted_type>(bytes_of(bytes.substr(0, 4)), format, "model #7");
          }).starts_with("model #7: the file is truncated or corrupt ("));
  }
  CHECK(error_message<mp::load_error>([&] { (void)mp::load_from_bytes<fitted_type>({}, mp::file_format::json); }) ==
        "<bytes>: the file is truncated or corrupt ([json.exception.parse_error.101] parse error at line 1, column 1: "
        "syntax error while parsing value - unexpected end of input; expected '[', '{', or a literal)");
}

TEST_CASE("nesting is bounded in every format: a deep file is a load_error, not a stack overflow",
          "[io][serialize]") {
  using fitted_type = mp::ridge::fitted;
  const std::string too_deep = ": arrays and objects are nested more than 128 levels deep";
  auto message = [](const std::string& bytes, mp::file_format format) {
    return error_message<mp::load_error>([&] { (void)mp::load_from_bytes<fitted_type>(bytes_of(bytes), format); });
  };
  // 200,000 unclosed levels in each format; JSON also closed (a valid document).
  CHECK(message(std::string(200'000, '['), mp::file_format::json) == "<bytes>" + too_deep);
  CHECK(message(std::string(200'000, '[') + std::string(200'000, ']'), mp::file_format::json) == "<bytes>" + too_deep);
  CHECK(message(std::string(200'000, '\x81'), mp::file_format::cbor) == "<bytes>" + too_deep);     // [[[[...
  CHECK(message(std::string(200'000, '\x91'), mp::file_format::msgpack) == "<bytes>" + too_deep);  // [[[[...
  std::string cbor_objects;
  std::string msgpack_objects;
  for (int i = 0; i < 100'000; ++i) {
    cbor_objects += "\xa1\x61\x61";     // {"a": {"a": ...
    msgpack_objects += "\x81\xa1\x61";  // {"a": {"a": ...
  }
  CHECK(message(cbor_objects, mp::file_format::cbor) == "<bytes>" + too_deep);
  CHECK(message(msgpack_objects, mp::file_format::msgpack) == "<bytes>" + too_deep);
  // Objects count as levels too, and the limit is exact: 128 levels load as JSON, 129 do not.
  std::string objects;
  for (int i = 0; i < 129; ++i) objects += "{\"a\":";
  CHECK(message(objects + "1" + std::string(129, '}'), mp::file_format::json) == "<bytes>" + too_deep);
  CHECK(message(std::string(128, '[') + std::string(128, ']'), mp::file_format::json) ==
        "<bytes>: not an mlpipe model file (no \"format\": \"mlpipe\")");
  CHECK(message(std::string(128, '\x81') + '\x01', mp::file_format::cbor) ==
        "<bytes>: not an mlpipe model file (no \"format\": \"mlpipe\")");
  CHECK(message(std::string(129, '\x91') + '\x01', mp::file_format::msgpack) == "<bytes>" + too_deep);
  // Through load() the file is named.
  temp_dir dir;
  write_text(dir / "deep.json", std::string(200'000, '['));
  CHECK(error_message<mp::load_error>([&] { (void)mp::load<fitted_type>(dir / "deep.json"); }) ==
        (dir / "deep.json").string() + too_deep);
}

TEST_CASE("a bad value in a file is quoted in a few hundred characters at most", "[io][serialize]") {
  const auto fitted = mp::ridge::fitted(mp::ridge{}, mp::vector::Ones(3), 0.5);
  nlohmann::json j = mp::to_json(fitted);
  nlohmann::json nested = 7;
  for (int i = 0; i < 100; ++i) nested = nlohmann::json::array({nested});
  auto message = [&] {
    return error_message<mp::load_error>([&] { (void)mp::from_json<mp::ridge::fitted>(j, "f"); });
  };
  j["format_version"] = nested;
  CHECK(message() == "f: format version [[[[[...]]]]]; this build reads versions 1 to 1");
  j["format_version"] = std::vector<int>(100'000, 1);
  CHECK(message().size() < 400);
  j["format_version"] = 1;
  j["model"]["kind"] = std::string(1'000'000, 'q');
  CHECK(message() == "f: model: the file holds a " + std::string(200, 'q') +
                         "... (1000000 characters) where the type expects a ridge");
  j["model"]["kind"] = "ridge";
  j["model"]["params"]["alpha"] = std::string(5000, 'a');
  CHECK(message() == "f: model params.alpha: expected a real number, found \"" + std::string(199, 'a') +
                         "... (5002 characters)");
  j["model"]["params"]["alpha"] = 1.0;
  j["model"]["state"]["intercept"] = std::vector<std::string>(100'000, "x");
  CHECK(message().size() < 400);
  j["format"] = 1;  // not a string: still just "not an mlpipe file"
  CHECK(message() == "f: not an mlpipe model file (no \"format\": \"mlpipe\")");
}

TEST_CASE("integers are range-checked before conversion: 4294967297 is not read as 1", "[io][serialize]") {
  const auto& d = mp::test::load("diabetes.csv");
  const auto fitted = scaler_ridge().fit(d.X, d.y);
  using fitted_type = std::remove_cvref_t<decltype(fitted)>;
  nlohmann::json j = mp::to_json(fitted);
  auto message = [&] { return error_message<mp::load_error>([&] { (void)mp::from_json<fitted_type>(j, "f"); }); };

  j["format_version"] = 4294967297;  // 2^32 + 1
  CHECK(message() == "f: format version 4294967297; this build reads versions 1 to 1");
  j["format_version"] = 18446744073709551615u;
  CHECK(message() == "f: format version 18446744073709551615; this build reads versions 1 to 1");
  j["format_version"] = 1.0;
  CHECK(message() == "f: format version 1.0; this build reads versions 1 to 1");
  j["format_version"] = 1;

  j["model"]["steps"][0]["schema_version"] = 4294967297;
  CHECK(message() ==
        "f: model steps[0] 'scale' (standard_scaler): schema version 4294967297 in the file; this build reads "
        "version 1");
  j["model"]["steps"][0]["schema_version"] = -4294967295;
  CHECK(message() == "f: model steps[0] 'scale' (standard_scaler): schema version -4294967295 in the file; this "
                     "build reads version 1");
  j["model"]["steps"][0]["schema_version"] = 1;

  j["model"]["steps"][0]["state"]["n_samples_seen"] = 18446744073709551615u;  // would wrap to -1
  CHECK(message() == "f: model steps[0] 'scale' state.n_samples_seen: 18446744073709551615 is out of range; expected "
                     "an integer from -9223372036854775808 to 9223372036854775807");
  j["model"]["steps"][0]["state"]["n_samples_seen"] = 442.5;
  CHECK(message() == "f: model steps[0] 'scale' state.n_samples_seen: expected an integer, found 442.5");
  j["model"]["steps"][0]["state"]["n_samples_seen"] = 442;
  CHECK(mp::from_json<fitted_type>(j).get<"scale">().n_samples_seen() == 442);

  // Members of every integer type, and lists of indices, through the reader.
  nlohmann::json node;
  node["state"] = {{"i", 4294967297}, {"u", -1}, {"big", 18446744073709551615u}, {"s", {1, 18446744073709551615u}}};
  mp::detail::json_reader reader(node, "here");
  int i = 0;
  unsigned u = 0;
  std::uint64_t big = 0;
  std::vector<mp::index> s;
  CHECK(error_message<mp::load_error>([&] { reader("i", i); }) ==
        "here state.i: 4294967297 is out of range; expected an integer from -2147483648 to 2147483647");
  CHECK(error_message<mp::load_error>([&] { reader("u", u); }) ==
        "here state.u: -1 is out of range; expected an integer from 0 to 4294967295");
  reader("big", big);
  CHECK(big == 18446744073709551615u);
  CHECK(error_message<mp::load_error>([&] { reader("s", s); }) ==
        "here state.s[1]: 18446744073709551615 is out of range; expected an integer from -9223372036854775808 to "
        "9223372036854775807");
}

TEST_CASE("a matrix's size is checked for overflow before anything is allocated", "[io][serialize]") {
  nlohmann::json node;
  mp::matrix back;
  mp::detail::json_reader reader(node, "here");
  auto message = [&] { return error_message<mp::load_error>([&] { reader("m", back); }); };
  node["state"]["m"] = {{"rows", 4611686018427387904}, {"cols", 4}, {"data", nlohmann::json::array()}};  // 2^62 x 4
  CHECK(message() == "here state.m: a 4611686018427387904 x 4 matrix needs more than 9223372036854775807 values, "
                     "found 0");
  node["state"]["m"] = {{"rows", 3037000500}, {"cols", 3037000500}, {"data", "x"}};  // just past 2^63 values
  CHECK(message() == "here state.m: a 3037000500 x 3037000500 matrix needs more than 9223372036854775807 values, "
                     "found string");
  node["state"]["m"] = {{"rows", 1 << 20}, {"cols", 1 << 20}, {"data", {1, 2}}};  // 2^40: fits, but the data does not
  CHECK(message() == "here state.m: a 1048576 x 1048576 matrix needs 1099511627776 values, found 2");
  node["state"]["m"] = {{"rows", -1}, {"cols", -4}, {"data", {1, 2, 3, 4}}};
  CHECK(message() == "here state.m.rows: -1 is out of range; expected an integer from 0 to 9223372036854775807");
  node["state"]["m"] = {{"rows", 2}, {"cols", 18446744073709551614u}, {"data", {1, 2, 3, 4}}};
  CHECK(message() == "here state.m.cols: 18446744073709551614 is out of range; expected an integer from 0 to "
                     "9223372036854775807");
  node["state"]["m"] = {{"rows", 0}, {"cols", 4611686018427387904}, {"data", nlohmann::json::array()}};
  reader("m", back);
  CHECK(back.size() == 0);
}

TEST_CASE("the envelope's metadata must be an object whose n_features_in is the model's", "[io][serialize]") {
  const auto fitted = mp::ridge::fitted(mp::ridge{}, mp::vector::Ones(3), 0.5);
  nlohmann::json j = mp::to_json(fitted);
  auto message = [&] {
    return error_message<mp::load_error>([&] { (void)mp::from_json<mp::ridge::fitted>(j, "f"); });
  };
  j["metadata"]["n_features_in"] = 3.0;
  CHECK(message() == "f: metadata.n_features_in: expected an integer, found 3.0");
  j["metadata"]["n_features_in"] = "3";
  CHECK(message() == "f: metadata.n_features_in: expected an integer, found \"3\"");
  j["metadata"]["n_features_in"] = 18446744073709551619.0;
  CHECK(message() == "f: metadata.n_features_in: expected an integer, found 1.8446744073709552e+19");
  j["metadata"]["n_features_in"] = 4;
  CHECK(message() == "f: metadata says 4 input features but the model has 3");
  j["metadata"].erase("n_features_in");
  CHECK(message() == "f: metadata: 'n_features_in' is missing");
  j["metadata"] = nlohmann::json::array({3});
  CHECK(message() == "f: metadata: expected an object, found array");
  j.erase("metadata");
  CHECK(message() == "f: 'metadata' is missing");
  j["metadata"] = {{"n_features_in", 3}};
  CHECK(mp::from_json<mp::ridge::fitted>(j).n_features_in() == 3);
}

TEST_CASE("save removes the temporary files of killed saves and leaves live ones alone", "[io][serialize]") {
  const auto fitted = mp::ridge::fitted(mp::ridge{}, mp::vector::Ones(3), 0.5);
  temp_dir dir;
  const auto touch = [](const fs::path& p) { std::ofstream(p) << "partial"; };
  touch(dir / "m.json.tmp-0123456789abcdef");  // a killed save's: nobody holds its lock
  touch(dir / "m.json.tmp-fedcba9876543210");  // a live save's: locked below
  touch(dir / "m.json.tmp-mine");              // not a name save makes
  touch(dir / "n.json.tmp-0123456789abcdef");  // another target's
  const int live = ::open((dir / "m.json.tmp-fedcba9876543210").c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(live >= 0);
  REQUIRE(::flock(live, LOCK_EX) == 0);
  mp::save(fitted, dir / "m.json");
  ::close(live);
  CHECK_FALSE(fs::exists(dir / "m.json.tmp-0123456789abcdef"));
  CHECK(fs::exists(dir / "m.json.tmp-fedcba9876543210"));
  CHECK(fs::exists(dir / "m.json.tmp-mine"));
  CHECK(fs::exists(dir / "n.json.tmp-0123456789abcdef"));
  CHECK(mp::load<mp::ridge::fitted>(dir / "m.json").intercept() == 0.5);
  mp::save(fitted, dir / "m.json");  // its writer is gone now
  CHECK(temp_files(dir.path, "m.json") == 0);
}

TEST_CASE("concurrent saves to one path all succeed and leave one complete model", "[io][serialize]") {
  const mp::vector coef = mp::vector::LinSpaced(5'000, -1.0, 1.0);
  const mp::ridge::fitted a(mp::ridge{}, coef, 1.0);
  const mp::ridge::fitted b(mp::ridge{}, coef, 2.0);
  temp_dir dir;
  const fs::path file = dir / "m.json";
  int failures = 0;
  auto saver = [&](const mp::ridge::fitted& model, int& failed) {
    for (int i = 0; i < 10; ++i) {
      try {
        mp::save(model, file);
      } catch (const std::exception&) {
        ++failed;
      }
    }
  };
  int failed_a = 0;
  int failed_b = 0;
  std::thread ta(saver, std::cref(a), std::ref(failed_a));
  std::thread tb(saver, std::cref(b), std::ref(failed_b));
  ta.join();
  tb.join();
  failures = failed_a + failed_b;
  CHECK(failures == 0);
  const auto back = mp::load<mp::ridge::fitted>(file);
  CHECK((back.intercept() == 1.0 || back.intercept() == 2.0));
  CHECK(back.coef() == coef);
  CHECK(temp_files(dir.path, "m.json") == 0);
}

TEST_CASE("kill -9 during save leaves the old or the new complete file, and no temporary files pile up",
          "[io][serialize]") {
  // A child process saves a model of about 100 KB of JSON in a loop, alternating two versions; it is killed at
  // varied moments, half of them while its temporary file is being written. The file must always load as one of the
  // two versions, and one more save must leave no temporary file behind.
  const mp::vector coef = mp::vector::LinSpaced(5'000, -1.0, 1.0);
  const mp::ridge::fitted a(mp::ridge{}, coef, 1.0);
  const mp::ridge::fitted b(mp::ridge{}, coef, 2.0);
  temp_dir dir;
  const fs::path file = dir / "model.json";
  mp::save(a, file);
  int kills_mid_write = 0;
  // 30 kills, or up to 60 until one has landed mid-write (on a tmpfs a write is over in microseconds).
  for (int kill_index = 0; kill_index < 30 || (kills_mid_write == 0 && kill_index < 60); ++kill_index) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      for (int i = 0;; ++i) {
        try {
          mp::save(i % 2 ? a : b, file);
        } catch (...) {
          ::_exit(1);
        }
      }
    }
    const auto start = std::chrono::steady_clock::now();
    if (kill_index % 2 == 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(500 + 1373 * (kill_index % 30)));  // 0.5 to 40 ms
    } else {
      // Wait (at most 2 s) until a temporary file exists, then kill at once: somewhere in the write or the fsync.
      while (temp_files(dir.path, "model.json") == 0 &&
             std::chrono::steady_clock::now() - start < std::chrono::seconds(2))
        std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
    ::kill(child, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));  // killed, not failed
    kills_mid_write += temp_files(dir.path, "model.json") > 0 ? 1 : 0;
    const auto back = mp::load<mp::ridge::fitted>(file);
    CHECK((back.intercept() == 1.0 || back.intercept() == 2.0));
  }
  CHECK(kills_mid_write > 0);  // the kills did land while a temporary file was being written
  mp::save(b, file);
  CHECK(temp_files(dir.path, "model.json") == 0);
  CHECK(mp::load<mp::ridge::fitted>(file).intercept() == 2.0);
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

}  // namespace test_serialize_tests
