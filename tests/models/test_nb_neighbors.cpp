#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "mlpipe/io/serialize.hpp"
#include "mlpipe/models/naive_bayes.hpp"
#include "mlpipe/models/neighbors.hpp"
#include "mlpipe/testing/check_stage.hpp"
#include "support.hpp"

namespace test_nb_neighbors_tests {

namespace mp = mlpipe;
using mp::test::error_message;
using mp::test::to_vector;

const nlohmann::json& ref(const std::string& name) { return mp::test::test_reference("models_linear").at(name); }

mp::matrix to_matrix(const nlohmann::json& rows) {
  mp::matrix m(static_cast<mp::index>(rows.size()), static_cast<mp::index>(rows[0].size()));
  for (mp::index i = 0; i < m.rows(); ++i) m.row(i) = to_vector(rows[static_cast<std::size_t>(i)]).transpose();
  return m;
}

double max_abs(const mp::matrix& a, const mp::matrix& b) {
  REQUIRE(a.rows() == b.rows());
  REQUIRE(a.cols() == b.cols());
  return (a - b).cwiseAbs().maxCoeff();
}

// Largest |a - b| / max(|b|, 1).
double max_error(const mp::matrix& a, const mp::matrix& b) {
  REQUIRE(a.rows() == b.rows());
  REQUIRE(a.cols() == b.cols());
  return ((a - b).array().abs() / b.array().abs().max(1.0)).maxCoeff();
}

using mp::test::check_save_load;
using mp::test::corrupted;
using mp::test::expect_conformant;

// A naive Bayes fit against a reference case: probabilities and log-probabilities to 1e-12, labels identical.
template <class Fitted>
void check_nb(const Fitted& f, const mp::matrix& X, const std::string& name) {
  const auto& r = ref(name);
  INFO(name);
  CHECK(max_abs(f.predict_proba(X), to_matrix(r["predict_proba"])) < 1e-12);
  CHECK(max_error(f.predict_log_proba(X), to_matrix(r["predict_log_proba"])) < 1e-12);
  CHECK((f.predict(X).array() == to_vector(r["predict"]).array()).all());
  std::vector<double> out(static_cast<std::size_t>(f.classes().size()));
  for (mp::index i = 0; i < X.rows(); i += 7) {
    const std::span<const double> row(X.row(i).eval().data(), static_cast<std::size_t>(X.cols()));
    const mp::vector copy = X.row(i).transpose();
    const std::span<const double> r2(copy.data(), static_cast<std::size_t>(copy.size()));
    (void)row;
    f.predict_proba_one(r2, out);
    for (std::size_t k = 0; k < out.size(); ++k)
      CHECK(std::abs(out[k] - r["predict_proba"][static_cast<std::size_t>(i)][k].get<double>()) < 1e-12);
    CHECK(f.predict_one(r2) == r["predict"][static_cast<std::size_t>(i)].get<double>());
  }
}

mp::matrix nb_counts() { return to_matrix(ref("nb_counts")); }
mp::matrix nb_reals() { return to_matrix(ref("nb_reals")); }
mp::vector nb_labels() { return to_vector(ref("nb_labels")); }

// --------------------------------------------------------------------------------------------------- naive Bayes

TEST_CASE("gaussian_nb gives scikit-learn's probabilities to 1e-12, with priors, var_smoothing and weights",
          "[models][naive_bayes]") {
  const auto& iris = mp::test::load("iris.csv");
  check_nb(mp::gaussian_nb{}.fit(iris.X, iris.y), iris.X, "gaussian_nb_iris");
  check_nb(mp::gaussian_nb{.priors = {0.5, 0.3, 0.2}, .var_smoothing = 1e-3}.fit(iris.X, iris.y), iris.X,
           "gaussian_nb_iris_priors");
  check_nb(mp::gaussian_nb{}.fit(iris.X, iris.y, to_vector(ref("iris_weight"))), iris.X, "gaussian_nb_iris_weighted");
}

TEST_CASE("multinomial_nb and bernoulli_nb give scikit-learn's probabilities to 1e-12 for labels {3, 7, 12}",
          "[models][naive_bayes]") {
  const mp::vector y = nb_labels();
  const mp::vector w = to_vector(ref("nb_weight"));
  check_nb(mp::multinomial_nb{}.fit(nb_counts(), y), nb_counts(), "multinomial_nb");
  check_nb(mp::multinomial_nb{.alpha = 0.5, .fit_prior = false}.fit(nb_counts(), y), nb_counts(),
           "multinomial_nb_alpha0.5_uniform");
  check_nb(mp::multinomial_nb{.class_prior = {0.2, 0.5, 0.3}}.fit(nb_counts(), y), nb_counts(),
           "multinomial_nb_class_prior");
  check_nb(mp::multinomial_nb{.alpha = 2.0}.fit(nb_counts(), y, w), nb_counts(), "multinomial_nb_weighted");
  check_nb(mp::bernoulli_nb{.binarize = 0.5}.fit(nb_reals(), y), nb_reals(), "bernoulli_nb");
  check_nb(mp::bernoulli_nb{.alpha = 0.1, .binarize = 0.5, .fit_prior = false}.fit(nb_reals(), y), nb_reals(),
           "bernoulli_nb_alpha0.1_uniform");
  check_nb(mp::bernoulli_nb{.binarize = 0.5}.fit(nb_reals(), y, w), nb_reals(), "bernoulli_nb_weighted");
}

TEST_CASE("naive Bayes models keep the stage contract and save exactly", "[models][naive_bayes]") {
  const auto& iris = mp::test::load("iris.csv");
  expect_conformant(mp::gaussian_nb{}, iris.X, iris.y);
  expect_conformant(mp::multinomial_nb{}, nb_counts(), nb_labels());
  expect_conformant(mp::bernoulli_nb{.binarize = 0.5}, nb_reals(), nb_labels());
  check_save_load(mp::gaussian_nb{.priors = {0.5, 0.3, 0.2}}.fit(iris.X, iris.y), iris.X);
  check_save_load(mp::multinomial_nb{.class_prior = {0.2, 0.5, 0.3}}.fit(nb_counts(), nb_labels()), nb_counts());
  check_save_load(mp::bernoulli_nb{.binarize = 0.5}.fit(nb_reals(), nb_labels()), nb_reals());
}

TEST_CASE("naive Bayes models reject bad hyperparameters, data and saved state with precise messages",
          "[models][naive_bayes]") {
  const auto& iris = mp::test::load("iris.csv");
  const mp::vector y = nb_labels();
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::multinomial_nb{.alpha = -1.0}.fit(nb_counts(), y); }) ==
        "multinomial_nb: alpha = -1 is out of range; expected alpha >= 0");
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::gaussian_nb{.var_smoothing = -1.0}.fit(iris.X, iris.y); }) ==
        "gaussian_nb: var_smoothing = -1 is out of range; expected var_smoothing >= 0");
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::gaussian_nb{.priors = {0.5, 0.5}}.fit(iris.X, iris.y); }) ==
        "gaussian_nb: priors has 2 values but y has 3 classes; expected one probability per class");
  CHECK(error_message<mp::invalid_parameter>(
            [&] { (void)mp::gaussian_nb{.priors = {0.5, 0.3, 0.3}}.fit(iris.X, iris.y); }) ==
        "gaussian_nb: priors sums to 1.1; expected probabilities summing to 1");
  CHECK(error_message<mp::invalid_parameter>(
            [&] { (void)mp::multinomial_nb{.class_prior = {-0.2, 0.7, 0.5}}.fit(nb_counts(), y); }) ==
        "multinomial_nb: class_prior[0] = -0.2 is out of range; expected finite probabilities >= 0");
  mp::matrix negative = nb_counts();
  negative(4, 2) = -1.0;
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::multinomial_nb{}.fit(negative, y); }) ==
        "multinomial_nb: X has -1 at row 4, column 2; expected counts >= 0 (multinomial_nb models counts or "
        "frequencies)");
  const auto m = mp::multinomial_nb{}.fit(nb_counts(), y);
  CHECK(error_message<mp::invalid_input>([&] { (void)m.predict(negative); }) ==
        "multinomial_nb: X has -1 at row 4, column 2; expected counts >= 0");
  mp::matrix nan = iris.X;
  nan(2, 1) = std::numeric_limits<double>::quiet_NaN();
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::gaussian_nb{}.fit(nan, iris.y); }) ==
        "gaussian_nb: X has nan at row 2, column 1; expected finite values (impute missing values first, e.g. with "
        "simple_imputer)");
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::gaussian_nb{}.fit(iris.X, mp::vector(iris.y.array() + 0.5)); }) ==
        "gaussian_nb: y has 0.5 at row 0, which is not a class label; expected integer class labels (y looks "
        "continuous: fit a regressor such as ridge to real-valued targets)");
  CHECK(error_message<mp::invalid_input>([&] { (void)mp::bernoulli_nb{}.fit(nb_reals(), mp::vector::Ones(90)); }) ==
        "bernoulli_nb: y has a single class (1); expected at least two classes");
  const auto g = mp::gaussian_nb{}.fit(iris.X, iris.y);
  CHECK(corrupted(g, [](nlohmann::json& j) { j["state"]["var"]["data"][4] = 0.0; }) ==
        "<json>: model (gaussian_nb): state.var(1, 1) = 0 is out of range; expected finite values > 0");
  CHECK(corrupted(g, [](nlohmann::json& j) { j["state"]["class_prior"][0] = 0.9; }) ==
        "<json>: model (gaussian_nb): state.class_prior sums to 1.5666666666666667; expected probabilities summing "
        "to 1");
  const auto b = mp::bernoulli_nb{}.fit(nb_reals(), y);
  CHECK(corrupted(b, [](nlohmann::json& j) { j["state"]["feature_log_prob"]["data"][0] = 0.0; }) ==
        "<json>: model (bernoulli_nb): state.feature_log_prob(0, 0) = 0 is out of range; expected finite log "
        "probabilities < 0");
  CHECK(corrupted(m, [](nlohmann::json& j) { j["state"]["class_log_prior"] = {-1.0, -1.0}; }) ==
        "<json>: model (multinomial_nb): state.class_log_prior has 2 values; expected 3 (one per class)");
}

