// The training loop (see trainer.hpp).
#include "train/trainer.hpp"

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "io/gguf.hpp"
#include "kernels/peak_flops.hpp"
#include "text/text_cleaning.hpp"
#include "text/tokenizer.hpp"
#include "train/adamw.hpp"
#include "train/checkpoint.hpp"
#include "train/data_loader.hpp"
#include "train/lr_schedule.hpp"
#include "train/random.hpp"
#include "train/trainer_log.hpp"
#include "train/trainer_options.hpp"
#include "train/trainer_sample.hpp"

namespace tock {
namespace {

using Json = nlohmann::ordered_json;

// Set by the SIGINT handler, read once per step: a signal handler can do nothing else safely.
volatile std::sig_atomic_t g_interrupted = 0;

void on_sigint(int) {
  g_interrupted = 1;
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C stops at once
}

// Installs the handler for the life of the loop and restores the previous one after.
struct SigintGuard {
  void (*previous)(int);
  SigintGuard() : previous(std::signal(SIGINT, on_sigint)) { g_interrupted = 0; }
  ~SigintGuard() { std::signal(SIGINT, previous); }
};

Json read_meta(const std::string& dir) {
  const std::string path = dir + "/meta.json";
  if (!std::filesystem::is_directory(dir)) fail("--data: '", dir, "' is not a directory");
  std::ifstream in(path);
  if (!in) fail("--data: no token shards in '", dir, "' (missing meta.json): run `tock data prepare` first");
  try {
    return Json::parse(in);
  } catch (const std::exception& e) {
    fail("--data: '", path, "' is not valid JSON: ", e.what());
  }
}

// meta[a][b] as a number, or fallback when absent or not a number.
template <typename N>
N json_at(const Json& meta, const char* a, const char* b, N fallback) {
  if (!meta.contains(a) || !meta[a].is_object() || !meta[a].contains(b) || !meta[a][b].is_number()) return fallback;
  return meta[a][b].get<N>();
}

std::string duration(double s) {
  char buf[32];
  const long t = long(s + 0.5);
  if (t >= 3600) std::snprintf(buf, sizeof(buf), "%ldh%02ldm", t / 3600, t / 60 % 60);
  else std::snprintf(buf, sizeof(buf), "%ldm%02lds", t / 60, t % 60);
  return buf;
}

// (B, T+1) windows -> inputs and targets, each (B, T).
void split_windows(const std::vector<int32_t>& windows, int64_t B, int64_t T, std::vector<int32_t>& inputs,
                   std::vector<int32_t>& targets) {
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t) {
      inputs[size_t(b * T + t)] = windows[size_t(b * (T + 1) + t)];
      targets[size_t(b * T + t)] = windows[size_t(b * (T + 1) + t + 1)];
    }
}

// Mean loss over the first E batches of the validation split, in order.
float evaluate(TrainModel& model, DataLoader& val, int64_t B, int64_t T, int64_t E) {
  val.restore({0, 0});
  std::vector<int32_t> windows(size_t(B * (T + 1))), inputs(size_t(B * T)), targets(size_t(B * T));
  double sum = 0.0;
  for (int64_t e = 0; e < E; ++e) {
    val.next_batch(B, windows.data());
    split_windows(windows, B, T, inputs, targets);
    sum += model.forward(inputs.data(), targets.data(), B, T);
  }
  return float(sum / double(E));
}

// The options of a new run, completed and checked; or those of the checkpoint on resume.
TrainOptions resolve(TrainOptions o, const Checkpoint* ckpt) {
  if (ckpt) {
    if (!ckpt->header.contains("options")) fail("--resume: checkpoint has no options");
    TrainOptions saved = options_from_json(ckpt->header["options"]);
    saved.out_dir = o.resume_dir;
    saved.resume_dir = o.resume_dir;
    if (o.steps > 0) saved.steps = o.steps;
    saved.stop_at = o.stop_at;
    saved.quiet = o.quiet;
    return saved;
  }
  if (o.data_dir.empty()) fail("tock train: --data DIR is required (or --resume DIR)");
  if (!o.init_model.empty()) {
    if (!o.shape.arch.empty() && o.shape.arch != "llama")
      fail("--init: fine-tuning reads llama-arch GGUFs; --arch ", o.shape.arch, " does not go with it");
    const ModelShape& g = o.shape;
    if (g.layers || g.dim || g.heads || g.kv_heads || g.ff || !o.config_file.empty())
      fail("--init: the model's sizes come from ", o.init_model, "; drop --layers/--dim/--heads/--kv-heads/--ff/--config");
    if (o.tokenizer.empty()) o.tokenizer = o.init_model;  // the model's own tokenizer
    o.init_model = std::filesystem::absolute(o.init_model).string();
  }
  if (o.tokenizer.empty()) fail("tock train: --tokenizer T is required");
  if (o.steps < 1) fail("--steps must be at least 1, got ", o.steps);
  if (!o.config_file.empty()) apply_config_file(o, o.config_file);
  if (o.batch == 0) o.batch = 8;
  if (o.batch < 1) fail("--batch must be positive, got ", o.batch);
  if (o.grad_accum < 1) fail("--grad-accum must be positive, got ", o.grad_accum);
  if (!(o.lr > 0.0f) || !std::isfinite(o.lr)) fail("--lr must be positive, got ", o.lr);
  if (o.min_lr < 0.0f) o.min_lr = o.lr / 10.0f;
  if (o.warmup < 0) fail("--warmup must not be negative, got ", o.warmup);
  if (o.eval_batches < 1) fail("--eval-batches must be positive, got ", o.eval_batches);
  parse_lr_decay(o.schedule);
  o.data_dir = std::filesystem::absolute(o.data_dir).string();
  o.tokenizer = std::filesystem::absolute(o.tokenizer).string();
  if (o.init_model.empty()) complete_shape(o.shape);  // else: the sizes come from the GGUF
  return o;
}

}  // namespace

