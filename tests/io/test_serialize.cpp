#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>  // std::random_device
#include <string>
#include <utility>  // std::exchange

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
