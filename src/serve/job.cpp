#include "serve/job.hpp"

#include "serve/client_socket.hpp"

namespace tock::serve {

const char* finish_name(Finish f) {
  switch (f) {
    case Finish::running: return "running";
    case Finish::stop: return "stop";
    case Finish::length: return "length";
    case Finish::cancelled: return "cancelled";
    case Finish::timeout: return "timeout";
    case Finish::error: return "error";
  }
  return "?";
}

uint64_t JobSignal::count() const {
  std::lock_guard lock(m_);
  return count_;
}

void JobSignal::wait_past(uint64_t seen, std::chrono::milliseconds wait) {
  std::unique_lock lock(m_);
  cv_.wait_for(lock, wait, [&] { return count_ != seen; });
}

void JobSignal::bump() {
  {
    std::lock_guard lock(m_);
    ++count_;
  }
  cv_.notify_all();
}

Job::Job(JobRequest request) : request_(std::move(request)), submitted_(SteadyClock::now()) {}

bool Job::client_gone() const { return client_fd_ >= 0 && !cancelled() && peer_closed(client_fd_); }

Job::Update Job::take(std::chrono::milliseconds wait) {
  std::unique_lock lock(m_);
  cv_.wait_for(lock, wait, [&] { return pending_.done || !pending_.text.empty() || !pending_.logprobs.empty(); });
  Update out = std::move(pending_);
  pending_ = Update{};
  // The end is sticky: a later take still reports it.
  pending_.done = out.done;
  pending_.finish = out.finish;
  pending_.error = out.error;
  pending_.timings = out.timings;
  return out;
}

void Job::push(std::string_view text, TokenLogprob* lp) {
  {
    std::lock_guard lock(m_);
    pending_.text.append(text);
    if (lp) pending_.logprobs.push_back(std::move(*lp));
  }
  cv_.notify_all();
  if (signal_) signal_->bump();
}

void Job::finish(Finish f, const JobTimings& t, std::string error) {
  {
    std::lock_guard lock(m_);
    pending_.done = true;
    pending_.finish = f;
    pending_.timings = t;
    pending_.error = std::move(error);
  }
  cv_.notify_all();
  if (signal_) signal_->bump();
}

}  // namespace tock::serve
