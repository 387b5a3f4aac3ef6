"""The docs' code blocks, and a runner that executes their commands and snippets against the emulator.

Every fenced block of docs/*.md and README.md that is a command (``sh``, ``bash``, ``shell``,
``console``, or a block with no language whose first line is a command) or a Python snippet
(``python``) is either executed here or preceded by a marker comment on the line before it:

    <!-- needs-aws -->            it needs an AWS account (a deployment, real credentials)
    <!-- not-run: REASON -->      it is not run, for REASON (it is the test suite itself, say)

How a block runs (``run_block``), in a fresh temporary folder with fake credentials and no AWS
config files, ``orgops`` and ``python`` from this virtualenv, ``aws`` from ``tests/docs/awscli.py``
(the project's boto3 behind the AWS CLI's command line) and ``make`` run in the repository:

- ``sh``/``bash``/untagged: one ``bash -eo pipefail`` script; it must exit 0.
- ``console``: the lines starting with ``$ `` are the commands, the lines after each its expected
  output (stdout and stderr); ``...`` on its own line matches any lines, inside a line any text.
- ``python``: the snippet is run as a script; it must exit 0.
- The emulator: a line ``orgops emulator ... &`` (or ``make emulator ... &``) starts a served
  emulator on a free port that stays up for the rest of the block; without ``&`` it is started,
  checked to serve, and stopped (Ctrl-C) before the next line, as a person would. A block that
  talks to ``http://127.0.0.1:5000`` without starting one gets one started for it (the page's
  previous block started it). ``http://127.0.0.1:5000`` (``orgops emulator``'s default port) is
  then the port the emulator printed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = ROOT / "README.md"

NEEDS_AWS = "needs-aws"
NOT_RUN = "not-run"
MARKER = re.compile(r"^<!--\s*(needs-aws|not-run:\s*(?P<reason>.*?))\s*-->$")
# A comment meant as a marker (checked by marker_problem, so a misspelt one is reported, not ignored).
MARKER_LIKE = re.compile(r"^<!--\s*(?P<text>(?:needs|not[- ]run)\b.*?)\s*-->$")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
SECTION = re.compile(r"^<!--\s*section:\s*(?P<name>[\w-]+)\s*-->")

SHELL_LANGS = {"sh", "bash", "shell", "zsh"}
CONSOLE_LANGS = {"console"}
PYTHON_LANGS = {"python", "py"}
# An untagged block is a command when its first line starts with one of these (or VAR=value).
COMMAND_WORDS = {
    "aws", "cd", "cp", "export", "git", "jq", "make", "npm", "orgops", "pip", "pytest", "python", "python3",
    "terraform",
}  # fmt: skip
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
# What the runner can execute without AWS: these commands, and make targets that need no account.
RUNNABLE_WORDS = {
    "orgops", "aws", "export", "echo", "cat", "cut", "ls", "jq", "test", "grep", "head", "tail", "sort", "wc", "make",
}  # fmt: skip
RUNNABLE_MAKE_TARGETS = {"demo", "emulator"}
EMULATOR_DEFAULT = "http://127.0.0.1:5000"
SERVE = re.compile(r"^(orgops|make)\s+emulator\b")
BLOCK_TIMEOUT = 600
SERVE_TIMEOUT = 120


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the opening fence, 1-based
    lang: str
    body: str
    marker: str | None = None  # the marker comment's text (needs-aws, not-run: ...), if any
    section: str | None = None  # README's section (<!-- section: NAME -->) the block is in

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def first_line(self) -> str:
        return next((line.strip() for line in self.body.splitlines() if line.strip()), "")

    @property
    def kind(self) -> str | None:
        """``shell``, ``console``, ``python``, or None for a block that is neither (output, JSON, a diagram)."""
        if self.lang in SHELL_LANGS:
            return "shell"
        if self.lang in CONSOLE_LANGS:
            return "console"
        if self.lang in PYTHON_LANGS:
            return "python"
        if self.lang == "" and is_command(self.first_line):
            return "shell"
        return None


def is_command(line: str) -> bool:
    word = line.split(maxsplit=1)[0] if line.split() else ""
    return word in COMMAND_WORDS or bool(ASSIGNMENT.match(line))


def blocks(path: Path, text: str | None = None) -> list[Block]:
    """Every fenced block of a Markdown file, with the marker comment before it."""
    lines = (path.read_text(encoding="utf-8") if text is None else text).splitlines()
    out: list[Block] = []
    section: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        m = SECTION.match(line.strip())
        if m:
            section = m.group("name")
        f = FENCE.match(line)
        if not f:
            i += 1
            continue
        close = re.compile(rf"^{re.escape(f.group('indent'))}{re.escape(f.group('fence'))}\s*$")
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            j += 1
        info = f.group("info").strip()
        lang = info.split()[0].lstrip(".{").rstrip("}") if info else ""
        prev = next((lines[k].strip() for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        like = MARKER_LIKE.match(prev)
        marker = like["text"] if like else None
        indent = len(f.group("indent"))
        body = "\n".join(x[indent:] if x[:indent].strip() == "" else x for x in lines[i + 1 : j])
        out.append(Block(path, i + 1, lang, body, marker, section))
        i = j + 1
    return out


def doc_files() -> list[Path]:
    return [*sorted(DOCS.glob("**/*.md")), README]


def marker_problem(marker: str) -> str | None:
    m = MARKER.match(f"<!-- {marker} -->")
    if not m:
        return f"unknown marker {marker!r}: use <!-- needs-aws --> or <!-- not-run: REASON -->"
    if marker.startswith(NOT_RUN) and not (m.group("reason") or "").strip():
        return "<!-- not-run: REASON --> needs its reason"
    return None


# -- what the runner can execute ---------------------------------------------------------------------
def commands(block: Block) -> list[str]:
    """The block's command lines (continuations joined, comments and blank lines dropped; for a
    console block only the ``$ `` lines)."""
    raw = block.body.splitlines()
    if block.kind == "console":
        kept, continuing = [], False
        for line in raw:
            if line.startswith("$ ") or continuing:
                kept.append(line[2:] if line.startswith("$ ") and not continuing else line)
                continuing = line.rstrip().endswith("\\")
        raw = kept
    out: list[str] = []
    pending = ""
    for line in raw:
        line = line.rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        line = strip_comment(line).strip()
        if line:
            out.append(line)
    return out


def strip_comment(line: str) -> str:
    """``line`` without its trailing ``# comment`` (a ``#`` outside quotes, at the start or after a space)."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command, comments=True)
    except ValueError:
        return command.split()


