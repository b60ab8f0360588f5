#include "serve/completion_handler.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

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

// A request's choices, one job each, all waking one signal so one thread can wait for them all.
struct Choices {
  std::vector<std::shared_ptr<Job>> jobs;
  std::shared_ptr<JobSignal> signal = std::make_shared<JobSignal>();
  std::vector<bool> done;  // the job's end was taken (Job::take keeps reporting it)

  void cancel() const {
    for (const auto& job : jobs) job->cancel();
  }
  bool all_done() const { return std::all_of(done.begin(), done.end(), [](bool d) { return d; }); }

  // What arrived from each choice not yet done, as (choice, update), in choice order; waits up to
  // `wait` for news when none had any. An update without text, logprobs or end is left out.
  std::vector<std::pair<size_t, Job::Update>> take(milliseconds wait) {
    const uint64_t seen = signal->count();
    auto got = take_now();
    if (!got.empty()) return got;
    signal->wait_past(seen, wait);
    return take_now();
  }

 private:
  std::vector<std::pair<size_t, Job::Update>> take_now() {
    std::vector<std::pair<size_t, Job::Update>> got;
    for (size_t i = 0; i < jobs.size(); ++i) {
      if (done[i]) continue;
      Job::Update u = jobs[i]->take(milliseconds(0));
      if (!u.done && u.text.empty() && u.logprobs.empty()) continue;
      done[i] = u.done;
      got.emplace_back(i, std::move(u));
    }
    return got;
  }
};

// Makes one job per choice and queues them all, or none (ApiError 503).
Choices submit(Scheduler& scheduler, std::vector<JobRequest> requests, int fd) {
  Choices c;
  for (JobRequest& rq : requests) {
    auto job = std::make_shared<Job>(std::move(rq));
    job->set_client_socket(fd);
    job->set_signal(c.signal);
    c.jobs.push_back(std::move(job));
  }
  c.done.assign(c.jobs.size(), false);
  scheduler.submit_many(c.jobs);
  return c;
}

bool normal_end(const Job::Update& u) { return u.done && (u.finish == Finish::stop || u.finish == Finish::length); }

struct StreamState {
  Choices choices;
  CompletionRequest request;
  ResponseId id;
  const Tokenizer& tok;
  double timeout_s;
  int fd = -1;                   // the client's socket (client_socket.hpp), -1 if not found
  std::vector<size_t> offset;    // per choice: characters sent (completions' text_offset)
  std::vector<JobTimings> timings;  // per choice, when it ended
  bool sent_head = false;        // every choice's first chunk: chat's role, completions' echo
  bool finished = false;
  std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();
};

bool write_event(httplib::DataSink& sink, StreamState& st, const std::string& payload) {
  const std::string event = "data: " + payload + "\n\n";
  st.last_write = std::chrono::steady_clock::now();
  return sink.write(event.data(), event.size());
}

// Ends the stream: `error` (an event) or the usage chunk when asked for, then [DONE].
void end_stream(StreamState& st, httplib::DataSink& sink, const std::optional<Job::Update>& error) {
  if (error) {
    write_event(sink, st, dump_json(job_error(*error, st.timeout_s).body()));
  } else if (st.request.include_usage) {
    write_event(sink, st, dump_json(usage_chunk(st.request, st.id, st.timings)));
  }
  const char done[] = "data: [DONE]\n\n";
  sink.write(done, sizeof done - 1);
  st.finished = true;
  sink.done();
}

