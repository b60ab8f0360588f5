"""PyTorch reference for Tock's Llama-style trainer (src/train/llama_train.hpp, adamw.hpp).

Runs tests/tools/llama_train_check, which writes the initial parameters, a batch, the first
logits and gradient, and the parameters after N AdamW steps; repeats the same computation in
PyTorch (float64, written out functionally in the manner of Hugging Face's LlamaModel, with
RoPE on adjacent pairs as GGUF `llama` weights are stored) and prints the differences as JSON.
Run with a Python that has torch: Debian's python3-torch, i.e. /usr/bin/python3 — the
project's .venv has no torch. Usage:
    python3 reference_train_llama.py TOOL WORKDIR [tool flags...]
"""
import json
import math
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F


def split(flat, cfg):
    """The parameter block as {name: tensor}, from the layout the tool wrote."""
    out = {}
    for t in cfg["tensors"]:
        n = math.prod(t["shape"])
        out[t["name"]] = flat[t["offset"]:t["offset"] + n].reshape(t["shape"])
    assert sum(math.prod(t["shape"]) for t in cfg["tensors"]) == flat.size
    return out


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope_angles(T, HS, base):
    """theta[t, i] = t · base^(-2i/HS), rounded to float32 as Tock (and ggml) computes it."""
    i = torch.arange(HS // 2, dtype=torch.float32)
    inv_freq = torch.pow(torch.tensor(base, dtype=torch.float32), -2.0 * i / HS)
    theta = torch.arange(T, dtype=torch.float32)[:, None] * inv_freq[None, :]
    return theta.double()


def rope_adjacent(x, theta):
    """x: (B, T, H, HS); pairs (2i, 2i+1) turn by theta[t, i]."""
    B, T, H, HS = x.shape
    xp = x.view(B, T, H, HS // 2, 2)
    c, s = theta.cos()[None, :, None, :], theta.sin()[None, :, None, :]
    x0, x1 = xp[..., 0], xp[..., 1]
    return torch.stack((x0 * c - x1 * s, x0 * s + x1 * c), dim=-1).view(B, T, H, HS)


def logits_of(p, idx, cfg):
    B, T = idx.shape
    C, NH, NKV, eps = cfg["channels"], cfg["n_head"], cfg["n_kv_head"], cfg["norm_eps"]
    HS = C // NH
    theta = rope_angles(T, HS, cfg["rope_base"])
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    x = p["tok_embd"][idx]
    for l in range(cfg["n_layer"]):
        h = rms_norm(x, p["attn_norm"][l], eps)
        q = rope_adjacent(F.linear(h, p["wq"][l]).view(B, T, NH, HS), theta)
        k = rope_adjacent(F.linear(h, p["wk"][l]).view(B, T, NKV, HS), theta)
        v = F.linear(h, p["wv"][l]).view(B, T, NKV, HS)
        # Query head h reads kv head h // (NH/NKV).
        k, v = (t.repeat_interleave(NH // NKV, dim=2) for t in (k, v))
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(HS)
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + F.linear(y, p["wo"][l])
        h = rms_norm(x, p["ffn_norm"][l], eps)
        x = x + F.linear(F.silu(F.linear(h, p["w_gate"][l])) * F.linear(h, p["w_up"][l]),
                         p["w_down"][l])
    x = rms_norm(x, p["output_norm"], eps)
    return x @ p.get("output", p["tok_embd"]).T


def main():
    tool, work, flags = sys.argv[1], sys.argv[2], sys.argv[3:]
    subprocess.run([tool, work, *flags], check=True)
    cfg = json.load(open(os.path.join(work, "result.json")))
    load = lambda name, dt: np.fromfile(os.path.join(work, name), dtype=dt)
    params0, grads0, final = (load(n, np.float32) for n in ("params0.f32", "grads0.f32", "params_final.f32"))
    logits0 = load("logits0.f32", np.float32).astype(np.float64)
    B, T, V = cfg["B"], cfg["T"], cfg["vocab_size"]
    tokens = torch.from_numpy(load("tokens.i32", np.int32).astype(np.int64)).view(B, T + 1)
    idx, targets = tokens[:, :T], tokens[:, 1:]

    p = {n: torch.tensor(a, dtype=torch.float64, requires_grad=True)
         for n, a in split(params0.astype(np.float64), cfg).items()}
    decay_of = {t["name"]: t["decay"] for t in cfg["tensors"]}
    opt = torch.optim.AdamW([{"params": [q for n, q in p.items() if decay_of[n]], "weight_decay": cfg["weight_decay"]},
                             {"params": [q for n, q in p.items() if not decay_of[n]], "weight_decay": 0.0}],
                            lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["eps"])
    losses, norms, grad_ref, logits_ref = [], [], None, None
    for step in range(len(cfg["losses"])):
        opt.zero_grad()
        logits = logits_of(p, idx, cfg)
        loss = F.cross_entropy(logits.view(-1, V), targets.reshape(-1))
        loss.backward()
        losses.append(loss.item())
        if step == 0:
            grad_ref = {n: q.grad.detach().clone().numpy() for n, q in p.items()}
            logits_ref = logits.detach().numpy().reshape(-1)
        norms.append(float(torch.nn.utils.clip_grad_norm_(list(p.values()), cfg["clip"])))
        opt.step()

    report = {"loss0_tock": cfg["losses"][0], "loss0_torch": losses[0],
              "loss_max_abs_diff": max(abs(a - b) for a, b in zip(cfg["losses"], losses)),
              "logits_max_abs_diff": float(np.abs(logits0 - logits_ref).max()),
              "grad_norm_max_rel_diff": max(abs(a - b) / b for a, b in zip(cfg["grad_norms"], norms)),
              "grad_rel": {}, "param_abs": {}}
    # A tensor's error relative to its scale: max |tock - torch| / max |torch|.
    for name, g in split(grads0.astype(np.float64), cfg).items():
        r = grad_ref[name]
        scale = np.abs(r).max()
        report["grad_rel"][name] = float(np.abs(g - r).max() / scale) if scale > 0 else float(np.abs(g).max())
    for name, w in split(final.astype(np.float64), cfg).items():
        report["param_abs"][name] = float(np.abs(w - p[name].detach().numpy()).max())
    report["grad_rel_max"] = max(report["grad_rel"].values())
    report["param_abs_max"] = max(report["param_abs"].values())
    print(json.dumps(report))


if __name__ == "__main__":
    main()
