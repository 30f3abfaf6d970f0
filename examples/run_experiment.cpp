// run_experiment -- runs an experiment spec written in JSON (datasets, pipelines, search spaces, a splitter,
// metrics) with the benchmark harness, writes its results and summary tables, and prints the Markdown summary: the
// program a researcher runs without writing C++. The spec format is in the README ("Experiments as JSON specs").
//   run_experiment [SPEC.json [OUT_DIR]]   SPEC defaults to experiment.json (the build's examples folder holds a copy
//                                          of examples/experiment.json); OUT_DIR overrides the spec's output folder.
#include <mlpipe/dynamic.hpp>
#include <mlpipe/dynamic/experiment.hpp>
#include <mlpipe/dynamic_registry.hpp>  // in exactly one source file of a program: every stage kind, compiled here

#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

namespace mp = mlpipe;

int main(int argc, char** argv) {
  try {
    const std::filesystem::path spec_path = argc >= 2 ? argv[1] : "experiment.json";
    mp::experiment::spec spec = mp::experiment::read(spec_path);
    if (argc >= 3) spec.output.folder = argv[2];
    std::printf("%zu pipeline(s) x %zu dataset(s), splitter %s\n\n", spec.pipelines.size(), spec.datasets.size(),
                spec.cv_json.c_str());
    const mp::benchmark_result result = mp::experiment::run(spec);
    const auto files = mp::experiment::write(result, spec.output);
    std::printf("%s", mp::experiment::summary_markdown(result).c_str());
    for (const auto& f : files) std::printf("wrote %s\n", f.string().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "run_experiment: %s\n", e.what());
    return 1;
  }
}
