#pragma once

// The library's version, written into every saved model.
#define MLPIPE_VERSION_MAJOR 0
#define MLPIPE_VERSION_MINOR 1
#define MLPIPE_VERSION_PATCH 0

namespace mlpipe {
inline constexpr const char* version_string = "0.1.0";
}  // namespace mlpipe
