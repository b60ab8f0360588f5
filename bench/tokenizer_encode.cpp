// Tokenizer encode speed: MB/s over ~10 MB of English prose (the Debian `fortunes`
// files, concatenated and repeated), with the default model's tokenizer.
//
// usage: bench_tokenizer_encode [MODEL.gguf] [TEXT_FILE]
//   MODEL defaults to $TOCK_MODEL or ~/.cache/tock/models/SmolLM2-135M-Instruct.Q4_1.gguf;
//   TEXT_FILE replaces the fortunes corpus. Prints the median of 5 runs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <ctime>
#include <vector>

#include "io/gguf.hpp"
#include "text/tokenizer.hpp"

namespace fs = std::filesystem;

static double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

static std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

int main(int argc, char** argv) {
  try {
    std::string model;
    if (argc > 1) model = argv[1];
    else if (const char* e = std::getenv("TOCK_MODEL")) model = e;
    else model = std::string(std::getenv("HOME") ? std::getenv("HOME") : "") +
                 "/.cache/tock/models/SmolLM2-135M-Instruct.Q4_1.gguf";
    std::string text;
    if (argc > 2) {
      text = read_file(argv[2]);
    } else {
      std::vector<fs::path> files;
      for (auto& e : fs::directory_iterator("/usr/share/games/fortunes"))
        if (e.is_regular_file() && !e.path().has_extension()) files.push_back(e.path());
      std::sort(files.begin(), files.end());
      std::string once;
      for (auto& p : files) once += read_file(p);
      if (once.empty()) throw std::runtime_error("no text: install the `fortunes` package or pass TEXT_FILE");
      while (text.size() < 10'000'000) text += once;
    }
    const auto file = tock::GgufFile::open(model);
    const auto tok = tock::Tokenizer::from_gguf(file);

    // Wall time, and the thread's CPU time: on a shared machine the second one shows
    // what the code costs when other processes take turns on the cores.
    std::vector<double> wall, cpu;
    size_t n_tokens = 0;
    for (int run = 0; run < 5; ++run) {
      const auto t0 = std::chrono::steady_clock::now();
      const double c0 = thread_cpu_seconds();
      n_tokens = tok->encode(text).size();
      cpu.push_back(thread_cpu_seconds() - c0);
      wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(wall.begin(), wall.end());
    std::sort(cpu.begin(), cpu.end());
    const double mb = double(text.size()) / 1e6, w = wall[2], c = cpu[2];
    std::printf("tokenizer encode (1 thread): %.1f MB, %zu tokens, pre=%s; median of 5 runs:\n"
                "  wall %.3f s = %.1f MB/s, cpu %.3f s = %.1f MB/s (%.2f M tokens/s)\n",
                mb, n_tokens, tok->pre_rule().c_str(), w, mb / w, c, mb / c, double(n_tokens) / c / 1e6);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_tokenizer_encode: %s\n", e.what());
    return 1;
  }
}
