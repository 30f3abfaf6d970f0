#include <catch2/catch.hpp>

#include <cmath>       // std::signbit, std::isnan
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "mlpipe/io/npy.hpp"
#include "mlpipe/models/ridge.hpp"
#include "mlpipe/preprocessing/standard_scaler.hpp"
#include "support.hpp"

// File-local names live here: the test files are compiled together in batches (a unity build).
namespace test_npy_tests {

namespace mp = mlpipe;
namespace fs = std::filesystem;
using mp::test::error_message;

const nlohmann::json& reference() { return mp::test::test_reference("npy"); }

// A numpy-written file of tests/reference/npy (made by tests/reference/npy.py).
fs::path npy_file(const std::string& key) {
  return fs::path(MLPIPE_TEST_REFERENCE_DIR) / "npy" / reference()["files"][key].get<std::string>();
}

std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A folder of hand-made hostile files, removed at the end.
struct temp_dir {
  fs::path path;
  temp_dir() : path(fs::temp_directory_path() / ("mlpipe_npy_" + std::to_string(std::random_device{}()))) {
    fs::create_directories(path);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() { fs::remove_all(path); }

  fs::path write(const std::string& name, const std::string& bytes) const {
    const fs::path file = path / name;
    std::ofstream out(file, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return file;
  }
};

// The bytes of a .npy file: magic, version, header length (2 bytes in 1.0, 4 after), header text, data.
std::string npy_bytes(const std::string& header, const std::string& data, int major = 1) {
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  const std::size_t n = header.size();
  out += static_cast<char>(n & 0xFF);
  out += static_cast<char>((n >> 8) & 0xFF);
  if (major > 1) {
    out += static_cast<char>((n >> 16) & 0xFF);
    out += static_cast<char>((n >> 24) & 0xFF);
  }
  return out + header + data;
}

// n float64 zeros as bytes.
std::string zeros(std::size_t n) { return std::string(8 * n, '\0'); }

std::string read_error(const fs::path& path, const mp::npy_options& options = {}) {
  return error_message<mp::invalid_input>([&] { (void)mp::read_npy(path, options); });
}

// Exact equality, -0.0 and NaN included: the bits numpy wrote come back.
void check_same_bits(const mp::matrix& got, const mp::matrix& expected) {
  REQUIRE(got.rows() == expected.rows());
  REQUIRE(got.cols() == expected.cols());
  for (mp::index i = 0; i < got.rows(); ++i) {
    for (mp::index j = 0; j < got.cols(); ++j) {
      INFO("row " << i << ", column " << j);
      if (std::isnan(expected(i, j))) {
        CHECK(std::isnan(got(i, j)));
      } else {
        CHECK(got(i, j) == expected(i, j));
        CHECK(std::signbit(got(i, j)) == std::signbit(expected(i, j)));
      }
    }
  }
}

TEST_CASE("read_npy reads numpy's files bit for bit in every version, order and dtype", "[io][npy]") {
  const mp::matrix X = mp::test::to_matrix(reference()["X"]);
  for (const char* key : {"c_f8", "fortran_f8", "v2_f8", "v3_f8"}) {
    INFO(key);
    const mp::dataset d = mp::read_npy(npy_file(key));
    check_same_bits(d.X, X);
    CHECK(d.y.size() == 0);
    CHECK(d.feature_names == std::vector<std::string>{"x0", "x1", "x2"});
    CHECK(d.target_name.empty());
  }
  // The version bytes are what the file says they are: 2.0 and 3.0 files are not 1.0 files in disguise.
  CHECK(file_bytes(npy_file("v2_f8"))[6] == 2);
  CHECK(file_bytes(npy_file("v3_f8"))[6] == 3);
  CHECK(file_bytes(npy_file("fortran_f8")).find("'fortran_order': True") != std::string::npos);

  const mp::matrix X_f4 = mp::test::to_matrix(reference()["X_f4"]);
  for (const char* key : {"c_f4", "fortran_f4"}) {
    INFO(key);
    check_same_bits(mp::read_npy(npy_file(key)).X, X_f4);
  }
  const mp::matrix ints = mp::test::to_matrix(reference()["ints"]);
  for (const char* key : {"c_i8", "fortran_i4"}) {
    INFO(key);
    check_same_bits(mp::read_npy(npy_file(key)).X, ints);
  }
}

TEST_CASE("read_npy takes the target from a column or from a second file", "[io][npy]") {
  const mp::matrix X = mp::test::to_matrix(reference()["X"]);
  for (const char* key : {"c_f8", "fortran_f8"}) {
    INFO(key);
    const mp::dataset d = mp::read_npy(npy_file(key), {.target = 1});
    REQUIRE(d.X.cols() == 2);
    check_same_bits(d.X.col(0), X.col(0));
    check_same_bits(d.X.col(1), X.col(2));
    check_same_bits(d.y, X.col(1));
    CHECK(d.feature_names == std::vector<std::string>{"x0", "x2"});
    CHECK(d.target_name == "x1");
  }
  const mp::vector target = mp::test::to_vector(reference()["target"]);
  for (const char* key : {"target", "target_column"}) {
    INFO(key);
    const mp::dataset d = mp::read_npy(npy_file("c_f8"), {.target = npy_file(key)});
    check_same_bits(d.X, X);
    check_same_bits(d.y, target);
    CHECK(d.target_name == key);
  }
  const std::string path = npy_file("target").string();
  CHECK(mp::read_npy(npy_file("fortran_f8"), {.target = path}).y == target);
  CHECK(mp::read_npy(npy_file("fortran_f8"), {.target = path.c_str()}).y == target);

  // A fit on what was read is the fit on the same numbers.
  const mp::dataset d = mp::read_npy(npy_file("c_f8"), {.target = npy_file("target")});
  const auto model = mp::ridge{.alpha = 1.0}.fit(d.X, d.y);
  CHECK(model.coef() == mp::ridge{.alpha = 1.0}.fit(X, target).coef());
}

TEST_CASE("read_npy keeps NaN and infinities for the stages' checks to report", "[io][npy]") {
  const mp::dataset d = mp::read_npy(npy_file("nan_inf"));
  check_same_bits(d.X, mp::test::to_matrix(reference()["nan_inf"]));
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::standard_scaler{}.fit(d.X); }) ==
        "standard_scaler: X has nan at row 3, column 1; expected finite values (impute missing values first, "
        "e.g. with simple_imputer)");
}

