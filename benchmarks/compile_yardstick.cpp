// A yardstick for benchmarks/compile_time.py: typical use of mlpipe's dependencies alone (Eigen's matrix product
// and Cholesky solve, nlohmann/json's parser and printer), no mlpipe. mlpipe's compile times are tracked as ratios
// to this file's, which hold across machines and compiler load far better than seconds do.
#include <Eigen/Dense>
#include <nlohmann/json.hpp>

#include <string>

double yardstick(const Eigen::MatrixXd& A, const Eigen::VectorXd& b, const std::string& text) {
  const Eigen::MatrixXd gram = A.transpose() * A;
  const Eigen::VectorXd x = gram.llt().solve(A.transpose() * b);
  nlohmann::json doc = nlohmann::json::parse(text);
  doc["x"] = x(0);
  return x.sum() + static_cast<double>(doc.dump().size());
}

int main() { return 0; }
