// `tock serve`: the HTTP front of the scheduler. Routes (OpenAI-compatible where OpenAI has them):
//   POST /v1/chat/completions, POST /v1/completions   (JSON or Server-Sent Events with stream)
//   GET  /v1/models                                   (with the memory breakdown)
//   POST /tokenize, POST /detokenize                  (llama.cpp's shapes)
//   GET  /health                                      (200 only after the warm-up forward pass)
//   GET  /metrics                                     (Prometheus text)
// Every error is OpenAI's JSON error shape. With an API key, every route but /health and / needs
// `Authorization: Bearer KEY`. cpp-httplib runs each connection on its own pool thread; only the
// scheduler thread touches the model.
#pragma once
#include <memory>
#include <string>

#include "model/model.hpp"
#include "serve/scheduler.hpp"
#include "text/chat_template.hpp"
#include "text/tokenizer.hpp"

namespace tock::serve {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string api_key;              // empty: no authentication
  size_t max_body = 1 << 20;        // bytes; larger bodies get 413
  double timeout_s = 600;           // per request, from submission; <= 0: none
  std::string model_name;           // reported by /v1/models and in responses
  SchedulerOptions scheduler;
};

class Server {
 public:
  Server(Model& model, const Tokenizer& tok, ChatTemplate tmpl, ServeOptions options);
  ~Server();

  // Binds (throws tock::Error naming host and port on failure); returns the bound port (useful
  // with port 0).
  int bind();
  // Serves until stop(); starts the scheduler (warm-up first).
  void run();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tock::serve