TEST_CASE("read_npy refuses numpy files it cannot read exactly, naming the file and the reason", "[io][npy]") {
  const auto name = [](const char* key) { return "read_npy: " + npy_file(key).string() + ": "; };
  CHECK(read_error(npy_file("big_endian")) ==
        name("big_endian") + "the dtype '>f8' is big-endian; expected little-endian ('<f8'): save it with "
                             "arr.astype('<f8')");
  CHECK(read_error(npy_file("structured")) ==
        name("structured") + "descr is a list of fields (a structured array); expected one of '<f8', '<f4', '<i8', "
                             "'<i4'");
  CHECK(read_error(npy_file("unsigned")) ==
        name("unsigned") + "the dtype '<u2' is not supported; expected '<f8' (float64), '<f4', '<i8' or '<i4'");
  CHECK(read_error(npy_file("big_i8")) ==
        name("big_i8") + "row 2, column 3: the integer 9007199254740993 has no exact double; expected integers of "
                         "magnitude at most 2^53 (9007199254740992)");
  CHECK(read_error(npy_file("vector")) ==
        name("vector") + "the array has shape (6,) (1 dimensions); expected a 2-D array (rows x features): reshape "
                         "it with X.reshape(-1, 1) for a single feature");
  CHECK(read_error(npy_file("c_f8"), {.target = 3}) ==
        name("c_f8") + "the target column 3 is out of range; expected 0 to 2 (the array has 3 columns)");
  CHECK(read_error(npy_file("c_f8"), {.target = -1}) ==
        name("c_f8") + "the target column -1 is out of range; expected 0 to 2 (the array has 3 columns)");
  CHECK(read_error(npy_file("c_f8"), {.target = npy_file("c_i8")}) ==
        name("c_i8") + "the target has shape (5, 4); expected (6,) or (6, 1)");
  CHECK(read_error(npy_file("c_i8"), {.target = npy_file("target")}) ==
        name("target") + "the target has 6 rows but the features have 5; expected one target per row");
}

