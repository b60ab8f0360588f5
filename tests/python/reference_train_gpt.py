"""PyTorch reference for Tock's GPT-2-style trainer (src/train/gpt.hpp, adamw.hpp).

Runs tests/tools/gpt_train_check, which writes the initial parameters, a batch, the first
gradient and the parameters after N AdamW steps; repeats the same computation in PyTorch
(float64, written out functionally from nanoGPT's model.py) and prints the differences as JSON.
Run with a Python that has torch: Debian's python3-torch (see scripts/setup.sh), i.e.
/usr/bin/python3 — the project's .venv has no torch. Usage:
    python3 reference_train_gpt.py TOOL WORKDIR [tool flags...]
"""
import json
import math
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

NAMES = ["wte", "wpe", "ln1w", "ln1b", "qkvw", "qkvb", "attprojw", "attprojb",
         "ln2w", "ln2b", "fcw", "fcb", "fcprojw", "fcprojb", "lnfw", "lnfb"]

DECAY = {"wte", "wpe", "qkvw", "attprojw", "fcw", "fcprojw"}


def shapes(cfg):
    V, C, L, maxT = cfg["vocab_size"], cfg["channels"], cfg["n_layer"], cfg["max_seq_len"]
    return [(V, C), (maxT, C), (L, C), (L, C), (L, 3 * C, C), (L, 3 * C), (L, C, C), (L, C),
            (L, C), (L, C), (L, 4 * C, C), (L, 4 * C), (L, C, 4 * C), (L, C), (C,), (C,)]


def split(flat, cfg):
    out, off = [], 0
    for s in shapes(cfg):
        n = math.prod(s)
        out.append(flat[off:off + n].reshape(s))
        off += n
    assert off == flat.size
    return out


def forward(p, idx, targets, cfg):
    """nanoGPT's GPT.forward (bias=True, dropout 0), the weights as plain tensors."""
    wte, wpe, ln1w, ln1b, qkvw, qkvb, attprojw, attprojb, ln2w, ln2b, fcw, fcb, fcprojw, fcprojb, lnfw, lnfb = p
    B, T = idx.shape
    C, NH, eps = cfg["channels"], cfg["n_head"], cfg["norm_eps"]
    x = wte[idx] + wpe[:T]
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for l in range(cfg["n_layer"]):
        h = F.layer_norm(x, (C,), ln1w[l], ln1b[l], eps)
        q, k, v = F.linear(h, qkvw[l], qkvb[l]).split(C, dim=2)
        q, k, v = (t.view(B, T, NH, C // NH).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // NH)
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + F.linear(y, attprojw[l], attprojb[l])
        h = F.layer_norm(x, (C,), ln2w[l], ln2b[l], eps)
        h = F.gelu(F.linear(h, fcw[l], fcb[l]), approximate="tanh")
        x = x + F.linear(h, fcprojw[l], fcprojb[l])
    x = F.layer_norm(x, (C,), lnfw, lnfb, eps)
    logits = x @ wte.T
    return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))


def main():
    tool, work, flags = sys.argv[1], sys.argv[2], sys.argv[3:]
    subprocess.run([tool, work, *flags], check=True)
    cfg = json.load(open(os.path.join(work, "result.json")))
    load = lambda name, dt: np.fromfile(os.path.join(work, name), dtype=dt)
    params0, grads0, final = load("params0.f32", np.float32), load("grads0.f32", np.float32), load("params_final.f32", np.float32)
    B, T = cfg["B"], cfg["T"]
    tokens = torch.from_numpy(load("tokens.i32", np.int32).astype(np.int64)).view(B, T + 1)
    idx, targets = tokens[:, :T], tokens[:, 1:]

    torch.manual_seed(0)
    p = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in split(params0.astype(np.float64), cfg)]
    # nanoGPT decays the tensors of 2 or more dimensions in its per-layer modules: the
    # embeddings and linear weights (here stacked over layers, so named rather than counted).
    decay = [q for n, q in zip(NAMES, p) if n in DECAY]
    no_decay = [q for n, q in zip(NAMES, p) if n not in DECAY]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["eps"])
    losses, norms, grad_ref = [], [], None
    for step in range(len(cfg["losses"])):
        opt.zero_grad()
        loss = forward(p, idx, targets, cfg)
        loss.backward()
        losses.append(loss.item())
        if step == 0:
            grad_ref = [q.grad.detach().clone().numpy() for q in p]
        norms.append(float(torch.nn.utils.clip_grad_norm_(p, cfg["clip"])))
        opt.step()

    report = {"loss0_tock": cfg["losses"][0], "loss0_torch": losses[0],
              "loss_max_abs_diff": max(abs(a - b) for a, b in zip(cfg["losses"], losses)),
              "grad_norm_max_rel_diff": max(abs(a - b) / b for a, b in zip(cfg["grad_norms"], norms)),
              "grad_rel": {}, "param_abs": {}, "tock_seconds": cfg["seconds"]}
    # A tensor's error relative to its scale: max |tock - torch| / max |torch|.
    for name, g, r in zip(NAMES, split(grads0.astype(np.float64), cfg), grad_ref):
        scale = np.abs(r).max()
        report["grad_rel"][name] = float(np.abs(g - r).max() / scale) if scale > 0 else float(np.abs(g).max())
    for name, w, r in zip(NAMES, split(final.astype(np.float64), cfg), p):
        report["param_abs"][name] = float(np.abs(w - r.detach().numpy()).max())
    report["grad_rel_max"] = max(report["grad_rel"].values())
    report["param_abs_max"] = max(report["param_abs"].values())
    print(json.dumps(report))


if __name__ == "__main__":
    main()
