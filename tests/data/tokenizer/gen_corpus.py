"""Generates corpus.jsonl, the tokenizer parity corpus (one JSON string per line; a string
may hold several lines of text). Deterministic (fixed seed). Sources: the Debian `fortunes`
package (English prose), Python's standard library (code), and hand-written / generated
text for numbers, whitespace, CJK, emoji, accents and combining marks, other scripts and
special-token strings. Regenerate with: .venv/bin/python tests/data/tokenizer/gen_corpus.py
"""
import glob
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(20240601)


def fortunes():
    items = []
    for path in sorted(glob.glob("/usr/share/games/fortunes/*")):
        if "." in os.path.basename(path) or os.path.isdir(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            items += [x.strip("\n") for x in f.read().split("\n%\n") if x.strip()]
    return items


def code_chunks():
    files = sorted(glob.glob("/usr/lib/python3*/[a-m]*.py"))[:60]
    chunks = []
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
        for _ in range(10):
            i = rng.randrange(max(1, len(lines) - 12))
            chunks.append("\n".join(lines[i:i + rng.randint(1, 12)]))
    return chunks


CPP = [
    "template <typename T>\nstd::vector<T> f(const T& x) {\n\treturn {x, x};\n}\n",
    "for (int i = 0; i < n; ++i) { y[i] += a * x[i]; }  // axpy",
    "#include <cstdio>\nint main(){printf(\"%d\\n\", 42);return 0;}",
    "if (a != b && c <= d || !e) { return -1; } else if (x >>= 2) {}",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name DESC;",
    "curl -sSL https://example.com/install.sh | bash -s -- --prefix=/usr/local",
    "{\"key\": [1, 2.5, -3e10, null, true], \"nested\": {\"a\": \"b\"}}",
    "<div class=\"x\"><a href='https://a.b/c?d=1&e=2'>link</a></div>",
    "fn main() -> Result<(), Box<dyn Error>> { let v: Vec<u8> = vec![0; 16]; Ok(()) }",
    "lambda x: x**2 if x>0 else -x  # comment with 'quotes' and \"double\"",
    "    def __init__(self, *args, **kwargs):\n        super().__init__(*args, **kwargs)\n",
    "$ git commit -m 'fix: off-by-one in merge()' && git push origin HEAD:refs/for/main",
    "a=1;b=2;c=a+b;print(f\"{c:08.3f}\")\r\nwindows line\r\n",
]


def numbers():
    out = []
    for _ in range(450):
        k = rng.randrange(12)
        if k == 0: out.append(str(rng.randrange(10 ** rng.randint(1, 20))))
        elif k == 1: out.append(f"{rng.uniform(-1e6, 1e6):.{rng.randint(0, 8)}f}")
        elif k == 2: out.append(f"{rng.randrange(1, 10**9):,}")
        elif k == 3: out.append(f"{rng.randint(1900, 2100)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}")
        elif k == 4: out.append(f"+1 ({rng.randint(200, 999)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}")
        elif k == 5: out.append(hex(rng.randrange(2**64)) + " " + oct(rng.randrange(4096)) + " " + bin(rng.randrange(256)))
        elif k == 6: out.append(f"{rng.random():.3e} {rng.randint(1, 99)}% ${rng.randint(1, 999)}.{rng.randint(0, 99):02d}")
        elif k == 7: out.append("".join(rng.choice("٠١٢٣٤٥٦٧٨٩۰۱۲३४५１２３４５²³¹½¼¾ⅠⅡⅫ①②⑳𝟘𝟙") for _ in range(rng.randint(1, 10))))
        elif k == 8: out.append(f"v{rng.randint(0, 9)}.{rng.randint(0, 99)}.{rng.randint(0, 999)}-rc{rng.randint(1, 9)}")
        elif k == 9: out.append(f"{rng.randint(1, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}:{rng.randint(1, 65535)}")
        elif k == 10: out.append(" ".join(str(rng.randint(-999, 9999)) for _ in range(rng.randint(2, 12))))
        else: out.append(f"x{rng.randint(0, 99)}y{rng.randint(0, 999)}z 3rd 21st 1000000th 007 0.5e-3")
    return out


WS = [" ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", "\r", "\u00a0", "\u3000", "\u0085", "\u2028",
      "\u2029", "\u200b", "\u2009", "\u202f", "\x0b", "\x0c", " \n ", "\t\t", "        "]
WORDS = ["the", "cat", "sat", "on", "mat", "Hello", "WORLD", "don't", "I'll", "we've",
         "it's", "x", "42", "déjà", "vu", "naïve", "über", "日本", "😀", "!", "...", "--", "''"]


def whitespace():
    out = []
    for _ in range(450):
        parts = []
        for _ in range(rng.randint(1, 12)):
            parts.append(rng.choice(WORDS) if rng.random() < 0.5 else rng.choice(WS) * rng.randint(1, 4))
        out.append("".join(parts))
    out += ["", " ", "\n", "   leading", "trailing   ", "\n\nblank lines\n\n\n", "a \n b", " \t\n\r\x0b\x0c"]
    return out


CJK_TEXT = [
    "我们今天去公园散步，天气非常好。", "这是一个测试句子，包含标点符号！", "人工智能正在改变世界。",
    "東京は日本の首都です。", "ひらがなとカタカナ、そして漢字。", "今日はいい天気ですね？",
    "한국어 문장입니다. 안녕하세요!", "서울은 대한민국의 수도입니다.", "中文English混合text123",
    "「引用」『二重』（括弧）【強調】", "ｆｕｌｌｗｉｄｔｈ　ＡＳＣＩＩ", "半角ｶﾀｶﾅと全角カタカナ",
]


def cjk():
    out = list(CJK_TEXT)
    ranges = [(0x4E00, 0x9FA5), (0x3041, 0x3096), (0x30A1, 0x30FA), (0xAC00, 0xD7A3), (0x3400, 0x4DB5)]
    for _ in range(440):
        a, b = rng.choice(ranges)
        s = "".join(chr(rng.randint(a, b)) for _ in range(rng.randint(1, 20)))
        if rng.random() < 0.4:
            s = rng.choice(CJK_TEXT) + rng.choice(["", " ", "\n"]) + s
        if rng.random() < 0.3:
            s += " " + rng.choice(WORDS) + rng.choice(["。", "、", "！", "?", ""])
        out.append(s)
    return out


EMOJI = ["😀", "😂", "🥲", "❤️", "👍", "👍🏽", "👩‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🧑🏿‍🚀", "🇫🇷", "🇯🇵", "🇺🇸",
         "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "1️⃣", "#️⃣", "☕", "✨", "🔥", "🚀", "🤷‍♀️", "🫠", "😶‍🌫️", "©️", "™", "🦀", "🐍"]


def emoji():
    out = []
    for _ in range(450):
        parts = []
        for _ in range(rng.randint(1, 8)):
            r = rng.random()
            parts.append(rng.choice(EMOJI) if r < 0.6 else rng.choice(WORDS) if r < 0.85 else rng.choice([" ", "", "\n"]))
        out.append("".join(parts))
    return out


ACCENTED = [
    "café naïve résumé façade coöperate Zürich São Paulo Ångström", "Ελληνικά: Καλημέρα κόσμε",
    "Русский текст: Съешь же ещё этих мягких французских булок.", "Tiếng Việt có dấu: Người, được, những",
    "עברית: שלום עולם", "العربية: مرحبا بالعالم", "हिन्दी: नमस्ते दुनिया", "ภาษาไทย สวัสดีชาวโลก",
    "Ærøskøbing, Łódź, Škoda, Ćevapi, İstanbul, ıi", "ﬁ ﬂ ß ẞ ǅ ǈ ǋ", "Zalgo: Z̷̢̛a̸̧l̴̨g̵̛o̶̕",
    "decomposed: e\u0301 a\u0300 o\u0308 n\u0303 c\u0327", "precomposed: é à ö ñ ç",
    "𝐁𝐨𝐥𝐝 𝑰𝒕𝒂𝒍𝒊𝒄 𝔉𝔯𝔞𝔨𝔱𝔲𝔯", "Ωmega Kelvin K Å ſ long s", "ʻOkina Hawaiʻi, Māori, O‘ahu",
]
COMBINING = ["\u0300", "\u0301", "\u0302", "\u0303", "\u0308", "\u030a", "\u0327", "\u0328", "\u0331", "\u20dd", "\u200d", "\ufe0f"]


def accented():
    out = list(ACCENTED)
    letters = "aeiouAEIOUnczsyNCZSYàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿĀāĂăĄąĆćĈĉŁłŒœŠšŸŽžƒǍǎ"
    for _ in range(430):
        s = []
        for _ in range(rng.randint(1, 25)):
            s.append(rng.choice(letters))
            if rng.random() < 0.3:
                s.append(rng.choice(COMBINING))
            if rng.random() < 0.15:
                s.append(" ")
        w = "".join(s)
        if rng.random() < 0.3:
            w = rng.choice(ACCENTED) + " " + w
        out.append(w)
    return out


SPECIAL = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<repo_name>", "<file_sep>", "<filename>",
           "<gh_stars>", "<issue_start>", "<jupyter_code>", "<empty_output>"]


def special_strings():
    out = []
    roles = ["system", "user", "assistant"]
    for _ in range(300):
        conv = []
        for _ in range(rng.randint(1, 3)):
            conv.append(f"<|im_start|>{rng.choice(roles)}\n{rng.choice(WORDS)} {rng.choice(CJK_TEXT)} {rng.choice(EMOJI)}<|im_end|>\n")
        out.append("".join(conv))
    for _ in range(150):
        parts = []
        for _ in range(rng.randint(1, 6)):
            r = rng.random()
            if r < 0.4: parts.append(rng.choice(SPECIAL))
            elif r < 0.6: parts.append(rng.choice(SPECIAL)[:rng.randint(1, 6)])  # near-misses
            elif r < 0.7: parts.append("<|im_start|" + rng.choice(["", ">", ">>", " >"]))
            else: parts.append(rng.choice(WORDS) + rng.choice(["", " ", "\n"]))
        out.append("".join(parts))
    return out


CONTRACTIONS = ["I'm", "you're", "he's", "we've", "they'll", "I'd", "DON'T", "It'S", "WE'VE",
                "y'all", "rock'n'roll", "'tis", "o'clock", "’s", "it’s", "‘quoted’", "''", "'s's"]


def contractions():
    return [" ".join(rng.choice(CONTRACTIONS + WORDS) for _ in range(rng.randint(1, 10))) for _ in range(250)]


def random_unicode():
    blocks = [(0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x5FF), (0x600, 0x6FF),
              (0x900, 0x97F), (0xE00, 0xE5B), (0x2000, 0x206F), (0x2100, 0x214F), (0x2190, 0x23FF),
              (0x2500, 0x27BF), (0x1F300, 0x1F64F), (0x1F900, 0x1F9FF), (0x10000, 0x1007F)]
    out = []
    for _ in range(250):
        a, b = rng.choice(blocks)
        chars = []
        while len(chars) < rng.randint(1, 30):
            c = chr(rng.randint(a, b))
            if c.isprintable() or c in " \n\t":
                chars.append(c)
        out.append("".join(chars))
    return out


def main():
    prose = fortunes()
    rng.shuffle(prose)
    single = []
    for f in prose:
        single += [l for l in f.split("\n") if l.strip()]
    rng.shuffle(single)
    corpus = single[:2000] + prose[:700] + code_chunks() + CPP + numbers() + whitespace() + cjk() \
        + emoji() + accented() + special_strings() + contractions() + random_unicode()
    path = os.path.join(HERE, "corpus.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for text in corpus:
            f.write(json.dumps(text, ensure_ascii=False) + "\n")
    print(f"{path}: {len(corpus)} texts, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