TEST_CASE("read_npy refuses hostile files before it allocates", "[io][npy]") {
  const temp_dir dir;
  const std::string good_header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }          \n";
  const auto error_for = [&](const std::string& bytes) {
    const fs::path file = dir.write("hostile.npy", bytes);
    std::string message = read_error(file);
    const std::string prefix = "read_npy: " + file.string() + ": ";
    REQUIRE(message.substr(0, prefix.size()) == prefix);
    return message.substr(prefix.size());
  };
  // The hand-made encoder is right: its good file reads.
  CHECK(mp::read_npy(dir.write("good.npy", npy_bytes(good_header, zeros(6)))).X == mp::matrix::Zero(2, 3));
  CHECK(mp::read_npy(dir.write("good2.npy", npy_bytes(good_header, zeros(6), 2))).X == mp::matrix::Zero(2, 3));

  CHECK(error_message<mp::invalid_input>([&] { (void)mp::read_npy(dir.path / "missing.npy"); }) ==
        "read_npy: cannot open '" + (dir.path / "missing.npy").string() + "': No such file or directory");
  CHECK(error_for("") == "the file has 0 bytes, too few for a .npy header; expected at least 10");
  CHECK(error_for("\x93NUMP") == "the file has 5 bytes, too few for a .npy header; expected at least 10");
  CHECK(error_for("PK\x03\x04 not numpy at all") ==
        "it does not start with the .npy magic string \\x93NUMPY; expected a file written by numpy.save");
  std::string bytes = npy_bytes(good_header, zeros(6));
  bytes[6] = 4;
  CHECK(error_for(bytes) == "format version 4.0 is not supported; expected 1.0, 2.0 or 3.0");
  bytes[6] = 1;
  bytes[7] = 1;
  CHECK(error_for(bytes) == "format version 1.1 is not supported; expected 1.0, 2.0 or 3.0");
  CHECK(error_for(std::string("\x93NUMPY\x02\x00\x10", 9)) == "the file ends inside the header's length field");
  CHECK(error_for(npy_bytes(good_header, zeros(6)).substr(0, 40)) ==
        "the header says it is 70 bytes long but the file has only 30 bytes after the header's length; the file is "
        "truncated");
  CHECK(error_for(npy_bytes(std::string(20000, ' ') + "\n", "", 2)) ==
        "the header is 20001 bytes long; expected at most 10000 (numpy's limit)");

  // The header's dict.
  const auto header_error = [&](const std::string& header) { return error_for(npy_bytes(header, zeros(6))); };
  CHECK(header_error("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }") ==
        "the header \"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }\" is not a valid .npy header: it "
        "does not end with a newline");
  CHECK(header_error("{'descr': '<f8', 'shape': (2, 3), }\n") ==
        "the header \"{'descr': '<f8', 'shape': (2, 3), }\\n\" is not a valid .npy header: the key 'fortran_order' is "
        "missing");
  CHECK(header_error("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}\n") ==
        "the header \"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}\\n\" is not a valid .npy "
        "header: unknown key 'extra'; expected only 'descr', 'fortran_order' and 'shape'");
  CHECK(header_error("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}\n") ==
        "the header \"{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}\\n\" is not a valid "
        ".npy header: the key 'descr' is given twice");
  CHECK(header_error("{'descr': '<f8', 'fortran_order': 0, 'shape': (2, 3)}\n") ==
        "the header \"{'descr': '<f8', 'fortran_order': 0, 'shape': (2, 3)}\\n\" is not a valid .npy header: "
        "fortran_order is neither True nor False");
  CHECK(header_error("{'descr': '<f8', 'fortran_order': False, 'shape': (2, -3)}\n") ==
        "the header \"{'descr': '<f8', 'fortran_order': False, 'shape': (2, -3)}\\n\" is not a valid .npy header: "
        "expected a non-negative integer in the shape at byte 54");
  CHECK(header_error("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3}\n") ==
        "the header \"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3}\\n\" is not a valid .npy header: "
        "expected ',' or ')' in the shape at byte 55");
  CHECK(header_error("{'descr' '<f8', 'fortran_order': False, 'shape': (2, 3)}\n") ==
        "the header \"{'descr' '<f8', 'fortran_order': False, 'shape': (2, 3)}\\n\" is not a valid .npy header: "
        "expected ':' after a key at byte 9");
  CHECK(header_error("{'descr': '<f8, 'fortran_order': False, 'shape': (2, 3)}\n") ==
        "the dtype '<f8, ' is not supported; expected '<f8' (float64), '<f4', '<i8' or '<i4'");
  CHECK(header_error("{'descr': '|O', 'fortran_order': False, 'shape': (2, 3)}\n") ==
        "the dtype '|O' is not supported; expected '<f8' (float64), '<f4', '<i8' or '<i4'");
  CHECK(header_error("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}\n\xff") ==
        "the header has a non-ASCII byte; expected ASCII (version 1.0)");

  // Shapes against the file's length: nothing is allocated for a shape the file cannot hold.
  CHECK(error_for(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (3000000000, 3000000000)}\n",
                            zeros(6))) ==
        "the shape (3000000000, 3000000000) of <f8 needs more than 2^64 bytes of data but the file has 48 after "
        "the header; the file is truncated");
  CHECK(error_for(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296)}\n",
                            zeros(6))) ==
        "the shape (4294967296, 4294967296, 4294967296) has more elements than 2^64; the header is corrupt");
  CHECK(error_for(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999, 2)}\n",
                            zeros(6))) ==
        "the header \"{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999, 2)}\\n\" is not a "
        "valid .npy header: an extent of the shape is larger than 2^64");
  CHECK(error_for(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000)}\n", zeros(6))) ==
        "the shape (1000000, 1000000) of <f8 needs 8000000000000 bytes of data but the file has 48 after the header; "
        "the file is truncated");
  CHECK(error_for(npy_bytes(good_header, zeros(6)).substr(0, 10 + good_header.size() + 47)) ==
        "the shape (2, 3) of <f8 needs 48 bytes of data but the file has 47 after the header; the file is truncated");
  CHECK(error_for(npy_bytes(good_header, zeros(7))) ==
        "the file has 8 bytes after the 6 elements of shape (2, 3); expected the data to end the file");
  CHECK(error_for(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 3)}\n", "")) ==
        "the array has shape (0, 3): no rows");
  CHECK(error_for(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 0)}\n", "")) ==
        "the array has shape (3, 0): no columns");
  CHECK(error_for(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': ()}\n", zeros(1))) ==
        "the array has shape () (0 dimensions); expected a 2-D array (rows x features)");
  CHECK(error_for(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2, 3)}\n", zeros(6))) ==
        "the array has shape (1, 2, 3) (3 dimensions); expected a 2-D array (rows x features)");
}

TEST_CASE("a dataset over the user's memory is a map: stages read it without a copy", "[io][npy]") {
  const mp::matrix X = mp::test::to_matrix(reference()["X"]);
  const mp::vector y = mp::test::to_vector(reference()["target"]);
  std::vector<double> column_major(X.data(), X.data() + X.size());  // the user's buffer
  const Eigen::Map<const mp::matrix> map(column_major.data(), X.rows(), X.cols());
  const mp::matrix_view view = map;
  CHECK(view.data() == column_major.data());  // bound, not copied
  CHECK(mp::ridge{}.fit(map, y).coef() == mp::ridge{}.fit(X, y).coef());
  // A block of columns of a larger buffer (an outer stride) binds too.
  const Eigen::Map<const mp::matrix, 0, Eigen::OuterStride<>> two_columns(column_major.data() + X.rows(), X.rows(), 2,
                                                                            Eigen::OuterStride<>(X.rows()));
  const mp::matrix_view block = two_columns;
  CHECK(block.data() == column_major.data() + X.rows());
  CHECK(mp::ridge{}.fit(two_columns, y).coef() == mp::ridge{}.fit(X.rightCols(2), y).coef());
}

}  // namespace test_npy_tests
