"""CI: the wheel, installed unlocked by plain pip in a fresh virtualenv, runs from an empty folder.

What `pip install`, `pipx install` or someone else's Dockerfile gets today, not what uv.lock
pins: so the next upstream release that breaks an unlocked install fails here, not for a user.

    python3 .ci/install_check.py [--keep]
    python3 .ci/install_check.py --install-only DIR   # step 1 only (CI: beside the suite)
    python3 .ci/install_check.py --check-only DIR     # step 2 only (CI: after the suite)

1. `uv build --wheel`, then `python3 -m venv` and that venv's own pip installs the wheel (the
   newest release of every dependency the bounds allow; no lock, no uv).
2. From an empty folder outside the repository, with no narcowatch variables set:
   `--version`, `check-config` and `score` on the bundled config; `init`; then, on that copy
   pointed at a loopback feed and a free port: `check-config`, `sources test`, `poll --once`
   twice (a baseline, then a new item that matches only on its article page, which trafilatura
   reads), `report`, `export`, and `run` with a bot token and a loopback Bot API that is down
   at start: /healthz answers, the bot starts once the API is up, and SIGTERM stops it with
   exit 0 within 10 s.

Standard library only (it runs before anything is installed). Every server binds 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STARTED = time.monotonic()

ITEM = {
    "id": "ci-1",
    "title": "China and Laos launch joint anti-drug operation",
    "summary": "Police share intelligence on heroin trafficking in the Golden Triangle with UNODC.",
}
ARTICLE = (
    "<html><head><title>Joint operation</title></head><body><nav>Home | News</nav><article>"
    "<h1>Mekong partners agree on joint patrols</h1>"
    + "".join(
        f"<p>{text}</p>"
        for text in (
            "China, Laos, Myanmar and Thailand agreed on Tuesday to launch joint anti-drug "
            "operations along the Mekong River and to share intelligence on methamphetamine "
            "trafficking across the Golden Triangle.",
            "The police chiefs of the four countries signed a memorandum on precursor control "
            "with the UN Office on Drugs and Crime, which will train border liaison officers.",
            "Officials said the cooperation would target the cross-border networks that move "
            "heroin and synthetic drugs from Myanmar's Shan State into neighbouring countries.",
        )
    )
    + "</article><footer>Contact us</footer></body></html>"
)


def say(message: str) -> None:
    print(f"[install-check {time.monotonic() - STARTED:5.1f}s] {message}", flush=True)


def fail(message: str) -> None:
    print(f"install-check FAILED: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss(base: str, items: list[tuple[str, str, str]]) -> bytes:
    """An RSS 2.0 feed of (guid, title, description) items, each linking to /article/<guid>."""
    body = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title>"
        f"<link>{base}/article/{guid}</link><description>{text}</description></item>"
        for guid, title, text in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Loopback news</title><link>{base}/</link>{body}</channel></rss>"
    ).encode()


TOKEN = "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "narcowatch", "username": "nw_bot"}


class Site:
    """A loopback news site (/feed.xml, replaceable, and article pages) and a minimal Bot API
    (/bot<token>/<method>) that answers 503 until `telegram_up` is set."""

    def __init__(self) -> None:
        self.feed = b""
        self.telegram_up = False
        self.bot_calls: list[str] = []
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/feed.xml":
                    self.answer(200, site.feed, "application/rss+xml")
                elif self.path.startswith("/article/"):
                    self.answer(200, ARTICLE.encode(), "text/html; charset=utf-8")
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                prefix = f"/bot{TOKEN}/"
                if not self.path.startswith(prefix):
                    self.send_error(404)
                    return
                method = self.path[len(prefix) :]
                site.bot_calls.append(method)
                if not site.telegram_up:
                    body = {"ok": False, "error_code": 503, "description": "Service Unavailable"}
                    self.answer(503, json.dumps(body).encode(), "application/json")
                    return
                result: object = True
                if method == "getMe":
                    result = BOT_USER
                elif method == "getUpdates":
                    time.sleep(0.5)  # a short long-poll
                    result = []
                body = json.dumps({"ok": True, "result": result}).encode()
                self.answer(200, body, "application/json")

            def answer(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # A long poll is cut short when the daemon stops.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Install:
    """The installed `narcowatch`, run from one folder with a clean environment."""

    def __init__(self, venv: Path, folder: Path) -> None:
        self.venv = venv
        self.folder = folder
        cleared = ("NARCOWATCH_", "TELEGRAM_", "DATABASE_URL", "VIRTUAL_ENV", "PYTHON")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(cleared)}
        self.env["PATH"] = f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
        self.env["MPLCONFIGDIR"] = str(folder.parent / "mplconfig")

    def run(
        self, *args: str, stdin: str | None = None, expect: int = 0, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(self.venv / "bin" / "narcowatch"), *args],
            cwd=self.folder,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        say(f"narcowatch {' '.join(args)}: exit {done.returncode}")
        if done.returncode != expect:
            fail(
                f"`narcowatch {' '.join(args)}` exited {done.returncode} (expected {expect})\n"
                f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
            )
        return done


def build_and_install(work: Path) -> Path:
    """The wheel built from the checkout, installed by a fresh venv's own pip; the venv."""
    dist = work / "dist"
    subprocess.run(
        ["uv", "build", "--wheel", "--out-dir", str(dist), str(REPO)],
        check=True,
        capture_output=True,
        text=True,
    )
    wheel = next(dist.glob("narcowatch-*.whl"))
    say(f"built {wheel.name}")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "--version"], capture_output=True, text=True
    )
    say(f"installing with {pip.stdout.split(' from ')[0]} (unlocked)")
    installed = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--no-input",
            "--disable-pip-version-check",
            "--no-compile",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if installed.returncode != 0:
        fail(f"pip install failed:\n{installed.stdout[-3000:]}\n{installed.stderr[-3000:]}")
    freeze = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "freeze"], capture_output=True, text=True
    )
    (work / "installed.txt").write_text(freeze.stdout, encoding="utf-8")
    say(f"installed {len(freeze.stdout.splitlines())} distributions (list in installed.txt)")
    return venv