// One call of the content provider: waits a little for text, writes what came (the choices'
// chunks interleaved as they arrive, each naming its index). Returns false to close the connection
// (the client is gone).
bool stream_step(StreamState& st, httplib::DataSink& sink) {
  if (st.finished) {
    sink.done();
    return true;
  }
  const auto gone = [&] { return st.choices.cancel(), false; };
  if (!st.sent_head) {  // OpenAI's first chat chunk: the role, no content yet; completions' echo: the prompt
    st.sent_head = true;
    const bool chat = st.request.endpoint == Endpoint::chat;
    for (size_t i = 0; i < st.choices.jobs.size(); ++i) {
      const std::string& echo = st.request.echo[st.request.prompt_of(i)];
      if (!chat && echo.empty()) continue;
      const json chunk = stream_chunk(st.request, st.id, i, echo, {}, 0, chat, Finish::running, {}, st.tok);
      if (!write_event(sink, st, dump_json(chunk))) return gone();
      st.offset[i] += echo.size();
    }
    return true;
  }
  auto got = st.choices.take(kPoll);
  // A write to a closed connection can still succeed (the kernel buffers it): look at the socket,
  // so a client that left frees its place now, not one or two writes later.
  if (!st.choices.all_done() && st.fd >= 0 && peer_closed(st.fd)) return gone();
  for (auto& [i, u] : got) {
    if (u.done && !normal_end(u)) {  // one choice failed: the request did
      st.choices.cancel();
      end_stream(st, sink, u);
      return true;
    }
    const Finish f = u.done ? u.finish : Finish::running;
    if (!write_event(sink, st, dump_json(stream_chunk(st.request, st.id, i, u.text, u.logprobs, st.offset[i], false, f,
                                                      u.timings, st.tok))))
      return gone();
    st.offset[i] += u.text.size();
    if (u.done) st.timings[i] = u.timings;
  }
  if (got.empty() && std::chrono::steady_clock::now() - st.last_write > std::chrono::milliseconds(250)) {
    const char keep_alive[] = ": waiting\n\n";  // an SSE comment: clients ignore it
    st.last_write = std::chrono::steady_clock::now();
    if (!sink.write(keep_alive, sizeof keep_alive - 1)) return gone();
  }
  if (st.choices.all_done()) end_stream(st, sink, std::nullopt);
  return true;
}

}  // namespace

void handle_completion(const CompletionContext& ctx, Endpoint endpoint, const httplib::Request& req,
                       httplib::Response& res) {
  RequestLimits limits = ctx.limits;
  limits.max_choices = int64_t(ctx.scheduler.options().parallel) + ctx.scheduler.options().queue;
  CompletionRequest r = parse_completion_request(req.body, endpoint, ctx.tok, ctx.tmpl, limits);
  ResponseId id;
  id.id = std::string(endpoint == Endpoint::chat ? "chatcmpl-" : "cmpl-") + std::to_string(ctx.next_id.fetch_add(1));
  id.created = int64_t(std::time(nullptr));
  id.model = r.model.empty() ? ctx.model_name : r.model;
  // Found once: the library keeps the connection open while this request is served.
  const int fd = find_connected_socket(req.remote_addr, req.remote_port, req.local_port);
  Choices choices = submit(ctx.scheduler, std::move(r.jobs), fd);  // ApiError 503 when the queue lacks room
  const size_t n_choices = choices.jobs.size();

  if (r.stream) {
    auto st = std::make_shared<StreamState>(StreamState{std::move(choices), std::move(r), std::move(id), ctx.tok,
                                                        ctx.limits.timeout_s, fd, std::vector<size_t>(n_choices),
                                                        std::vector<JobTimings>(n_choices)});
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream", [st](size_t, httplib::DataSink& sink) { return stream_step(*st, sink); },
        [st](bool) { st->choices.cancel(); });  // no-op for finished jobs; frees the slots of the others
    return;
  }

  // Nothing is written until the reply is whole, so look at the socket for a client that left.
  bool gone = false;
  std::vector<ChoiceResult> results(n_choices);
  for (size_t i = 0; i < n_choices; ++i) results[i].text = r.echo[r.prompt_of(i)];
  std::optional<Job::Update> failed;
  while (!failed && !choices.all_done()) {
    for (auto& [i, u] : choices.take(kPoll)) {
      ChoiceResult& c = results[i];
      c.text += u.text;
      c.logprobs.insert(c.logprobs.end(), std::make_move_iterator(u.logprobs.begin()),
                        std::make_move_iterator(u.logprobs.end()));
      c.finish = u.finish;
      c.timings = u.timings;
      if (u.done && !normal_end(u) && !failed) failed = std::move(u);
    }
    if (!failed && !gone && fd >= 0 && peer_closed(fd)) {
      gone = true;
      choices.cancel();  // ends at the scheduler's next tick (or at admission, when still queued)
    }
  }
  if (failed) {
    choices.cancel();  // one choice failed, so the request did: the others stop at the next tick
    if (gone && failed->finish == Finish::cancelled)  // nginx's 499: only the access log and metrics see it
      throw ApiError(499, "the client closed the connection", "", "client_closed");
    throw job_error(*failed, ctx.limits.timeout_s);
  }
  res.set_content(dump_json(completion_response(r, id, results, ctx.tok)), "application/json");
}

}  // namespace tock::serve