OPERATORS = {"&&", "||", ";", "|", "&", "(", ")"}


def simple_commands(command: str) -> list[list[str]]:
    """The simple commands of a command line (split at ``;``, ``&&``, ``|``, ``&``; comments dropped),
    and those inside its ``$(...)`` substitutions."""
    inner = [m.group(1) for m in re.finditer(r"\$\(([^()]*)\)", command)]
    lexer = shlex.shlex(re.sub(r"\$\([^()]*\)", "SUBSTITUTED", command), posix=True, punctuation_chars=";&|()")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    out: list[list[str]] = [[]]
    try:
        for token in lexer:
            if token in OPERATORS:
                out.append([])
            else:
                out[-1].append(token)
    except ValueError:
        out = [command.split()]
    for sub in inner:
        out += simple_commands(sub)
    return [c for c in out if c]


def unsupported(block: Block) -> str | None:
    """Why the runner cannot execute ``block`` (None: it can)."""
    if block.kind == "python":
        return None
    for command in commands(block):
        for words in simple_commands(command):
            while words and ASSIGNMENT.match(words[0]):
                words = words[1:]  # VAR=value [command]
            if not words:
                continue
            word = words[0]
            if word not in RUNNABLE_WORDS:
                return f"{word!r} is not a command the runner executes ({' '.join(words)!r})"
            if word == "make":
                targets = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
                if not set(targets) <= RUNNABLE_MAKE_TARGETS:
                    return f"make {' '.join(targets)} is not a make target the runner executes"
    return None


