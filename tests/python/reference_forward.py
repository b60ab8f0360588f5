"""An independent numpy forward pass of Llama- and GPT-2-family GGUF models.

Written from the papers / Hugging Face's modeling code, not from Tock's: weights come from
gguf-py's own dequantization; Llama Q/K rows are un-permuted back to Hugging Face's layout and
RoPE is applied HF-style (rotate_half over the two halves of each head), so a mistake in Tock's
adjacent-pair RoPE or GGUF conventions shows up here as a mismatch. Computation is float64.
"""
import numpy as np
import gguf


def field(reader, key, default=None):
    f = reader.fields.get(key)
    if f is None:
        return default
    return f.contents()


class Weights:
    def __init__(self, path):
        self.reader = gguf.GGUFReader(path)
        self.tensors = {t.name: t for t in self.reader.tensors}

    def has(self, name):
        return name in self.tensors

    def get(self, name):
        t = self.tensors[name]
        a = gguf.quants.dequantize(t.data, t.tensor_type)
        # gguf-py gives numpy shape = reversed ggml ne: (rows, cols) for matrices.
        return np.asarray(a, dtype=np.float64).reshape([int(d) for d in reversed(t.shape)])


def unpermute(w, n_head):
    """Inverse of llama.cpp convert's permute(): GGUF rows -> Hugging Face rows."""
    rows = w.shape[0]
    return w.reshape(n_head, rows // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def rms_norm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def layer_norm(x, w, b, eps):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def rope_hf(x, pos, base, n_rot):
    """x: (T, H, D). Hugging Face rotate_half RoPE on the first n_rot dims."""
    half = n_rot // 2
    inv = base ** (-np.arange(0, half, dtype=np.float64) * 2.0 / n_rot)
    ang = np.outer(pos, inv)  # (T, half)
    cos = np.concatenate([np.cos(ang)] * 2, axis=-1)[:, None, :]
    sin = np.concatenate([np.sin(ang)] * 2, axis=-1)[:, None, :]
    r = x[..., :n_rot]
    rot = np.concatenate([-r[..., half:], r[..., :half]], axis=-1)
    out = x.copy()
    out[..., :n_rot] = r * cos + rot * sin
    return out


def causal_attention(q, k, v, n_head, n_head_kv):
    """q: (T, H, D), k/v: (T, Hkv, D) -> (T, H*D)."""
    T, _, D = q.shape
    group = n_head // n_head_kv
    k = np.repeat(k, group, axis=1)
    v = np.repeat(v, group, axis=1)
    s = np.einsum("thd,shd->hts", q, k) / np.sqrt(D)
    s = s + np.triu(np.full((T, T), -np.inf), 1)[None]
    s = s - s.max(axis=-1, keepdims=True)
    p = np.exp(s)
    p /= p.sum(axis=-1, keepdims=True)
    return np.einsum("hts,shd->thd", p, v).reshape(T, -1)


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


class Model:
    def __init__(self, path):
        self.w = Weights(path)
        r = self.w.reader
        self.arch = field(r, "general.architecture")
        a = self.arch
        self.n_layer = int(field(r, f"{a}.block_count"))
        self.n_head = int(field(r, f"{a}.attention.head_count"))
        self.n_head_kv = int(field(r, f"{a}.attention.head_count_kv", self.n_head))
        self.n_embd = int(field(r, f"{a}.embedding_length"))
        self.head_dim = self.n_embd // self.n_head
        if a == "gpt2":
            self.eps = float(field(r, f"{a}.attention.layer_norm_epsilon"))
        else:
            self.eps = float(field(r, f"{a}.attention.layer_norm_rms_epsilon"))
            self.rope_base = float(field(r, f"{a}.rope.freq_base", 10000.0))
            self.n_rot = int(field(r, f"{a}.rope.dimension_count", self.head_dim))
        self.cache = {}

    def t(self, name):
        if name not in self.cache:
            self.cache[name] = self.w.get(name)
        return self.cache[name]

    def logits(self, ids):
        ids = np.asarray(ids)
        x = self.t("token_embd.weight")[ids]
        if self.arch == "gpt2":
            return self._gpt2(ids, x)
        return self._llama(ids, x)

    def _llama(self, ids, x):
        T = len(ids)
        pos = np.arange(T)
        H, Hkv, D = self.n_head, self.n_head_kv, self.head_dim
        neox = self.arch == "qwen2"  # stored un-permuted
        for l in range(self.n_layer):
            p = f"blk.{l}."
            h = rms_norm(x, self.t(p + "attn_norm.weight"), self.eps)
            wq, wk = self.t(p + "attn_q.weight"), self.t(p + "attn_k.weight")
            if not neox:
                wq, wk = unpermute(wq, H), unpermute(wk, Hkv)
            q, k, v = h @ wq.T, h @ wk.T, h @ self.t(p + "attn_v.weight").T
            for name, arr in (("attn_q.bias", "q"), ("attn_k.bias", "k"), ("attn_v.bias", "v")):
                if self.w.has(p + name):
                    if arr == "q":
                        q = q + self.t(p + name)
                    elif arr == "k":
                        k = k + self.t(p + name)
                    else:
                        v = v + self.t(p + name)
            q = rope_hf(q.reshape(T, H, D), pos, self.rope_base, self.n_rot)
            k = rope_hf(k.reshape(T, Hkv, D), pos, self.rope_base, self.n_rot)
            a = causal_attention(q, k, v.reshape(T, Hkv, D), H, Hkv)
            x = x + a @ self.t(p + "attn_output.weight").T
            h = rms_norm(x, self.t(p + "ffn_norm.weight"), self.eps)
            g = h @ self.t(p + "ffn_gate.weight").T
            u = h @ self.t(p + "ffn_up.weight").T
            x = x + (g / (1 + np.exp(-g)) * u) @ self.t(p + "ffn_down.weight").T
        x = rms_norm(x, self.t("output_norm.weight"), self.eps)
        out = self.t("output.weight") if self.w.has("output.weight") else self.t("token_embd.weight")
        return x @ out.T

    def _gpt2(self, ids, x):
        T = len(ids)
        H, D, C = self.n_head, self.head_dim, self.n_embd
        x = x + self.t("position_embd.weight")[np.arange(T)]
        for l in range(self.n_layer):
            p = f"blk.{l}."
            h = layer_norm(x, self.t(p + "attn_norm.weight"), self.t(p + "attn_norm.bias"), self.eps)
            qkv = h @ self.t(p + "attn_qkv.weight").T + self.t(p + "attn_qkv.bias")
            q, k, v = qkv[:, :C], qkv[:, C:2 * C], qkv[:, 2 * C:]
            a = causal_attention(q.reshape(T, H, D), k.reshape(T, H, D), v.reshape(T, H, D), H, H)
            x = x + a @ self.t(p + "attn_output.weight").T + self.t(p + "attn_output.bias")
            h = layer_norm(x, self.t(p + "ffn_norm.weight"), self.t(p + "ffn_norm.bias"), self.eps)
            u = gelu_tanh(h @ self.t(p + "ffn_up.weight").T + self.t(p + "ffn_up.bias"))
            x = x + u @ self.t(p + "ffn_down.weight").T + self.t(p + "ffn_down.bias")
        x = layer_norm(x, self.t("output_norm.weight"), self.t("output_norm.bias"), self.eps)
        out = self.t("output.weight") if self.w.has("output.weight") else self.t("token_embd.weight")
        return x @ out.T
