"""`tock chat` driven through a pseudo-terminal, as a person would use it.

Two turns; the second reply must come from the conversation so far (it equals a greedy `tock run`
on the whole rendered conversation) and the KV cache must not be recomputed: the second turn
processes only the new turn's tokens.
"""
import os
import pty
import re
import select
import subprocess
import time

from tock_paths import TOCK_BIN, require_model, tock

TURN = re.compile(r"\[turn: (\d+) prompt tokens processed, (\d+) generated, (\d+) processed this turn, (\d+) in context")


class Pty:
    def __init__(self, args):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
        os.close(slave)
        self.buf = b""

    def read_until(self, pattern, timeout=120):
        """Reads until `pattern` appears in output that arrived after the previous match."""
        deadline = time.time() + timeout
        start = getattr(self, "pos", 0)
        while not (m := re.compile(pattern).search(self.buf, start)):
            left = deadline - time.time()
            assert left > 0, f"timed out waiting for {pattern!r}; got {self.buf[-2000:]!r}"
            r, _, _ = select.select([self.master], [], [], left)
            if r:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    chunk = b""
                assert chunk, f"process ended; output {self.buf[-2000:]!r}"
                self.buf += chunk
        self.pos = m.end()
        return self.buf

    def send(self, text):
        os.write(self.master, text.encode())

    def close(self):
        try:
            self.proc.wait(timeout=30)
        finally:
            os.close(self.master)


def reply_after(buf, marker):
    """The assistant text printed after the user's line `marker`, up to the next prompt."""
    text = buf.decode("utf-8", "replace").replace("\r\n", "\n")
    start = text.index(marker + "\n") + len(marker) + 1
    end = text.index("[turn:", start)
    return text[start:end].strip()


def test_two_turns_keep_context_and_cache():
    model = require_model()
    args = [TOCK_BIN, "chat", "-m", model, "--temp", "0", "-n", "40", "-v"]
    p = Pty(args)
    p.read_until(rb"> ")
    first = "My name is Alice and I live in Paris."
    p.send(first + "\n")
    p.read_until(rb"\[turn:[^\]]*\]")
    p.read_until(rb"> ")
    second = "What is my name?"
    p.send(second + "\n")
    out = p.read_until(rb"\[turn:[^\]]*\]")
    p.send("/exit\n")
    p.close()
    assert p.proc.returncode == 0

    turns = [tuple(map(int, m)) for m in TURN.findall(out.decode("utf-8", "replace"))]
    assert len(turns) == 2, out
    (p1, g1, proc1, ctx1), (p2, g2, proc2, ctx2) = turns
    # Turn 2 processes only its own new tokens (end of reply 1, the new user turn, the assistant
    # header) plus the tokens it generates — not the history again.
    assert p2 < 25, turns
    assert proc2 < p2 + g2 + 1, turns
    assert ctx2 >= ctx1 + p2, turns

    # The second reply is what greedy decoding of the whole conversation gives.
    reply1 = reply_after(out, first)
    reply2 = reply_after(out, second)
    assert reply2, out
    system = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
    convo = (f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{first}<|im_end|>\n"
             f"<|im_start|>assistant\n{reply1}<|im_end|>\n<|im_start|>user\n{second}<|im_end|>\n"
             f"<|im_start|>assistant\n")
    whole = tock("run", "-m", model, "--temp", "0", "-n", "40", "-f", "-", input=convo)
    assert whole.stdout.strip() == reply2


def test_reset_and_exit_on_end_of_input():
    model = require_model()
    r = subprocess.run([TOCK_BIN, "chat", "-m", model, "--temp", "0", "-n", "8", "-v"],
                       input="Hello\n/reset\nHello\n", capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "(conversation reset)" in r.stdout
    turns = TURN.findall(r.stderr)
    assert len(turns) == 2
    # After /reset the same message is processed from scratch: same token count, same context.
    assert turns[0][0] == turns[1][0] and turns[0][3] == turns[1][3]


def test_ctrl_c_stops_the_reply_not_the_program():
    import signal
    model = require_model()
    p = Pty([TOCK_BIN, "chat", "-m", model, "--temp", "0", "-n", "-1", "--ignore-eos", "-v"])
    p.read_until(rb"> ")
    line = "Write a very long story about the sea."
    p.send(line + "\n")
    p.read_until(re.escape(line.encode()) + rb"\r?\n")  # the terminal's echo of the line
    p.read_until(rb"\w+ \w+ \w+")  # the reply is streaming
    p.proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
    p.read_until(rb"\(stopped\)")
    p.read_until(rb"> ")
    assert p.proc.poll() is None  # still running, back at the prompt
    p.send("/exit\n")
    p.close()
    assert p.proc.returncode == 0
