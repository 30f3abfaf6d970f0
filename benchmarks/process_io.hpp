#pragma once
// Helpers of the benchmark programs that compare against scikit-learn in separate processes: the process's CPU
// time, and raw doubles written by compare_sklearn.py.

#include <cstddef>
#include <cstdlib>  // std::exit
#include <ctime>
#include <fstream>
#include <iostream>
#include <string>

namespace mlpipe::bench {

// CPU seconds this process has used (all threads).
inline double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// The peak resident size of this process, in MiB: VmHWM of /proc/self/status, which starts afresh at exec (getrusage's
// ru_maxrss does not: a process started by a large parent reports at least the parent's peak).
inline double peak_resident_mib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      double kib = 0.0;
      status >> kib;
      return kib / 1024.0;
    }
    std::getline(status, key);
  }
  return -1.0;  // not Linux: unknown
}

// Reads count native doubles from path into out; exits with status 2 naming the file when it holds fewer.
inline void read_doubles(const std::string& path, double* out, std::size_t count) {
  std::ifstream in(path, std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(count * sizeof(double)))) {
    std::cerr << "cannot read " << count << " doubles from " << path << "\n";
    std::exit(2);
  }
}

}  // namespace mlpipe::bench
