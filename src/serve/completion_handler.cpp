#include "serve/completion_handler.hpp"

#include <chrono>
#include <ctime>
#include <memory>

#include "serve/api_error.hpp"
#include "serve/client_socket.hpp"
#include "serve/openai_format.hpp"

namespace tock::serve {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

// How long a request's thread waits for text before it looks at its client's socket again: a
// client that left should give up its queue place before the next client asks for one.
constexpr milliseconds kPoll(100);

// The error a job that did not finish normally ends with.
ApiError job_error(const Job::Update& u, double timeout_s) {
  if (u.finish == Finish::timeout)
    return ApiError(504, "the request ran past the server's timeout of " + std::to_string(timeout_s) + " s",
                    "", "timeout");
  if (u.finish == Finish::cancelled) return ApiError(503, "the request was cancelled (server stopping)");
  return ApiError(500, u.error.empty() ? "the request failed" : u.error);
}

struct StreamState {
  std::shared_ptr<Job> job;
  CompletionRequest request;
  ResponseId id;
  const Tokenizer& tok;
  double timeout_s;
  int fd = -1;              // the client's socket (client_socket.hpp), -1 if not found
  size_t offset = 0;        // characters sent (completions' text_offset)
  bool sent_role = false;
  bool sent_echo = false;
  bool finished = false;
  std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();
};

bool write_event(httplib::DataSink& sink, StreamState& st, const std::string& payload) {
  const std::string event = "data: " + payload + "\n\n";
  st.last_write = std::chrono::steady_clock::now();
  return sink.write(event.data(), event.size());
}

// One call of the content provider: waits a little for text, writes what came. Returns false to
// close the connection (the client is gone).
bool stream_step(StreamState& st, httplib::DataSink& sink) {
  if (st.finished) {
    sink.done();
    return true;
  }
  const bool chat = st.request.endpoint == Endpoint::chat;
  if (chat && !st.sent_role) {  // OpenAI's first chunk: the role, no content yet
    st.sent_role = true;
    if (!write_event(sink, st, dump_json(stream_chunk(st.request, st.id, "", {}, 0, true, Finish::running, {}, st.tok))))
      return st.job->cancel(), false;
    return true;
  }
  if (!st.request.echo.empty() && !st.sent_echo) {  // completions' echo: the prompt comes first
    st.sent_echo = true;
    if (!write_event(sink, st, dump_json(stream_chunk(st.request, st.id, st.request.echo, {}, 0, false, Finish::running,
                                                      {}, st.tok))))
      return st.job->cancel(), false;
    st.offset += st.request.echo.size();
    return true;
  }
  Job::Update u = st.job->take(kPoll);
  // A write to a closed connection can still succeed (the kernel buffers it): look at the socket,
  // so a client that left frees its place now, not one or two writes later.
  if (!u.done && st.fd >= 0 && peer_closed(st.fd)) return st.job->cancel(), false;
  const bool normal_end = u.done && (u.finish == Finish::stop || u.finish == Finish::length);
  if (!u.text.empty() || !u.logprobs.empty() || normal_end) {
    const Finish f = normal_end ? u.finish : Finish::running;
    if (!write_event(sink, st, dump_json(stream_chunk(st.request, st.id, u.text, u.logprobs, st.offset, false, f,
                                                      u.timings, st.tok))))
      return st.job->cancel(), false;
    st.offset += u.text.size();
  } else if (!u.done && std::chrono::steady_clock::now() - st.last_write > std::chrono::milliseconds(250)) {
    const char keep_alive[] = ": waiting\n\n";  // an SSE comment: clients ignore it
    st.last_write = std::chrono::steady_clock::now();
    if (!sink.write(keep_alive, sizeof keep_alive - 1)) return st.job->cancel(), false;
  }
  if (!u.done) return true;
  if (!normal_end) {
    write_event(sink, st, dump_json(job_error(u, st.timeout_s).body()));
  } else if (st.request.include_usage) {
    write_event(sink, st, dump_json(usage_chunk(st.request, st.id, u.timings)));
  }
  const char done[] = "data: [DONE]\n\n";
  sink.write(done, sizeof done - 1);
  st.finished = true;
  sink.done();
  return true;
}

}  // namespace

void handle_completion(const CompletionContext& ctx, Endpoint endpoint, const httplib::Request& req,
                       httplib::Response& res) {
  CompletionRequest r = parse_completion_request(req.body, endpoint, ctx.tok, ctx.tmpl, ctx.limits);
  ResponseId id;
  id.id = std::string(endpoint == Endpoint::chat ? "chatcmpl-" : "cmpl-") + std::to_string(ctx.next_id.fetch_add(1));
  id.created = int64_t(std::time(nullptr));
  id.model = r.model.empty() ? ctx.model_name : r.model;
  // Found once: the library keeps the connection open while this request is served.
  const int fd = find_connected_socket(req.remote_addr, req.remote_port, req.local_port);
  std::shared_ptr<Job> job = ctx.scheduler.submit(r.job, fd);  // ApiError 503 when the queue is full

  if (r.stream) {
    auto st = std::make_shared<StreamState>(StreamState{job, std::move(r), std::move(id), ctx.tok, ctx.limits.timeout_s, fd});
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream", [st](size_t, httplib::DataSink& sink) { return stream_step(*st, sink); },
        [st](bool) { st->job->cancel(); });  // no-op when it finished; frees the slot when not
    return;
  }

  // Nothing is written until the reply is whole, so look at the socket for a client that left.
  bool gone = false;
  std::string text = r.echo;
  std::vector<TokenLogprob> lps;
  Job::Update u;
  for (;;) {
    u = job->take(kPoll);
    text += u.text;
    lps.insert(lps.end(), std::make_move_iterator(u.logprobs.begin()), std::make_move_iterator(u.logprobs.end()));
    if (u.done) break;
    if (!gone && fd >= 0 && peer_closed(fd)) {
      gone = true;
      job->cancel();  // ends at the scheduler's next tick (or at admission, when still queued)
    }
  }
  if (gone && u.finish == Finish::cancelled)  // nginx's 499: only the access log and metrics see it
    throw ApiError(499, "the client closed the connection", "", "client_closed");
  if (u.finish != Finish::stop && u.finish != Finish::length) throw job_error(u, ctx.limits.timeout_s);
  res.set_content(dump_json(completion_response(r, id, text, lps, u.finish, u.timings, ctx.tok)), "application/json");
}

}  // namespace tock::serve