// ---------------------------------------------------------------------------------------------------------- k-NN

mp::matrix knn_X() { return to_matrix(ref("knn_X")); }
mp::matrix knn_queries() { return to_matrix(ref("knn_queries")); }

TEST_CASE("k_neighbors_classifier and k_neighbors_regressor predict as scikit-learn, brute force and k-d tree alike",
          "[models][neighbors]") {
  const mp::matrix X = knn_X();
  const mp::matrix Q = knn_queries();
  const mp::vector labels = to_vector(ref("knn_labels"));
  const mp::vector targets = to_vector(ref("knn_targets"));
  struct setting {
    mp::index k;
    mp::neighbor_weights weights;
    double p;
    std::string name;
  };
  const std::vector<setting> settings{{5, mp::neighbor_weights::uniform, 2.0, "knn_k5_uniform_p2"},
                                      {5, mp::neighbor_weights::distance, 2.0, "knn_k5_distance_p2"},
                                      {7, mp::neighbor_weights::uniform, 1.0, "knn_k7_uniform_p1"},
                                      {3, mp::neighbor_weights::distance, 3.0, "knn_k3_distance_p3"},
                                      {1, mp::neighbor_weights::uniform, 2.0, "knn_k1_uniform_p2"}};
  for (const auto& s : settings) {
    for (const auto algorithm : {mp::neighbor_algorithm::brute, mp::neighbor_algorithm::kd_tree}) {
      INFO(s.name << (algorithm == mp::neighbor_algorithm::brute ? " brute" : " kd_tree"));
      const auto& r = ref(s.name);
      const auto c = mp::k_neighbors_classifier{.n_neighbors = s.k, .weights = s.weights, .algorithm = algorithm,
                                                .p = s.p}
                         .fit(X, labels);
      CHECK((c.predict(Q).array() == to_vector(r["predict"]).array()).all());
      CHECK(max_abs(c.predict_proba(Q), to_matrix(r["predict_proba"])) < 1e-12);
      const auto [dist, ind] = c.kneighbors(Q);
      CHECK((ind.cast<double>().array() == to_matrix(r["indices"]).array()).all());
      CHECK(max_error(dist, to_matrix(r["distances"])) < 1e-13);
      const auto g = mp::k_neighbors_regressor{.n_neighbors = s.k, .weights = s.weights, .algorithm = algorithm,
                                               .p = s.p}
                         .fit(X, targets);
      CHECK(max_error(g.predict(Q), to_vector(r["regress"])) < 1e-12);
      for (mp::index i = 0; i < Q.rows(); i += 5) {
        const mp::vector q = Q.row(i).transpose();
        const std::span<const double> row(q.data(), 4);
        CHECK(c.predict_one(row) == r["predict"][static_cast<std::size_t>(i)].get<double>());
        CHECK(std::abs(g.predict_one(row) - r["regress"][static_cast<std::size_t>(i)].get<double>()) <
              1e-12 * std::max(1.0, std::abs(r["regress"][static_cast<std::size_t>(i)].get<double>())));
      }
    }
  }
}

