// POST /v1/chat/completions and /v1/completions: parse, submit one scheduler job per choice (n per
// prompt, all queued or none), then either wait for every choice's whole reply or stream them as
// Server-Sent Events (`data: {chunk}\n\n` ... `data: [DONE]`), the choices' chunks interleaved as
// they come. One choice that fails fails the request (its error; the others are cancelled).
// A stream that can no longer be written (client gone) cancels its jobs, which frees the slots at
// the scheduler's next tick; while a request waits (queue, prefill) an SSE comment line is sent
// every 250 ms so a vanished client is noticed then too. Both kinds also poll their socket
// (client_socket.hpp): a stream at each step (a write to a closed connection can still succeed),
// a non-streamed request, which writes nothing until the end, every 100 ms while it waits.
#pragma once
#include <atomic>
#include <string>

#include "serve/completion_request.hpp"
#include "serve/http.hpp"
#include "serve/scheduler.hpp"

namespace tock::serve {

struct CompletionContext {
  Scheduler& scheduler;
  const Tokenizer& tok;
  const ChatTemplate& tmpl;
  RequestLimits limits;
  std::string model_name;
  std::atomic<uint64_t>& next_id;
};

// Fills `res` (status, JSON body or an SSE content provider); throws ApiError for bad requests.
void handle_completion(const CompletionContext& ctx, Endpoint endpoint, const httplib::Request& req,
                       httplib::Response& res);

}  // namespace tock::serve