TrainOutcome run_training(TrainOptions in) {
  std::unique_ptr<Checkpoint> ckpt;
  if (!in.resume_dir.empty()) {
    const std::string path = in.resume_dir + "/checkpoint.bin";
    if (!std::filesystem::exists(path)) fail("--resume: no checkpoint at '", path, "'");
    ckpt = std::make_unique<Checkpoint>(read_checkpoint(path));
  }
  TrainOptions o = resolve(std::move(in), ckpt.get());
  std::unique_ptr<TrainModel> model;
  if (!o.init_model.empty()) {
    model = load_train_model(o.init_model, o.shape);
    complete_shape(o.shape);
  }
  ModelShape& shape = o.shape;
  const int64_t B = o.batch, T = shape.seq, A = o.grad_accum;

  // Data and tokenizer: both must agree with each other and with the model on the vocabulary.
  const Json meta = read_meta(o.data_dir);
  const uint64_t train_tokens = json_at(meta, "train", "tokens", uint64_t(0));
  if (train_tokens == 0)
    fail("--data: '", o.data_dir, "' holds no training tokens (empty corpus?): prepare it from non-empty text");
  const GgufFile tok_file = GgufFile::open(o.tokenizer);
  const auto tokenizer = Tokenizer::from_gguf(tok_file);
  const int64_t V = tokenizer->vocab_size();
  const int64_t data_vocab = json_at(meta, "tokenizer", "vocab_size", int64_t(-1));
  if (data_vocab != V)
    fail("vocabulary mismatch: tokenizer '", o.tokenizer, "' has ", V, " tokens, the data in '", o.data_dir,
         "' was tokenized with ", data_vocab, " (meta.json tokenizer.vocab_size)");
  if (shape.vocab == 0) shape.vocab = V;
  if (shape.vocab != V)
    fail("vocabulary mismatch: the model's vocab ", shape.vocab, " differs from tokenizer '", o.tokenizer,
         "' (", V, " tokens)");
  DataLoader train(DataLoader::split_shards(o.data_dir, "train"), T, WindowOrder::Random, o.seed);
  if (train.max_token() >= uint64_t(V))
    fail("--data: token id ", train.max_token(), " in the train split is outside the tokenizer's ", V, " tokens");
  std::unique_ptr<DataLoader> val;
  if (o.eval_every > 0) {
    if (json_at(meta, "val", "tokens", uint64_t(0)) < uint64_t(T + 1))
      fail("--eval-every: the validation split of '", o.data_dir, "' has fewer than --seq + 1 = ", T + 1,
           " tokens (prepare the data with a larger --val-fraction)");
    val = std::make_unique<DataLoader>(DataLoader::split_shards(o.data_dir, "val"), T, WindowOrder::Sequential, 0);
  }

  if (model && model->vocab_size() != V)
    fail("vocabulary mismatch: --init model has ", model->vocab_size(), " tokens, tokenizer '", o.tokenizer, "' ", V);
  // Memory: refuse before allocating anything large (a --init model is loaded already); then
  // once more with the model's own count of its activations, before the first forward.
  MemoryEstimate mem = estimate_memory(shape, B, T);
  if (!model) check_fits_in_memory(mem, B, T);
  if (!model) model = make_train_model(shape, o.seed);
  mem.params = model->num_params();
  mem.state_bytes = mem.params * 4 * int64_t(sizeof(float));
  mem.activation_bytes = model->activation_bytes(B, T);
  check_fits_in_memory(mem, B, T);

  std::filesystem::create_directories(o.out_dir);
  const std::string ckpt_path = o.out_dir + "/checkpoint.bin";
  AdamW adam({0.9f, 0.95f, 1e-8f, o.weight_decay}, model->num_params());
  SplitMix64 rng(o.seed ^ 0x5A4D504C45ull);  // the sampling stream
  int64_t start = 0;
  if (ckpt) {
    if (ckpt->num_params != model->num_params())
      fail("--resume: checkpoint holds ", ckpt->num_params, " parameters, the model has ", model->num_params());
    std::copy(ckpt->params.begin(), ckpt->params.end(), model->params());
    adam.m() = std::move(ckpt->m);
    adam.v() = std::move(ckpt->v);
    const Json& h = ckpt->header;
    start = h.at("step").get<int64_t>();
    adam.set_steps(h.at("adamw_step").get<int64_t>());
    train.restore({h.at("loader").at("seed").get<uint64_t>(), h.at("loader").at("next_window").get<uint64_t>()});
    rng.state = h.at("rng_state").get<uint64_t>();
  }
  RunLog log(o.out_dir + "/log.jsonl", ckpt ? ckpt->header.at("log_bytes").get<int64_t>() : -1);
  ckpt.reset();
  const int64_t N = o.steps;
  if (start >= N) fail("--resume: the checkpoint is at step ", start, ", the run has ", N, " steps (raise --steps)");

  const LrSchedule sched{o.lr, o.min_lr, o.warmup, N, parse_lr_decay(o.schedule)};
  const std::vector<ParamSegment> segments = model->segments();
  const int64_t tokens_per_step = B * T * A;
  const double flops_per_step = model->flops_per_token(T) * double(tokens_per_step);
  const int threads = thread_pool().size();
  const double peak = measure_peak_gflops(threads) * 1e9;  // MFU's denominator (FMA probe, ~150 ms)

  Json start_event = {{"event", start == 0 ? "start" : "resume"}, {"step", start}, {"params", model->num_params()},
                      {"threads", threads}, {"peak_gflops", peak / 1e9}, {"options", options_to_json(o)}};
  log.write(start_event);
  std::fprintf(stderr,
               "train: %s, %lld layers, dim %lld, %lld heads, seq %lld, vocab %lld: %lld parameters; batch %lld x %lld "
               "x accum %lld = %lld tokens/step; memory estimate %.1f MiB; %d threads, peak %.1f GFLOP/s\n",
               shape.arch.c_str(), (long long)shape.layers, (long long)shape.dim, (long long)shape.heads,
               (long long)T, (long long)V, (long long)model->num_params(), (long long)B, (long long)T, (long long)A,
               (long long)tokens_per_step, double(mem.total()) / double(1 << 20), threads, peak / 1e9);
  if (start > 0) std::fprintf(stderr, "train: resumed from %s at step %lld\n", ckpt_path.c_str(), (long long)start);

  auto save = [&](int64_t done) {
    log.write({{"event", "checkpoint"}, {"step", done}, {"path", ckpt_path}});
    const LoaderState ls = train.state();
    const Json header = {{"format", "tock-train-checkpoint"}, {"step", done}, {"adamw_step", adam.steps()},
                         {"loader", {{"seed", ls.seed}, {"next_window", ls.next_window}}}, {"rng_state", rng.state},
                         {"log_bytes", log.bytes()}, {"options", options_to_json(o)}};
    write_checkpoint(ckpt_path, header, model->params(), adam.m().data(), adam.v().data(), model->num_params());
  };

  SigintGuard sigint;
  std::vector<int32_t> windows(size_t(B * (T + 1))), inputs(size_t(B * T)), targets(size_t(B * T));
  float* grads = model->grads();
  const int64_t n_params = model->num_params();
  const auto t_begin = std::chrono::steady_clock::now();
  for (int64_t step = start; step < N; ++step) {
    const auto t0 = std::chrono::steady_clock::now();
    const float lr = sched.at(step);
    model->zero_grad();
    double loss_sum = 0.0;
    for (int64_t a = 0; a < A; ++a) {
      train.next_batch(B, windows.data());
      split_windows(windows, B, T, inputs, targets);
      loss_sum += model->forward(inputs.data(), targets.data(), B, T);
      model->backward();
    }
    const float loss = float(loss_sum / double(A));
    if (A > 1) {
      const float scale = 1.0f / float(A);  // backward adds the gradient of each micro-batch's mean
      for (int64_t i = 0; i < n_params; ++i) grads[i] *= scale;
    }
    const float norm = clip_grad_norm(grads, n_params, o.clip > 0.0f ? o.clip : INFINITY);
    const int64_t done = step + 1;
    if (!std::isfinite(loss) || !std::isfinite(norm)) {
      log.write({{"event", "stop"}, {"reason", "non-finite"}, {"step", done}});
      fail("training stopped at step ", done, ": loss is ", loss, ", gradient norm ", norm,
           " (diverged: try a lower --lr); the last good checkpoint is ",
           std::filesystem::exists(ckpt_path) ? ckpt_path : std::string("(none written yet)"));
    }
    adam.step(segments, lr);
    const auto t1 = std::chrono::steady_clock::now();
    const double dt = std::chrono::duration<double>(t1 - t0).count();
    const double elapsed = std::chrono::duration<double>(t1 - t_begin).count();
    const double tok_s = double(tokens_per_step) / dt;
    const double mfu = peak > 0 ? flops_per_step / dt / peak : 0.0;
    const double eta = elapsed / double(done - start) * double(N - done);
    log.write({{"event", "train"}, {"step", done}, {"loss", loss}, {"lr", lr}, {"grad_norm", norm},
               {"tokens_per_s", tok_s}, {"mfu", mfu}, {"ms", dt * 1e3}});
    if (!o.quiet)
      std::fprintf(stderr, "step %5lld/%lld | loss %.4f | lr %.2e | norm %.4f | %.0f tok/s | MFU %.1f%% | ETA %s\n",
                   (long long)done, (long long)N, loss, lr, norm, tok_s, mfu * 100.0, duration(eta).c_str());

    if (val && (done % o.eval_every == 0 || done == N)) {
      const float vl = evaluate(*model, *val, B, T, o.eval_batches);
      log.write({{"event", "eval"}, {"step", done}, {"val_loss", vl}, {"val_ppl", std::exp(double(vl))},
                 {"batches", o.eval_batches}});
      std::fprintf(stderr, "eval  %5lld/%lld | val loss %.4f | val ppl %.2f\n", (long long)done, (long long)N, vl,
                   std::exp(double(vl)));
    }
    if (o.sample_every > 0 && (done % o.sample_every == 0 || done == N)) {
      const int32_t first = tokenizer->eos() >= 0 ? tokenizer->eos() : 0;
      const auto ids = sample_tokens(*model, first, o.sample_tokens, o.sample_temp, rng);
      // A sample may cut a character in two: invalid bytes become U+FFFD for the terminal and log.
      const std::string text = repair_utf8(tokenizer->decode(ids, true));
      log.write({{"event", "sample"}, {"step", done}, {"temperature", o.sample_temp}, {"tokens", ids}, {"text", text}});
      std::fprintf(stderr, "sample %lld: %s\n", (long long)done, text.c_str());
    }
    const bool stop = g_interrupted || done == o.stop_at;
    if (stop || done == N || (o.checkpoint_every > 0 && done % o.checkpoint_every == 0)) save(done);
    if (stop && done < N) {
      log.write({{"event", "stop"}, {"reason", g_interrupted ? "interrupt" : "stop-at"}, {"step", done}});
      std::fprintf(stderr, "train: stopped after step %lld of %lld; checkpoint %s (continue with --resume %s)\n",
                   (long long)done, (long long)N, ckpt_path.c_str(), o.out_dir.c_str());
      return TrainOutcome::Interrupted;
    }
  }
  const std::string gguf_path = o.out_dir + "/model.gguf";
  export_train_model(*model, shape, tok_file, gguf_path);
  log.write({{"event", "export"}, {"step", N}, {"path", gguf_path}});
  std::fprintf(stderr, "train: done, %lld steps; exported %s (run it with `tock run -m %s`)\n", (long long)N,
               gguf_path.c_str(), gguf_path.c_str());
  return TrainOutcome::Finished;
}

}  // namespace tock
