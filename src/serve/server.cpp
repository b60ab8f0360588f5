#include "serve/server.hpp"

#include <atomic>
#include <cstdio>
#include <ctime>

#include "core/error.hpp"
#include "serve/api_error.hpp"
#include "serve/chat_page.hpp"
#include "serve/completion_handler.hpp"
#include "serve/http.hpp"
#include "serve/memory_breakdown.hpp"
#include "serve/server_metrics.hpp"

namespace tock::serve {
namespace {

using nlohmann::json;

void reply_error(httplib::Response& res, const ApiError& e) {
  res.status = e.status();
  if (e.status() == 503) res.set_header("Retry-After", "1");
  if (e.status() == 401) res.set_header("WWW-Authenticate", "Bearer");
  res.set_content(dump_json(e.body()), "application/json");
}

void reply_json(httplib::Response& res, const json& j, int status = 200) {
  res.status = status;
  res.set_content(dump_json(j), "application/json");
}

// Runs a route, turning every exception into an OpenAI-shaped error: the server never lets a
// request's failure escape into the HTTP library.
template <typename F>
httplib::Server::Handler guarded(F f) {
  return [f](const httplib::Request& req, httplib::Response& res) {
    try {
      f(req, res);
    } catch (const ApiError& e) {
      reply_error(res, e);
    } catch (const Error& e) {
      reply_error(res, ApiError(400, e.what()));
    } catch (const std::exception& e) {
      reply_error(res, ApiError(500, std::string("internal error: ") + e.what()));
    }
  };
}

bool json_bool(const json& j, const char* key, bool fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) throw ApiError(400, std::string("'") + key + "' must be a boolean", key);
  return it->get<bool>();
}

}  // namespace

struct Server::Impl {
  Model& model;
  const Tokenizer& tok;
  ChatTemplate tmpl;
  ServeOptions opt;
  ServerMetrics metrics;
  Scheduler scheduler;
  MemoryBreakdown memory;
  std::atomic<uint64_t> next_id{1};
  httplib::Server http;
  int port = 0;

  Impl(Model& m, const Tokenizer& t, ChatTemplate ct, ServeOptions o)
      : model(m), tok(t), tmpl(std::move(ct)), opt(std::move(o)), scheduler(m, t, opt.scheduler, metrics),
        memory(memory_breakdown(m, opt.scheduler.ctx, opt.scheduler.parallel, opt.scheduler.batch_tokens)) {
    routes();
  }

  CompletionContext completion_context() {
    return {scheduler, tok, tmpl, RequestLimits{opt.scheduler.ctx, opt.timeout_s}, opt.model_name, next_id};
  }

