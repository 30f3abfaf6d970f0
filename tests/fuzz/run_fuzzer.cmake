# Runs one load fuzzer for $ENV{MLPIPE_FUZZ_SECONDS} seconds (default 40) on a fresh copy of its seed corpus.
# -D FUZZER=<executable> -D FORMAT=<json|cbor|msgpack> -D SEEDS=<seed folder> -D WORK=<scratch folder>; the
# test sets MLPIPE_FUZZ_FORMAT to FORMAT; crash reproducers land in WORK.
set(seconds 40)
if(DEFINED ENV{MLPIPE_FUZZ_SECONDS} AND NOT "$ENV{MLPIPE_FUZZ_SECONDS}" STREQUAL "")
  set(seconds $ENV{MLPIPE_FUZZ_SECONDS})
endif()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(COPY ${SEEDS}/ DESTINATION ${WORK}/corpus)
message(STATUS "fuzzing ${FUZZER} for ${seconds} s on ${WORK}/corpus")
execute_process(
  COMMAND ${FUZZER} -max_total_time=${seconds} -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
          -artifact_prefix=${WORK}/ ${WORK}/corpus
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${FUZZER} found a failing input (exit code ${result}); the reproducer is in ${WORK}/ "
                      "(crash-*, leak-*, timeout-* or oom-*); rerun it with: MLPIPE_FUZZ_FORMAT=${FORMAT} ${FUZZER} <that file>")
endif()