# -- running ----------------------------------------------------------------------------------------
@dataclass
class Served:
    endpoint: str
    line: dict[str, object]
    proc: subprocess.Popen[str]


@dataclass
class Result:
    script: str
    returncode: int
    output: str
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        problems = "\n".join(self.problems)
        return f"{problems}\n--- script ---\n{self.script}\n--- exit {self.returncode}, output ---\n{self.output}"


def environment(shims: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ORGOPS_"))}
    venv_bin = str(Path(sys.executable).parent)
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        PATH=os.pathsep.join([str(shims), venv_bin, env.get("PATH", "")]),
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "lambda_src")]),
        ORGOPS_DOCS_WAIT="1",
        PYTHONUNBUFFERED="1",
    )
    for keep in ("ORGOPS_NODE_TOOLS", "ORGOPS_TOOLS_VENV"):
        if keep in os.environ:
            env[keep] = os.environ[keep]
    return env


def write_shims(folder: Path) -> Path:
    """``aws`` (tests/docs/awscli.py) and ``make`` (the repository's Makefile, with this virtualenv)."""
    folder.mkdir(parents=True, exist_ok=True)
    aws = folder / "aws"
    aws.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m tests.docs.awscli "$@"\n')
    make = folder / "make"
    real_make = shutil.which("make") or "make"
    venv = Path(sys.executable).parent.parent
    make.write_text(
        f"#!/bin/sh\nexec {shlex.quote(real_make)} --no-print-directory -C {shlex.quote(str(ROOT))} "
        f'VENV={shlex.quote(str(venv))} "$@"\n'
    )
    for shim in (aws, make):
        shim.chmod(0o755)
    return folder


def serve_argv(command: str) -> list[str]:
    """The command line that serves the emulator a block's line starts, on a free port."""
    words = _words(command.rstrip("&").strip())
    if words[0] == "orgops":
        return [*words, "--port", "0"]
    # make emulator ARGS="--demo-org": add --port 0 to ARGS
    args = [w for w in words[1:] if w.startswith("ARGS=")]
    rest = [w for w in words[1:] if not w.startswith("ARGS=")]
    extra = (args[0][len("ARGS=") :] + " " if args else "") + "--port 0"
    return ["make", *rest, f"ARGS={extra}"]