  void routes() {
    // Each waiting or streaming request holds a pool thread: room for every slot and queue place.
    const size_t threads = size_t(opt.scheduler.parallel + opt.scheduler.queue + 16);
    http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    http.set_payload_max_length(opt.max_body);
    http.set_tcp_nodelay(true);
    http.set_logger([this](const httplib::Request&, const httplib::Response& res) { metrics.request(res.status); });
    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (opt.api_key.empty() || req.path == "/health" || req.path == "/") return httplib::Server::HandlerResponse::Unhandled;
      const std::string auth = req.get_header_value("Authorization");
      if (auth == "Bearer " + opt.api_key) return httplib::Server::HandlerResponse::Unhandled;
      reply_error(res, ApiError(401, auth.empty() ? "missing API key: send 'Authorization: Bearer KEY'"
                                                  : "invalid API key", "", "invalid_api_key"));
      return httplib::Server::HandlerResponse::Handled;
    });
    // Replies the library makes itself (404, 413, 400 for a broken request line) get a JSON body.
    http.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty() || res.content_length_ > 0 || res.is_chunked_content_provider_)
        return httplib::Server::HandlerResponse::Unhandled;
      std::string msg = "HTTP error " + std::to_string(res.status);
      if (res.status == 404) msg = "no route " + req.method + " " + req.path;
      if (res.status == 413) msg = "the request body is over the server's limit";
      ApiError e(res.status, msg);
      res.set_content(dump_json(e.body()), "application/json");
      return httplib::Server::HandlerResponse::Handled;
    }));
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      reply_error(res, ApiError(500, "internal error"));
    });

    http.Post("/v1/chat/completions", guarded([this](const httplib::Request& req, httplib::Response& res) {
      handle_completion(completion_context(), Endpoint::chat, req, res);
    }));
    http.Post("/v1/completions", guarded([this](const httplib::Request& req, httplib::Response& res) {
      handle_completion(completion_context(), Endpoint::completion, req, res);
    }));
    auto models = guarded([this](const httplib::Request&, httplib::Response& res) {
      const ModelConfig& c = model.config();
      json entry = {{"id", opt.model_name}, {"object", "model"}, {"created", int64_t(std::time(nullptr))},
                    {"owned_by", "tock"},
                    {"meta", {{"arch", c.arch}, {"n_ctx_train", c.n_ctx_train}, {"n_ctx_slot", opt.scheduler.ctx},
                              {"n_vocab", c.n_vocab}, {"n_layer", c.n_layer}, {"n_embd", c.n_embd},
                              {"parallel", opt.scheduler.parallel}, {"memory", memory_json(memory)}}}};
      reply_json(res, {{"object", "list"}, {"data", json::array({entry})}});
    });
    http.Get("/v1/models", models);
    http.Get("/models", models);
    http.Post("/tokenize", guarded([this](const httplib::Request& req, httplib::Response& res) {
      const json j = parse_json_object(req.body);
      auto it = j.find("content");
      if (it == j.end() || !it->is_string()) throw ApiError(400, "'content' must be a string", "content");
      const auto ids = tok.encode(it->get<std::string>(), {.add_special = json_bool(j, "add_special", false),
                                                           .parse_special = json_bool(j, "parse_special", true)});
      json tokens = json::array();
      const bool pieces = json_bool(j, "with_pieces", false);
      for (int32_t id : ids) tokens.push_back(pieces ? json{{"id", id}, {"piece", tok.piece(id)}} : json(id));
      reply_json(res, {{"tokens", tokens}});
    }));
    http.Post("/detokenize", guarded([this](const httplib::Request& req, httplib::Response& res) {
      const json j = parse_json_object(req.body);
      auto it = j.find("tokens");
      if (it == j.end() || !it->is_array()) throw ApiError(400, "'tokens' must be an array of token ids", "tokens");
      std::vector<int32_t> ids;
      for (const auto& t : *it) {
        if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() >= tok.vocab_size())
          throw ApiError(400, "'tokens' holds " + dump_json(t) + ", not a token id in [0, " +
                                  std::to_string(tok.vocab_size()) + ")", "tokens");
        ids.push_back(t.get<int32_t>());
      }
      reply_json(res, {{"content", tok.decode(ids)}});
    }));
    http.Get("/", [](const httplib::Request&, httplib::Response& res) {  // the chat page (chat_page.html)
      res.set_content(chat_page_html().data(), chat_page_html().size(), "text/html; charset=utf-8");
    });
    http.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      if (!scheduler.ready()) return reply_json(res, {{"status", "loading"}}, 503);
      const int64_t active = scheduler.active();
      reply_json(res, {{"status", "ok"}, {"slots_processing", active},
                       {"slots_idle", opt.scheduler.parallel - active}, {"queued", scheduler.queued()}});
    });
    http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics.prometheus(scheduler.queued(), scheduler.active(), opt.scheduler.parallel),
                      "text/plain; version=0.0.4");
    });
  }
};

Server::Server(Model& model, const Tokenizer& tok, ChatTemplate tmpl, ServeOptions options)
    : impl_(std::make_unique<Impl>(model, tok, std::move(tmpl), std::move(options))) {
  std::fprintf(stderr, "serve: %s\n", memory_text(impl_->memory).c_str());
}

Server::~Server() { stop(); }

int Server::bind() {
  Impl& s = *impl_;
  if (s.opt.port == 0) s.port = s.http.bind_to_any_port(s.opt.host);
  else s.port = s.http.bind_to_port(s.opt.host, s.opt.port) ? s.opt.port : -1;
  if (s.port < 0) fail("serve: cannot listen on ", s.opt.host, ":", s.opt.port, " (address in use or not local?)");
  return s.port;
}

void Server::run() {
  impl_->scheduler.start();
  impl_->http.listen_after_bind();
}

void Server::stop() { impl_->http.stop(); }

}  // namespace tock::serve
