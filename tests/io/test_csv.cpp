#include <catch2/catch.hpp>

#include <cmath>    // std::signbit
#include <cstdlib>  // std::strtod
#include <sstream>
#include <string>

#include "mlpipe/io/csv.hpp"
#include "support.hpp"

// File-local names live here: the test files are compiled together in batches (a unity build).
namespace test_csv_tests {

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

  const auto wine = mp::read_csv(mp::test::data_path("wine.csv"), {.target = "target"});  // examples/data/make_wine.py
  CHECK(wine.X.rows() == 178);
  CHECK(wine.X.cols() == 13);
  CHECK(wine.feature_names.front() == "alcohol");
  CHECK(wine.feature_names.back() == "proline");
  CHECK(wine.X(0, 0) == 14.23);
  CHECK(wine.X(0, 12) == 1065.0);
  CHECK((wine.y.array() == 0.0).count() == 59);
  CHECK((wine.y.array() == 1.0).count() == 71);
  CHECK((wine.y.array() == 2.0).count() == 48);

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
        "read_csv: test.csv: line 2, column 2 ('b'): \"1e999\" is out of the range of a double; expected a number of "
        "magnitude below 1.8e308");
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

TEST_CASE("read_csv skips a UTF-8 byte order mark", "[io][csv]") {
  const auto d = parse("\xEF\xBB\xBFtarget,a\n1,2\n", {.target = "target"});
  CHECK(d.feature_names == std::vector<std::string>{"a"});
  CHECK(d.y(0) == 1.0);
  CHECK(d.X(0, 0) == 2.0);
  // Bytes that only start like a byte order mark are kept (and here make a name that is not the target).
  CHECK(error_message<mp::invalid_input>([] { parse("\xEF\xBBtarget,a\n1,2\n", {.target = "target"}); }) ==
        "read_csv: test.csv: no column is named 'target' (the target); did you mean '\xEF\xBBtarget'? Columns: "
        "\xEF\xBBtarget, a");
}

TEST_CASE("read_csv reads CR, LF and CRLF line ends, CRLF as one", "[io][csv]") {
  for (const std::string end : {"\r", "\n", "\r\n"}) {
    const auto d = parse("\"a" + end + "b\",target" + end + "1,0" + end + end + "2,1" + end + "3,2", {.target = "target"});
    REQUIRE(d.X.rows() == 3);
    CHECK(d.feature_names == std::vector<std::string>{"a\nb"});  // a line end inside quotes reads as \n
    CHECK(d.X(2, 0) == 3.0);
    CHECK(d.y(2) == 2.0);
    CHECK(error_message<mp::invalid_input>([&] { parse("a,b" + end + end + "1,2" + end + "3,x" + end); }) ==
          "read_csv: test.csv: line 4, column 2 ('b'): \"x\" is not a number; expected a number, an empty cell or one "
          "of the missing-value markers (NA, nan, ...)");
  }
  // A quoted field may span lines; the line count goes on after it.
  CHECK(error_message<mp::invalid_input>([] { parse("\"a\rb\",c\r1,2\r3,x\r"); }) ==
        "read_csv: test.csv: line 4, column 2 ('c'): \"x\" is not a number; expected a number, an empty cell or one "
        "of the missing-value markers (NA, nan, ...)");
}

TEST_CASE("read_csv reads numbers too small for a double as zero, as strtod and numpy do", "[io][csv]") {
  const auto d = parse("a\n1e-400\n-1e-400\n0.0000001e-330\n2.4e-324\n4e-320\n+1e-400\n");
  REQUIRE(d.X.rows() == 6);
  CHECK(d.X(0, 0) == 0.0);
  CHECK_FALSE(std::signbit(d.X(0, 0)));
  CHECK(d.X(1, 0) == 0.0);
  CHECK(std::signbit(d.X(1, 0)));
  CHECK(d.X(2, 0) == 0.0);
  CHECK(d.X(3, 0) == 0.0);                                 // below half the smallest subnormal: rounds to 0
  CHECK(d.X(4, 0) == std::strtod("4e-320", nullptr));  // a subnormal, correctly rounded
  CHECK(d.X(4, 0) > 0.0);
  CHECK(d.X(5, 0) == 0.0);
  CHECK(error_message<mp::invalid_input>([] { parse("a\n-12345678901234567890e300\n"); }) ==
        "read_csv: test.csv: line 2, column 1 ('a'): \"-12345678901234567890e300\" is out of the range of a double; "
        "expected a number of magnitude below 1.8e308");
  CHECK(error_message<mp::invalid_input>([] { parse("a\n0.001e312\n"); }) ==
        "read_csv: test.csv: line 2, column 1 ('a'): \"0.001e312\" is out of the range of a double; expected a number "
        "of magnitude below 1.8e308");
}

