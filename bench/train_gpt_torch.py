"""bench/train_gpt_torch.py: the PyTorch side of bench/train_vs_pytorch.sh.

The same GPT-2-style model as Tock's GptModel (nanoGPT's model.py, minus dropout): learned
position embeddings, pre-LayerNorm blocks with fused qkv (bias), causal attention, GELU-tanh
MLP of width 4C, final LayerNorm, output layer tied to the token embedding; AdamW (betas 0.9,
0.95, wd 0.1) — timed per step (forward + backward + optimizer) on random tokens, same configs,
same thread count (torch.set_num_threads). Attention as nanoGPT runs it: the fused
F.scaled_dot_product_attention(is_causal=True) where torch has it (2.0+), else the explicit
masked softmax (torch 1.13; or --no-sdpa). Eager by default (nanoGPT's CPU default);
--compile adds torch.compile. Compare with the fastest torch you can install (PyPI's wheel:
MKL + oneDNN); Debian's 1.13 on OpenBLAS is far slower on CPUs its OpenBLAS misdetects.

Usage: PYTHON bench/train_gpt_torch.py [--config tiny|small|gpt2-124M|all] [--threads N]
                                       [--steps N] [--no-sdpa] [--compile]
Prints one line per config: config=... threads=... tok_s=<median> best_tok_s=... step_ms=...
loss=... torch=<version> attention=sdpa|explicit compiled=0|1 blas=mkl|...
"""
import argparse
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# nanoGPT uses F.scaled_dot_product_attention when torch has it (2.0+); main() may turn it off.
USE_SDPA = hasattr(F, "scaled_dot_product_attention")

CONFIGS = {
    # name: (max_seq, vocab, layers, heads, channels, batch, seq)
    "tiny": (256, 4096, 4, 4, 256, 16, 256),
    "small": (256, 8192, 6, 6, 384, 8, 256),
    "gpt2-124M": (1024, 50257, 12, 12, 768, 4, 64),
}


class Block(nn.Module):
    def __init__(self, C, NH, maxT):
        super().__init__()
        self.NH = NH
        self.ln_1 = nn.LayerNorm(C)
        self.c_attn = nn.Linear(C, 3 * C)
        self.c_proj = nn.Linear(C, C)
        self.ln_2 = nn.LayerNorm(C)
        self.c_fc = nn.Linear(C, 4 * C)
        self.mlp_proj = nn.Linear(4 * C, C)
        self.register_buffer("mask", torch.tril(torch.ones(maxT, maxT)).view(1, 1, maxT, maxT))

    def attn(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.NH, C // self.NH).transpose(1, 2)
        k = k.view(B, T, self.NH, C // self.NH).transpose(1, 2)
        v = v.view(B, T, self.NH, C // self.NH).transpose(1, 2)
        if USE_SDPA:  # nanoGPT's path on torch >= 2.0: the fused (flash) attention kernel
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:  # torch 1.13, or --no-sdpa: nanoGPT's explicit path
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
            att = F.softmax(att, dim=-1)
            y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, maxT, V, L, NH, C):
        super().__init__()
        self.wte = nn.Embedding(V, C)
        self.wpe = nn.Embedding(maxT, C)
        self.h = nn.ModuleList([Block(C, NH, maxT) for _ in range(L)])
        self.ln_f = nn.LayerNorm(C)
        # nanoGPT's initialisation (as GptModel): N(0, 0.02), residual projections
        # N(0, 0.02/sqrt(2L)), biases 0. Timing only, but a sane loss shows the model is right.
        for name, p in self.named_parameters():
            if p.dim() >= 2:
                proj = name.endswith("c_proj.weight") or name.endswith("mlp_proj.weight")
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * L) if proj else 0.02)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, idx, targets):
        T = idx.size(1)
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for block in self.h:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.t()  # tied output layer
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def bench(name, steps, threads, compile_model):
    maxT, V, L, NH, C, B, T = CONFIGS[name]
    torch.manual_seed(1)
    model = GPT(maxT, V, L, NH, C)
    step_model = torch.compile(model) if compile_model else model
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-4, betas=(0.9, 0.95), eps=1e-8)
    tokens = torch.randint(0, V, (B * T + 1,))
    x, y = tokens[:-1].view(B, T), tokens[1:].view(B, T)
    secs = []
    for s in range(steps + 1):  # step 0 warms up (and compiles): not timed
        t0 = time.perf_counter()
        loss = step_model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        t1 = time.perf_counter()
        if s > 0:
            secs.append(t1 - t0)
    med, best = statistics.median(secs), min(secs)
    print(f"config={name} threads={threads} tok_s={B * T / med:.0f} best_tok_s={B * T / best:.0f} "
          f"step_ms={med * 1e3:.1f} loss={loss.item():.4f} torch={torch.__version__} "
          f"attention={'sdpa' if USE_SDPA else 'explicit'} compiled={int(compile_model)} "
          f"blas={blas()}", flush=True)


def blas():
    """What runs the matmuls: MKL, else the BLAS named in the build config (e.g. OpenBLAS)."""
    if torch.backends.mkl.is_available():
        return "mkl"
    for part in torch.__config__.show().replace(",", " ").split():
        if part.startswith("BLAS_INFO="):
            return part.split("=", 1)[1]
    return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="all", choices=["all", *CONFIGS])
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--no-sdpa", action="store_true", help="explicit softmax attention")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model (torch 2)")
    a = ap.parse_args()
    global USE_SDPA
    USE_SDPA = USE_SDPA and not a.no_sdpa
    torch.set_num_threads(a.threads)
    for name in CONFIGS:
        if a.config in ("all", name):
            bench(name, a.steps, a.threads, a.compile)


if __name__ == "__main__":
    main()
