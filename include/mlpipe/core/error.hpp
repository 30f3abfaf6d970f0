#pragma once

#include <cstddef>      // std::ptrdiff_t
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>      // std::move

namespace mlpipe {

// error -- every error mlpipe throws. The message names the step (its path in the pipeline and its kind),
// then says what was wrong and what was expected:
//   step 'model' (ridge): alpha = -1 is out of range; expected alpha >= 0
// A stage throws with its kind only; each pipeline the error passes through adds its step name.
class error : public std::runtime_error {
 public:
  explicit error(std::string detail, std::string_view kind = {})
      : std::runtime_error(std::string()), detail_(std::move(detail)), kind_(kind) {
    rebuild();
  }

  // An error about one row of the input, whose detail reads before + the row number + after. The number is kept
  // apart so that a caller that handed the stage a subset of its rows (a cross-validation fold) can name its own
  // row instead (set_row): errors name rows of the data the user passed.
  error(std::string_view before, std::ptrdiff_t row, std::string_view after, std::string_view kind = {})
      : std::runtime_error(std::string()), detail_(before), kind_(kind), row_(row), row_at_(before.size()) {
    const std::string number = std::to_string(row);
    row_length_ = number.size();
    detail_ += number;
    detail_ += after;
    rebuild();
  }

  const char* what() const noexcept override { return message_.c_str(); }

  // What was wrong, without the step prefix.
  const std::string& detail() const noexcept { return detail_; }
  // The kind of the stage that failed ("ridge"), or empty.
  const std::string& kind() const noexcept { return kind_; }
  // The dotted path of the failing step from the outermost pipeline ("features.num.scale"), or empty.
  const std::string& step_path() const noexcept { return path_; }

  // The row of the stage's input that the message names, if it names one.
  std::optional<std::ptrdiff_t> row() const noexcept { return row_; }

  // Names another row in the message (and in row()): the caller's number of the row the stage called row().
  void set_row(std::ptrdiff_t row) {
    if (!row_) return;
    const std::string number = std::to_string(row);
    detail_.replace(row_at_, row_length_, number);
    row_length_ = number.size();
    row_ = row;
    rebuild();
  }

  // Called by a composite stage as the error leaves one of its steps: prefixes the step's name.
  void add_step(std::string_view name, std::string_view kind) {
    path_ = path_.empty() ? std::string(name) : std::string(name) + "." + path_;
    if (kind_.empty()) kind_ = kind;
    rebuild();
  }

  // Names the stage when the error came from code that did not know it (a parameter path, a grid value).
  void add_kind(std::string_view kind) {
    if (kind_.empty()) kind_ = kind;
    rebuild();
  }

  // Adds context that only an outer stage knows ("columns [2, 5] of the input").
  void add_note(std::string_view note) {
    detail_ += " (";
    detail_ += note;
    detail_ += ")";
    rebuild();
  }

 private:
  void rebuild() {
    if (!path_.empty()) message_ = "step '" + path_ + "' (" + kind_ + "): " + detail_;
    else if (!kind_.empty()) message_ = kind_ + ": " + detail_;
    else message_ = detail_;
  }

  std::string detail_;
  std::string kind_;
  std::string path_;
  std::string message_;
  std::optional<std::ptrdiff_t> row_;  // the row the detail names, written at detail_[row_at_, row_at_ + row_length_)
  std::size_t row_at_ = 0;
  std::size_t row_length_ = 0;
};

// invalid_parameter -- a hyperparameter out of range, a parameter path that does not exist, a value of the wrong type.
class invalid_parameter : public error {
 public:
  using error::error;
};

// invalid_input -- data a stage cannot use: wrong shape, empty, NaN or infinity, a single class, bad text in a file.
class invalid_input : public error {
 public:
  using error::error;
};

// load_error -- a saved model that cannot be read back: missing, truncated, corrupt or of another pipeline.
class load_error : public error {
 public:
  using error::error;
};

}  // namespace mlpipe

namespace mlpipe::detail {

// Runs f(); an mlpipe::error leaving it gets the step's name (and kind, if it had none) added to its message.
template <class F>
decltype(auto) in_step(std::string_view name, std::string_view kind, F&& f) {
  try {
    return f();
  } catch (error& e) {
    e.add_step(name, kind);
    throw;
  }
}

}  // namespace mlpipe::detail