@contextmanager
def served(argv: Sequence[str], env: dict[str, str], cwd: Path, log: Path) -> Iterator[Served]:
    """A served emulator (``orgops emulator`` or ``make emulator``): its JSON line; stopped with Ctrl-C."""
    proc = subprocess.Popen(
        list(argv), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=log.open("w"), text=True, start_new_session=True
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + SERVE_TIMEOUT
        line: dict[str, object] | None = None
        while line is None:
            text = proc.stdout.readline()
            if not text:
                raise RuntimeError(f"{' '.join(argv)} ended before serving:\n{log.read_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{' '.join(argv)} did not serve in {SERVE_TIMEOUT} s")
            try:
                parsed = json.loads(text)
            except ValueError:
                continue
            if isinstance(parsed, dict) and "endpoint" in parsed:
                line = parsed
        yield Served(str(line["endpoint"]), line, proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _check_serves(endpoint: str, env: dict[str, str]) -> None:
    import boto3

    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    session.client("stepfunctions", endpoint_url=endpoint).list_state_machines()


def _console_script(cmds: Sequence[tuple[int, str]]) -> str:
    lines = ["exec 2>&1"]
    for n, command in cmds:
        # $? survives the separator: a console block may `echo $?` after a command that failed.
        lines += [f"__rc=$?; echo '<<<docs-command {n}>>>'; (exit $__rc)", command]
    return "\n".join(lines) + "\n"


def expected_outputs(block: Block) -> list[list[str]]:
    """Each ``$ `` command's expected output lines, in order (continuation lines belong to the command)."""
    out: list[list[str]] = []
    continuing = False
    for line in block.body.splitlines():
        if line.startswith("$ "):
            out.append([])
            continuing = line.rstrip().endswith("\\")
        elif continuing:
            continuing = line.rstrip().endswith("\\")
        elif out:
            out[-1].append(line.rstrip())
    return out


def output_matches(expected: list[str], actual: list[str]) -> bool:
    """doctest's ELLIPSIS, line-wise: ``...`` alone matches any lines, inside a line any text."""
    parts = []
    for line in expected:
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(".*".join(re.escape(p) for p in line.split("...")) + r"\n")
    text = "".join(a.rstrip() + "\n" for a in actual)
    return re.fullmatch("".join(parts), text) is not None


def _run(script: str, env: dict[str, str], cwd: Path, timeout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def run_block(block: Block, timeout: int = BLOCK_TIMEOUT) -> Result:
    """Execute ``block`` as described in this module's docstring; ``Result.problems`` is empty when it passed."""
    with tempfile.TemporaryDirectory(prefix="orgops-docs-") as tmp, ExitStack() as stack:
        work = Path(tmp) / "work"
        work.mkdir()
        env = environment(write_shims(Path(tmp) / "shims"))
        logs = Path(tmp)

        def start(command: str) -> Served:
            n = len(list(logs.glob("serve-*.log")))
            return stack.enter_context(served(serve_argv(command), env, work, logs / f"serve-{n}.log"))

        if block.kind == "python":
            code = block.body
            if EMULATOR_DEFAULT in code:
                code = code.replace(EMULATOR_DEFAULT, start("orgops emulator &").endpoint)
            path = work / "snippet.py"
            path.write_text(code)
            done = _run(f"{shlex.quote(sys.executable)} snippet.py", env, work, timeout)
            result = Result(code, done.returncode, done.stdout + done.stderr)
            if done.returncode != 0:
                result.problems.append(f"{block.where}: the snippet exited {done.returncode}")
            return result

        cmds = commands(block)
        endpoint: str | None = None
        if EMULATOR_DEFAULT in block.body and not any(SERVE.match(c) and c.endswith("&") for c in cmds):
            endpoint = start("orgops emulator &").endpoint
        # The commands between foreground serving lines run as one script each.
        segment: list[tuple[int, str]] = []
        outputs: list[str] = []
        problems: list[str] = []
        code = 0

        def flush() -> None:
            nonlocal code
            if not segment:
                return
            fill = (lambda c: c.replace(EMULATOR_DEFAULT, endpoint)) if endpoint else (lambda c: c)
            numbered = [(n, fill(c)) for n, c in segment]
            if block.kind == "console":
                done = _run(_console_script(numbered), env, work, timeout)
            else:
                done = _run("set -eo pipefail\n" + "\n".join(c for _, c in numbered) + "\n", env, work, timeout)
                if done.returncode != 0:
                    problems.append(f"{block.where}: the commands exited {done.returncode}")
            outputs.append(done.stdout + done.stderr)
            code = done.returncode
            segment.clear()

        for n, command in enumerate(cmds):
            if not SERVE.match(command):
                segment.append((n, command))
                continue
            flush()
            server = start(command)
            if command.endswith("&"):
                endpoint = server.endpoint
            else:  # served until Ctrl-C: check that it serves, then press Ctrl-C
                _check_serves(server.endpoint, env)
                os.killpg(server.proc.pid, signal.SIGINT)
                server.proc.wait(timeout=30)
        flush()
        output = "\n".join(outputs)
        if block.kind == "console":
            problems += console_problems(block, output)
        return Result("\n".join(cmds), code, output, problems)


def console_problems(block: Block, output: str) -> list[str]:
    chunks = re.split(r"^<<<docs-command (\d+)>>>\n?", output, flags=re.M)
    actual: dict[int, list[str]] = {}
    for i in range(1, len(chunks), 2):
        actual[int(chunks[i])] = chunks[i + 1].splitlines()
    problems = []
    for n, expected in enumerate(expected_outputs(block)):
        if SERVE.match(commands(block)[n]):
            continue  # the runner served it: its output was its JSON line
        got = actual.get(n, [])
        if not output_matches(expected, got):
            problems.append(
                f"{block.where}: command {n + 1} ({commands(block)[n]!r}) printed:\n"
                + "\n".join(got)
                + "\nexpected:\n"
                + "\n".join(expected)
            )
    return problems