TEST_CASE("k-NN orders equal distances by training row, the earlier first, with either algorithm",
          "[models][neighbors]") {
  // Rows 0..5 at distances 1, 1, 1, 2, 1, 1 from the origin: the three nearest are rows 0, 1, 2.
  mp::matrix X(6, 2);
  X << 1, 0, 0, 1, -1, 0, 2, 0, 0, -1, 0.6, 0.8;
  const mp::vector y = (mp::vector(6) << 0, 1, 1, 0, 0, 0).finished();
  const mp::matrix origin = mp::matrix::Zero(1, 2);
  for (const auto algorithm : {mp::neighbor_algorithm::brute, mp::neighbor_algorithm::kd_tree}) {
    const auto f = mp::k_neighbors_classifier{.n_neighbors = 3, .algorithm = algorithm}.fit(X, y);
    const auto [dist, ind] = f.kneighbors(origin);
    CHECK(ind(0, 0) == 0);
    CHECK(ind(0, 1) == 1);
    CHECK(ind(0, 2) == 2);
    CHECK(f.predict(origin)(0) == 1.0);  // two of rows 0, 1, 2 are class 1
    const double zero[2] = {0.0, 0.0};
    CHECK(f.predict_one(zero) == 1.0);
  }
  // A query on a training row with weights = distance: that row takes all the weight.
  const auto d = mp::k_neighbors_regressor{.n_neighbors = 3, .weights = mp::neighbor_weights::distance}.fit(
      X, (mp::vector(6) << 10, 20, 30, 40, 50, 60).finished());
  CHECK(d.predict(X.topRows(1))(0) == 10.0);
}