def point_at(install: Install, feed_url: str, port: int) -> None:
    """The init copy's sources replaced by the loopback feed, its health port by a free one."""
    script = (
        "import sys, yaml\n"
        "path, url, listen = sys.argv[1:]\n"
        "config = yaml.safe_load(open(path, encoding='utf-8'))\n"
        "config['sources'] = [{'name': 'Loopback news', 'url': url, 'interval': '1h'}]\n"
        "config['health'] = {'listen': listen}\n"
        "config['articles'] = {'allow_private': True}\n"
        "open(path, 'w', encoding='utf-8').write(yaml.safe_dump(config, allow_unicode=True))\n"
    )
    subprocess.run(
        [
            str(install.venv / "bin" / "python"),
            "-c",
            script,
            str(install.folder / "config" / "narcowatch.yaml"),
            feed_url,
            f"127.0.0.1:{port}",
        ],
        check=True,
    )


def wait_healthy(url: str, daemon: subprocess.Popen[str], deadline_s: float) -> dict[str, object]:
    end = time.monotonic() + deadline_s
    last: object = None
    while time.monotonic() < end:
        if daemon.poll() is not None:
            fail(f"`narcowatch run` exited {daemon.returncode} before /healthz answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                report: dict[str, object] = json.loads(response.read())
                return report
        except (urllib.error.URLError, OSError, ValueError) as exc:
            last = exc
        time.sleep(0.2)
    fail(f"/healthz never answered within {deadline_s:.0f} s: {last}")
    raise AssertionError  # unreachable


def check_bundled(install: Install) -> None:
    version = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    shown = install.run("--version").stdout.strip()
    if shown != f"narcowatch, version {version['version']}":
        fail(f"--version printed {shown!r}")
    checked = install.run("check-config")
    if "bundled" not in checked.stdout or "drug-control-cooperation" not in checked.stdout:
        fail(f"check-config did not use the bundled config: {checked.stdout}")
    scored = json.loads(install.run("score", "-", stdin=json.dumps(ITEM) + "\n").stdout)
    if not scored["matched"] or scored["topic"] != "drug-control-cooperation":
        fail(f"score did not match the item: {scored}")
    if list(install.folder.iterdir()):
        fail(f"check-config and score wrote files: {list(install.folder.iterdir())}")


def check_initialised(install: Install, site: Site, port: int) -> None:
    install.run("init")
    config = install.folder / "config" / "narcowatch.yaml"
    if config.read_bytes() != (REPO / "config" / "narcowatch.yaml").read_bytes():
        fail("init did not write an exact copy of the bundled config")
    point_at(install, f"{site.base}/feed.xml", port)
    if not install.run("check-config").stdout.startswith("config/narcowatch.yaml: ok"):
        fail("check-config did not use the folder's own config after init")

    site.feed = rss(site.base, [("old-1", "Weather report", "Rain in the north.")])
    tested = install.run("sources", "test", f"{site.base}/feed.xml", "--json")
    if json.loads(tested.stdout).get("items") in (None, []):
        fail(f"sources test found no items: {tested.stdout[:500]}")
    install.run("poll", "--once")  # the baseline: recorded, no alerts
    site.feed = rss(
        site.base,
        [
            ("new-1", "Mekong partners agree on joint patrols", "Officials met on Tuesday."),
            ("old-1", "Weather report", "Rain in the north."),
        ],
    )
    polled = install.run("poll", "--once")
    if "matches: 1" not in polled.stdout or "Mekong partners" not in polled.stdout:
        fail(f"the second poll did not match the new item on its article:\n{polled.stdout}")

    install.run("report", "--since", "30d", "--output", "report.html")
    if "<svg" not in (install.folder / "report.html").read_text(encoding="utf-8"):
        fail("the HTML report has no chart")
    exported = install.run("export", "--format", "jsonl").stdout
    if "Mekong partners" not in exported:
        fail(f"export lacks the match: {exported[:500]}")


def wait_logged(logs: Path, event: str, daemon: subprocess.Popen[str], deadline_s: float) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if event in logs.read_text(encoding="utf-8"):
            return
        if daemon.poll() is not None:
            fail(f"`narcowatch run` exited {daemon.returncode} before logging {event}")
        time.sleep(0.2)
    fail(f"`narcowatch run` did not log {event} within {deadline_s:.0f} s")


def check_daemon(install: Install, site: Site, port: int) -> None:
    """`run` with a bot token and the Bot API down at start: it answers /healthz, keeps trying
    Telegram, starts the bot once the API is up, and stops on SIGTERM within 10 s."""
    logs = install.folder.parent / "daemon.log"
    env = {
        **install.env,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": f"{site.base}/bot",
        "NARCOWATCH_TUNE_TELEGRAM_START_RETRY_S": "1",
    }
    with logs.open("w") as log:
        daemon = subprocess.Popen(
            [str(install.venv / "bin" / "narcowatch"), "run"],
            cwd=install.folder,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        report = wait_healthy(f"http://127.0.0.1:{port}/healthz", daemon, 60)
        say(f"narcowatch run: /healthz answered (healthy: {report.get('healthy')})")
        wait_logged(logs, "telegram.start_failed", daemon, 30)
        site.telegram_up = True
        wait_logged(logs, "telegram.started", daemon, 30)
        say(
            f"narcowatch run: the bot started once the Bot API was up ({len(site.bot_calls)} calls)"
        )
    finally:
        sent = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(15)
        except subprocess.TimeoutExpired:
            daemon.kill()
            fail("`narcowatch run` did not stop within 15 s of SIGTERM")
        stopped_in = time.monotonic() - sent
    output = logs.read_text(encoding="utf-8")
    if daemon.returncode != 0 or stopped_in > 10:
        fail(f"run: exit {daemon.returncode} {stopped_in:.1f} s after SIGTERM\n{output[-3000:]}")
    if TOKEN in output:
        fail("run logged the bot token")
    if "config.in_force" not in output:
        fail("run did not log which config is in force")
    if not (install.folder / "data" / "narcowatch.db").is_file():
        fail("run did not create data/narcowatch.db")
    say(f"narcowatch run: exit 0, {stopped_in:.1f} s after SIGTERM")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    phase = parser.add_mutually_exclusive_group()
    phase.add_argument(
        "--install-only",
        metavar="DIR",
        type=Path,
        help="only build and install, into DIR (CI runs this beside the suite, at low priority)",
    )
    phase.add_argument(
        "--check-only",
        metavar="DIR",
        type=Path,
        help="only run the checks, on what --install-only put in DIR (CI runs this after the "
        "suite, so that its timed checks and the suite's do not share the cores)",
    )
    args = parser.parse_args()
    if args.install_only:
        args.install_only.mkdir(parents=True, exist_ok=True)
        build_and_install(args.install_only)
        return 0
    if args.check_only:
        venv = args.check_only / "venv"
        if not (venv / "bin" / "narcowatch").is_file():
            fail(f"{args.check_only} holds no install (run --install-only {args.check_only})")
        check_installed(venv, args.check_only)
        return 0
    work = Path(tempfile.mkdtemp(prefix="narcowatch-install-check-"))
    try:
        check_installed(build_and_install(work), work)
        return 0
    finally:
        if args.keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def check_installed(venv: Path, work: Path) -> None:
    """Every check, from an empty folder in `work`, of the narcowatch installed in `venv`."""
    folder = work / "empty"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    install = Install(venv, folder)
    check_bundled(install)
    site = Site()
    port = free_port()
    check_initialised(install, site, port)
    check_daemon(install, site, port)
    say("ok: the unlocked wheel install works from an empty folder")


if __name__ == "__main__":
    sys.exit(main())
