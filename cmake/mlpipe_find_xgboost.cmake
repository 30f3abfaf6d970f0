# Defines the imported target xgboost::xgboost when XGBoost's library and C API header are found, unless the project
# already has it (e.g. from its own find_package(xgboost)). mlpipe does not call find_package(xgboost) itself: the
# package config of Debian's libxgboost-dev 1.7 stops CMake with a fatal error unless the xgboost command-line tool
# (Debian package xgboost) is installed too, and the stages need only the library.
if(NOT TARGET xgboost::xgboost)
  find_path(MLPIPE_XGBOOST_INCLUDE_DIR NAMES xgboost/c_api.h)
  find_library(MLPIPE_XGBOOST_LIBRARY NAMES xgboost)
  mark_as_advanced(MLPIPE_XGBOOST_INCLUDE_DIR MLPIPE_XGBOOST_LIBRARY)
  if(MLPIPE_XGBOOST_INCLUDE_DIR AND MLPIPE_XGBOOST_LIBRARY)
    add_library(xgboost::xgboost UNKNOWN IMPORTED)
    set_target_properties(xgboost::xgboost PROPERTIES
      IMPORTED_LOCATION "${MLPIPE_XGBOOST_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${MLPIPE_XGBOOST_INCLUDE_DIR}")
  endif()
endif()
