#include <catch2/catch.hpp>

#include <sstream>

#include "mlpipe/io/csv.hpp"
#include "support.hpp"

namespace mp = mlpipe;
using mp::test::error_message;

namespace {
mp::dataset parse(const std::string& text, const mp::csv_options& options = {}) {
  std::istringstream in(text);
  return mp::read_csv(in, options, "test.csv");
}
}  // namespace

TEST_CASE("read_csv reads the shipped datasets exactly", "[io][csv]") {
  const auto d = mp::read_csv(mp::test::data_path("breast_cancer.csv"), {.target = "target"});
  CHECK(d.X.rows() == 569);
  CHECK(d.X.cols() == 30);
  CHECK(d.y.size() == 569);
  CHECK(d.feature_names.front() == "mean radius");
  CHECK(d.feature_names.size() == 30);
  CHECK(d.target_name == "target");
  CHECK(d.X(0, 0) == 17.99);  // the text "17.99" reads back as the nearest double, exactly
  CHECK(d.y(0) == 0.0);
  CHECK(((d.y.array() == 0.0) || (d.y.array() == 1.0)).all());

  const auto iris = mp::read_csv(mp::test::data_path("iris.csv"));  // no target: every column is a feature
  CHECK(iris.X.cols() == 5);
  CHECK(iris.y.size() == 0);
}

TEST_CASE("read_csv handles missing values, quotes, spaces and line ends", "[io][csv]") {
  const auto d = parse("a,\"b, quoted\",y\r\n1, 2 ,3\r\n,NA,4\r\n\r\n+5,\"6\",nan\n", {.target = "y"});
  REQUIRE(d.X.rows() == 3);
  CHECK(d.feature_names == std::vector<std::string>{"a", "b, quoted"});
  CHECK(d.X(0, 0) == 1.0);
  CHECK(d.X(0, 1) == 2.0);
  CHECK(std::isnan(d.X(1, 0)));
  CHECK(std::isnan(d.X(1, 1)));
  CHECK(d.X(2, 0) == 5.0);
  CHECK(d.X(2, 1) == 6.0);
  CHECK(std::isnan(d.y(2)));
  const auto target_first = parse("y;x\n1;2\n", {.target = "y", .delimiter = ';'});
  CHECK(target_first.X(0, 0) == 2.0);
  CHECK(target_first.y(0) == 1.0);
}

TEST_CASE("read_csv errors name the file, line and column", "[io][csv]") {
  CHECK(error_message<mp::invalid_input>([] { mp::read_csv("no/such/file.csv"); }) ==
        "read_csv: cannot open 'no/such/file.csv': No such file or directory");
  CHECK(error_message<mp::invalid_input>([] { parse("a,b\n1,2\n3\n"); }) ==
        "read_csv: test.csv: line 3 has 1 fields but the header has 2; expected the same number on every row");
  CHECK(error_message<mp::invalid_input>([] { parse("a,b\n1,2\n3,4,5\n"); }) ==
        "read_csv: test.csv: line 3 has 3 fields but the header has 2; expected the same number on every row");
  CHECK(error_message<mp::invalid_input>([] { parse("a,b\n1,2\n3,x7\n"); }) ==
        "read_csv: test.csv: line 3, column 2 ('b'): \"x7\" is not a number; expected a number, an empty cell or one "
        "of the missing-value markers (NA, nan, ...)");
  CHECK(error_message<mp::invalid_input>([] { parse("a,b\n1,2.5.1\n"); }) ==
        "read_csv: test.csv: line 2, column 2 ('b'): \"2.5.1\" is not a number; expected a number, an empty cell or "
        "one of the missing-value markers (NA, nan, ...)");
  CHECK(error_message<mp::invalid_input>([] { parse("a,b\n1,1e999\n"); }) ==
        "read_csv: test.csv: line 2, column 2 ('b'): \"1e999\" is out of the range of a double");
  CHECK(error_message<mp::invalid_input>([] { parse(""); }) ==
        "read_csv: test.csv: the file is empty; expected a header row and data rows");
  CHECK(error_message<mp::invalid_input>([] { parse("a,b\n"); }) ==
        "read_csv: test.csv: the file has a header but no data rows");
  CHECK(error_message<mp::invalid_input>([] { parse("a,\"b\n1,2\n"); }) ==
        "read_csv: test.csv: line 1: a quoted field is not closed before the end of the file");
  CHECK(error_message<mp::invalid_input>([] { parse("feature,targte\n1,2\n", {.target = "target"}); }) ==
        "read_csv: test.csv: no column is named 'target' (the target); did you mean 'targte'? Columns: feature, "
        "targte");
  CHECK(error_message<mp::invalid_input>([] { parse("y\n1\n", {.target = "y"}); }) ==
        "read_csv: test.csv: the file has no feature columns besides the target 'y'");
}
