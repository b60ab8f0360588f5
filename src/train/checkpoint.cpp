#include "train/checkpoint.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/error.hpp"
#include "train/atomic_file.hpp"

namespace tock {
namespace {

constexpr char kMagic[8] = {'T', 'O', 'C', 'K', 'C', 'K', 'P', 'T'};
constexpr uint32_t kVersion = 1;

size_t padding_after(size_t header_len) { return (8 - (16 + header_len) % 8) % 8; }

}  // namespace

void write_checkpoint(const std::string& path, const nlohmann::ordered_json& header,
                      const float* params, const float* m, const float* v, int64_t num_params) {
  nlohmann::ordered_json h = header;
  h["num_params"] = num_params;
  const std::string text = h.dump();
  const uint32_t version = kVersion, len = uint32_t(text.size());
  AtomicFile f(path);
  f.write(kMagic, sizeof(kMagic));
  f.write(&version, 4);
  f.write(&len, 4);
  f.write(text);
  const char zeros[8] = {};
  f.write(zeros, padding_after(text.size()));
  const size_t bytes = size_t(num_params) * sizeof(float);
  f.write(params, bytes);
  f.write(m, bytes);
  f.write(v, bytes);
  f.commit();
}

Checkpoint read_checkpoint(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) fail("checkpoint: cannot open '", path, "': ", std::strerror(errno));
  auto read = [&](void* dst, size_t n, const char* what) {
    if (n && std::fread(dst, 1, n, f.get()) != n)
      fail("checkpoint: '", path, "' ends inside the ", what, " (truncated file?)");
  };
  char magic[8];
  uint32_t version = 0, len = 0;
  read(magic, 8, "magic");
  if (std::memcmp(magic, kMagic, 8) != 0) fail("checkpoint: '", path, "' is not a Tock checkpoint (bad magic)");
  read(&version, 4, "version");
  if (version != kVersion) fail("checkpoint: '", path, "' has version ", version, ", expected ", kVersion);
  read(&len, 4, "header length");
  std::string text(len, '\0');
  read(text.data(), len, "header");
  Checkpoint c;
  try {
    c.header = nlohmann::ordered_json::parse(text);
  } catch (const std::exception& e) {
    fail("checkpoint: '", path, "' header is not valid JSON: ", e.what());
  }
  if (!c.header.contains("num_params") || !c.header["num_params"].is_number_integer())
    fail("checkpoint: '", path, "' header lacks num_params");
  c.num_params = c.header["num_params"].get<int64_t>();
  if (c.num_params < 0) fail("checkpoint: '", path, "' num_params ", c.num_params, " is negative");
  char pad[8];
  read(pad, padding_after(len), "padding");
  for (auto* block : {&c.params, &c.m, &c.v}) {
    block->resize(size_t(c.num_params));
    read(block->data(), size_t(c.num_params) * sizeof(float), "tensor data");
  }
  if (std::fgetc(f.get()) != EOF) fail("checkpoint: '", path, "' has bytes past the tensor data");
  return c;
}

}  // namespace tock