TEST_CASE("read_csv rejects a doubled sign", "[io][csv]") {
  CHECK(parse("a\n+2\n").X(0, 0) == 2.0);
  for (const std::string text : {"+-2", "++2", "--2", "-+2"}) {
    CHECK(error_message<mp::invalid_input>([&] { parse("a,b\n1," + text + "\n"); }) ==
          "read_csv: test.csv: line 2, column 2 ('b'): \"" + text + "\" is not a number; expected a number, an empty "
          "cell or one of the missing-value markers (NA, nan, ...)");
  }
}

TEST_CASE("read_csv follows RFC 4180 quoting: quotes only around a whole field", "[io][csv]") {
  const auto d = parse("a,b\n \"1\" ,\"2\"\n");  // spaces around a quoted field are allowed
  CHECK(d.X(0, 0) == 1.0);
  CHECK(d.X(0, 1) == 2.0);
  CHECK(error_message<mp::invalid_input>([] { parse("a,b,c\n1,2\"3\",0\n"); }) ==
        "read_csv: test.csv: line 2, column 2 ('b'): the unquoted field 2\"3\" has a quote in it; expected quotes only "
        "around a whole field, with each quote inside it doubled (RFC 4180)");
  CHECK(error_message<mp::invalid_input>([] { parse("a,b\"\n1,2\n"); }) ==
        "read_csv: test.csv: line 1, column 2: the unquoted field b\" has a quote in it; expected quotes only around a "
        "whole field, with each quote inside it doubled (RFC 4180)");
  CHECK(error_message<mp::invalid_input>([] { parse("a,b\n\"1\"\"\"2,3\n"); }) ==
        "read_csv: test.csv: line 2, column 1 ('a'): \"1\"\"\"2 has text after its closing quote; expected ',' or the "
        "end of the line after a closing quote (RFC 4180)");
}

TEST_CASE("read_csv rejects duplicate and empty column names, naming the columns", "[io][csv]") {
  CHECK(error_message<mp::invalid_input>([] { parse("a,b,a\n1,2,3\n"); }) ==
        "read_csv: test.csv: line 1: columns 1 and 3 are both named 'a'; expected a different name for each column");
  CHECK(error_message<mp::invalid_input>([] { parse("x,y,y,y\n1,2,3,4\n", {.target = "y"}); }) ==
        "read_csv: test.csv: line 1: columns 2 and 3 are both named 'y'; expected a different name for each column");
  CHECK(error_message<mp::invalid_input>([] { parse("a, ,c\n1,2,3\n"); }) ==
        "read_csv: test.csv: line 1: column 2 has an empty name; expected a name for every column");
  CHECK(error_message<mp::invalid_input>([] { parse("a,b,\n1,2,3\n"); }) ==
        "read_csv: test.csv: line 1: column 3 has an empty name; expected a name for every column");
}

TEST_CASE("read_csv errors quote at most 80 characters of a cell", "[io][csv]") {
  const std::string cell(5'000'000, 'x');
  const std::string message = error_message<mp::invalid_input>([&] { parse("a\n" + cell + "\n"); });
  CHECK(message == "read_csv: test.csv: line 2, column 1 ('a'): \"" + std::string(80, 'x') +
                       "... (5000000 characters)\" is not a number; expected a number, an empty cell or one of the "
                       "missing-value markers (NA, nan, ...)");
  CHECK(error_message<mp::invalid_input>([&] { parse("a\n1" + cell + "\"\n"); }) ==
        "read_csv: test.csv: line 2, column 1 ('a'): the unquoted field 1" + std::string(79, 'x') + "... (5000002 "
        "characters) has a quote in it; expected quotes only around a whole field, with each quote inside it doubled "
        "(RFC 4180)");
  const std::string name(200, 'n');
  CHECK(error_message<mp::invalid_input>([&] { parse(name + "," + name + "\n1,2\n"); }) ==
        "read_csv: test.csv: line 1: columns 1 and 2 are both named '" + std::string(80, 'n') +
            "... (200 characters)'; expected a different name for each column");
}

}  // namespace test_csv_tests
