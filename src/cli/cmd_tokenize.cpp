// `tock tokenize [-m MODEL] [--ids] [--no-special] [--bos] TEXT | -f FILE`: shows how a
// model's tokenizer cuts text. Default output is one token per line, `id<TAB>piece`, with
// the piece escaped so whitespace, control bytes and partial UTF-8 stay visible; --ids
// prints only the ids, space-separated, on one line.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "io/gguf.hpp"
#include "io/model_cache.hpp"
#include "text/tokenizer.hpp"
#include "text/utf8.hpp"

namespace tock::cli {
namespace {

struct TokenizeArgs {
  std::string model;
  std::string text;
  std::string file;
  bool ids_only = false;
  bool no_special = false;
  bool add_special = false;
  bool has_text = false, has_file = false;
};

// A piece as readable text: \n \t \r \\ escaped, other control bytes and bytes that are not
// (complete) UTF-8 as \xNN.
std::string escape_piece(std::string_view p) {
  std::string out;
  size_t i = 0;
  while (i < p.size()) {
    const size_t ok = utf8_valid_prefix(p.substr(i));
    for (size_t k = i; k < i + ok; ++k) {
      const char c = p[k];
      if (c == '\n') out += "\\n";
      else if (c == '\t') out += "\\t";
      else if (c == '\r') out += "\\r";
      else if (c == '\\') out += "\\\\";
      else if (uint8_t(c) < 0x20 || c == 0x7F) out += cat("\\x", "0123456789abcdef"[uint8_t(c) >> 4], "0123456789abcdef"[c & 15]);
      else out += c;
    }
    i += ok;
    if (i < p.size()) {
      const auto b = uint8_t(p[i++]);
      out += cat("\\x", "0123456789abcdef"[b >> 4], "0123456789abcdef"[b & 15]);
    }
  }
  return out;
}

std::string read_text_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail("tokenize: cannot open '", path, "'");
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

int run(const TokenizeArgs& a) {
  if (a.has_text == a.has_file) fail("tokenize: give either TEXT or -f FILE");
  const std::string text = a.file.empty() ? a.text : read_text_file(a.file);
  const std::string path = resolve_model_path(a.model);
  const GgufFile file = GgufFile::open(path);
  const auto tok = Tokenizer::from_gguf(file);
  const auto ids = tok->encode(text, {.add_special = a.add_special, .parse_special = !a.no_special});
  std::string out;
  if (a.ids_only) {
    for (size_t i = 0; i < ids.size(); ++i) out += cat(i ? " " : "", ids[i]);
    out += '\n';
  } else {
    for (int32_t id : ids) out += cat(id, '\t', escape_piece(tok->piece(id)), '\n');
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

Action add_tokenize_command(CLI::App& app) {
  auto args = std::make_shared<TokenizeArgs>();
  CLI::App* sub = app.add_subcommand("tokenize", "Show the token ids and pieces of a text");
  CLI::Option* text = sub->add_option("text", args->text, "Text to tokenize");
  CLI::Option* file = sub->add_option("-f,--file", args->file, "Read the text from a file instead");
  sub->add_option("-m,--model", args->model,
                  "GGUF model file or known model name (default: the default model, see `tock pull`)");
  sub->add_flag("--ids", args->ids_only, "Print only the ids, space-separated");
  sub->add_flag("--no-special", args->no_special,
                "Tokenize special-token text such as <|im_start|> as plain text");
  sub->add_flag("--add-special", args->add_special, "Add BOS/EOS where the model asks for them");
  return [args, text, file]() -> int {
    args->has_text = text->count() > 0;
    args->has_file = file->count() > 0;
    return run(*args);
  };
}

}  // namespace tock::cli
