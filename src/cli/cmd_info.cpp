// `tock info MODEL.gguf`: what a model file holds — architecture, hyper-parameters, tokenizer,
// chat template, tensors by type, parameter count, file size. Text by default, --json for tools.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "io/gguf.hpp"
#include "io/gguf_summary.hpp"

namespace tock::cli {
namespace {

struct InfoArgs {
  std::string model;
  std::string model_flag;
  bool json = false;
  bool tensors = false;
  bool metadata = false;
};

std::string human_bytes(uint64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double x = double(b);
  int u = 0;
  while (x >= 1024 && u < 4) x /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", x, units[u]);
  return buf;
}

std::string human_count(int64_t n) {
  char buf[32];
  if (n >= 1'000'000'000) std::snprintf(buf, sizeof buf, "%.2f B", double(n) / 1e9);
  else if (n >= 1'000'000) std::snprintf(buf, sizeof buf, "%.1f M", double(n) / 1e6);
  else if (n >= 1'000) std::snprintf(buf, sizeof buf, "%.1f K", double(n) / 1e3);
  else std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(n));
  return buf;
}

std::string shape_text(const GgufTensorInfo& t) {
  std::string s = "[";
  for (int d = 0; d < t.n_dims; ++d) s += cat(d ? ", " : "", t.ne[d]);
  return s + "]";
}

nlohmann::json to_json(const GgufFile& f, const GgufSummary& s, const InfoArgs& a) {
  nlohmann::json j;
  j["path"] = s.path;
  j["file_size"] = s.file_size;
  j["gguf_version"] = s.version;
  j["name"] = s.name;
  j["architecture"] = s.architecture;
  j["hparams"] = nlohmann::json::object();
  for (const auto& [k, v] : s.hparams) j["hparams"][k] = v;
  j["tokenizer"] = {{"model", s.tokenizer_model}, {"pre", s.tokenizer_pre},
                    {"vocab_size", s.vocab_size}, {"merges", s.merges}};
  j["chat_template"] = s.has_chat_template;
  j["n_tensors"] = s.n_tensors;
  j["tensor_types"] = nlohmann::json::object();
  for (const auto& c : s.by_type)
    j["tensor_types"][c.type] = {{"tensors", c.tensors}, {"elements", c.elements}, {"bytes", c.bytes}};
  j["n_params"] = s.n_params;
  j["tensor_bytes"] = s.tensor_bytes;
  if (a.tensors) {
    j["tensors"] = nlohmann::json::array();
    for (const auto& t : f.tensors())
      j["tensors"].push_back({{"name", t.name}, {"type", dtype_name(t.type)},
                              {"shape", std::vector<int64_t>(t.ne.begin(), t.ne.begin() + t.n_dims)},
                              {"offset", f.data_offset() + t.offset}, {"bytes", t.nbytes}});
  }
  if (a.metadata) {
    j["metadata"] = nlohmann::json::object();
    for (const auto& [k, v] : f.metadata())
      j["metadata"][k] = gguf_value_text(v);
  }
  return j;
}

void print_text(const GgufFile& f, const GgufSummary& s, const InfoArgs& a) {
  std::printf("%-16s %s\n", "file", s.path.c_str());
  std::printf("%-16s %llu bytes (%s), GGUF v%u\n", "size", static_cast<unsigned long long>(s.file_size),
              human_bytes(s.file_size).c_str(), s.version);
  if (!s.name.empty()) std::printf("%-16s %s\n", "name", s.name.c_str());
  std::printf("%-16s %s\n", "architecture", s.architecture.empty() ? "(none)" : s.architecture.c_str());
  if (!s.hparams.empty()) {
    std::printf("hyper-parameters\n");
    for (const auto& [k, v] : s.hparams) std::printf("  %-34s %s\n", k.c_str(), v.c_str());
  }
  if (s.tokenizer_model.empty()) {
    std::printf("%-16s (none)\n", "tokenizer");
  } else {
    std::printf("%-16s %s%s, %lld tokens, %lld merges\n", "tokenizer", s.tokenizer_model.c_str(),
                s.tokenizer_pre.empty() ? "" : cat(" (pre ", s.tokenizer_pre, ")").c_str(),
                static_cast<long long>(s.vocab_size), static_cast<long long>(s.merges));
  }
  std::printf("%-16s %s\n", "chat template",
              s.has_chat_template ? cat("yes (", s.chat_template_chars, " chars)").c_str() : "no");
  std::printf("%-16s %lld (%s of data)\n", "tensors", static_cast<long long>(s.n_tensors),
              human_bytes(s.tensor_bytes).c_str());
  for (const auto& c : s.by_type)
    std::printf("  %-8s %6lld tensors %14lld params %12s\n", c.type.c_str(),
                static_cast<long long>(c.tensors), static_cast<long long>(c.elements),
                human_bytes(c.bytes).c_str());
  std::printf("%-16s %lld (%s)\n", "parameters", static_cast<long long>(s.n_params),
              human_count(s.n_params).c_str());
  if (a.metadata) {
    std::printf("metadata (%zu keys)\n", f.metadata().size());
    for (const auto& [k, v] : f.metadata()) {
      std::string text = gguf_value_text(v);
      if (text.size() > 60) text = text.substr(0, 57) + "...";
      for (auto& ch : text)
        if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
      std::printf("  %-40s %-8s %s\n", k.c_str(), std::string(gguf_type_name(v.type)).c_str(), text.c_str());
    }
  }
  if (a.tensors) {
    std::printf("tensor list\n");
    for (const auto& t : f.tensors())
      std::printf("  %-32s %-6s %-20s %10zu bytes at %llu\n", t.name.c_str(),
                  std::string(dtype_name(t.type)).c_str(), shape_text(t).c_str(), t.nbytes,
                  static_cast<unsigned long long>(f.data_offset() + t.offset));
  }
}

}  // namespace

Action add_info_command(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* sub = app.add_subcommand("info", "Show what a GGUF model file holds");
  sub->add_option("model", args->model, "GGUF model file");
  sub->add_option("-m,--model", args->model_flag, "GGUF model file (same as the positional argument)");
  sub->add_flag("--json", args->json, "Print JSON instead of text");
  sub->add_flag("--tensors", args->tensors, "Also list every tensor (name, type, shape, bytes, offset)");
  sub->add_flag("--metadata", args->metadata, "Also list every metadata key");
  return [args]() -> int {
    const std::string path = !args->model.empty() ? args->model : args->model_flag;
    if (path.empty()) fail("info: give a model file: tock info MODEL.gguf");
    const GgufFile f = GgufFile::open(path);
    const GgufSummary s = summarize(f);
    if (args->json) std::printf("%s\n", to_json(f, s, *args).dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    else print_text(f, s, *args);
    return 0;
  };
}

}  // namespace tock::cli