TEST_CASE("k-NN models keep the stage contract, save exactly and validate their state", "[models][neighbors]") {
  const mp::matrix X = knn_X();
  const mp::vector labels = to_vector(ref("knn_labels"));
  const mp::vector targets = to_vector(ref("knn_targets"));
  expect_conformant(mp::k_neighbors_classifier{}, X.topRows(60), labels.head(60));
  expect_conformant(mp::k_neighbors_classifier{.weights = mp::neighbor_weights::distance, .p = 1.0}, X.topRows(60),
                    labels.head(60));
  expect_conformant(mp::k_neighbors_regressor{.algorithm = mp::neighbor_algorithm::kd_tree}, X.topRows(60),
                    targets.head(60));
  const auto c = mp::k_neighbors_classifier{.algorithm = mp::neighbor_algorithm::kd_tree}.fit(X, labels);
  check_save_load(c, knn_queries());
  const auto r = mp::k_neighbors_regressor{.weights = mp::neighbor_weights::distance}.fit(X, targets);
  check_save_load(r, knn_queries());
  // Copies share the training rows and the tree, and outlive the original.
  auto copy = std::make_unique<mp::k_neighbors_classifier::fitted>(c);
  const mp::vector before = copy->predict(knn_queries());
  { const auto gone = std::move(copy); CHECK((gone->predict(knn_queries()).array() == before.array()).all()); }
  CHECK(corrupted(c, [](nlohmann::json& j) { j["state"]["codes"][3] = 3; }) ==
        "<json>: model (k_neighbors_classifier): state.codes[3] = 3 is out of range; expected 0 <= code < the number "
        "of classes = 3");
  CHECK(corrupted(c, [](nlohmann::json& j) { j["state"]["codes"].erase(0); }) ==
        "<json>: model (k_neighbors_classifier): state.codes has 199 values; expected 200 (one per training row)");
  CHECK(corrupted(r, [](nlohmann::json& j) { j["state"]["y"][5] = "inf"; }) ==
        "<json>: model (k_neighbors_regressor): state.y[5] = inf is not finite; expected finite values");
  CHECK(corrupted(r, [](nlohmann::json& j) { j["params"]["n_neighbors"] = 500; }) ==
        "<json>: model (k_neighbors_regressor): n_neighbors = 500 but state.X has 200 rows; expected n_neighbors <= "
        "the number of training rows");
}

TEST_CASE("k-NN models reject bad hyperparameters and data with precise messages", "[models][neighbors]") {
  const mp::matrix X = knn_X();
  const mp::vector labels = to_vector(ref("knn_labels"));
  CHECK(error_message<mp::invalid_parameter>(
            [&] { (void)mp::k_neighbors_classifier{.n_neighbors = 201}.fit(X, labels); }) ==
        "k_neighbors_classifier: n_neighbors = 201 but X has 200 rows; expected n_neighbors <= the number of training "
        "rows");
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::k_neighbors_regressor{.n_neighbors = 0}.fit(X, labels); }) ==
        "k_neighbors_regressor: n_neighbors = 0 is out of range; expected n_neighbors >= 1");
  CHECK(error_message<mp::invalid_parameter>([&] { (void)mp::k_neighbors_classifier{.p = 0.5}.fit(X, labels); }) ==
        "k_neighbors_classifier: p = 0.5 is out of range; expected p >= 1");
  const auto f = mp::k_neighbors_classifier{}.fit(X, labels);
  CHECK(error_message<mp::invalid_input>([&] { (void)f.predict(X.leftCols(3)); }) ==
        "k_neighbors_classifier: X has 3 columns but this step was fitted on 4; expected 4 columns");
  const double row[4] = {0.0, std::numeric_limits<double>::infinity(), 0.0, 0.0};
  CHECK(error_message<mp::invalid_input>([&] { (void)f.predict_one(row); }) ==
        "k_neighbors_classifier: the row has inf at column 1; expected finite values (impute missing values first, "
        "e.g. with simple_imputer)");
}

}  // namespace test_nb_neighbors_tests
