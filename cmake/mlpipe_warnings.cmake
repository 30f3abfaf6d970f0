# mlpipe_set_warnings(target) -- the warning flags every target of mlpipe's own is built with.
function(mlpipe_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(MLPIPE_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
