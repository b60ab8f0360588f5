"""Hugging Face `tokenizers` references built from a GGUF's own vocabulary, for the
tokenizer parity checks (tests/python/test_tokenizer*.py).

The vocabulary, merges and token types are read with gguf-py (independent of Tock's GGUF
reader); the split rules are written as Hugging Face's tokenizer.json files spell them.
"""
import gguf
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers

# Split rules as in the models' tokenizer.json (pre_tokenizer sections).
GPT2_RULE = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3_RULE = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
               r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

CONTROL, USER_DEFINED, UNKNOWN = 3, 4, 2


def read_tokenizer_fields(path):
    """The tokenizer.ggml.* values of a GGUF file as Python values."""
    r = gguf.GGUFReader(path)
    out = {}
    for name, field in r.fields.items():
        if not name.startswith("tokenizer.ggml."):
            continue
        key = name[len("tokenizer.ggml."):]
        t = field.types
        if t[0] == gguf.GGUFValueType.ARRAY:
            if t[-1] == gguf.GGUFValueType.STRING:
                out[key] = [bytes(field.parts[i]).decode("utf-8") for i in field.data]
            else:
                out[key] = [field.parts[i].tolist()[0] for i in field.data]
        elif t[0] == gguf.GGUFValueType.STRING:
            out[key] = bytes(field.parts[field.data[0]]).decode("utf-8")
        else:
            out[key] = field.parts[field.data[0]].tolist()[0]
    return out


def _added_tokens(fields):
    types = fields.get("token_type") or [1] * len(fields["tokens"])
    return [AddedToken(tok, special=(ty != USER_DEFINED), normalized=False)
            for tok, ty in zip(fields["tokens"], types) if ty in (CONTROL, USER_DEFINED, UNKNOWN)]


def byte_level_bpe(fields, rule="smollm", with_added_tokens=True):
    """Byte-level BPE with the split rule `rule`: smollm, gpt-2 or llama-bpe."""
    vocab = {tok: i for i, tok in enumerate(fields["tokens"])}
    assert len(vocab) == len(fields["tokens"]), "duplicate tokens in the vocabulary"
    merges = [tuple(m.split(" ", 1)) for m in fields["merges"]]
    tk = Tokenizer(models.BPE(vocab=vocab, merges=merges, ignore_merges=(rule == "llama-bpe")))
    if rule == "smollm":  # SmolLM2 tokenizer.json: digits isolated, then GPT-2's ByteLevel
        tk.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(r"\p{N}"), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    elif rule == "gpt-2":
        tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    elif rule == "llama-bpe":  # Llama 3 tokenizer.json
        tk.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(LLAMA3_RULE), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    else:
        raise ValueError(rule)
    tk.decoder = decoders.ByteLevel()
    if with_added_tokens:
        tk.add_tokens(_added_tokens(fields))
    return tk
