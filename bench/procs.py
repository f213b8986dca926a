"""The processes a benchmark starts, and their sure end: every one is registered when started and
stopped in `stop_all()` (TERM to its process group, then KILL), which the harness calls in a
`finally`, so Ctrl-C or an error leaves no server behind."""

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
_started: list[subprocess.Popen] = []


def track(process: subprocess.Popen) -> subprocess.Popen:
    _started.append(process)
    return process


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def gunicorn_command(target: str, port: int, workers: int) -> list[str]:
    """The same settings for the app and the ceiling: sync workers on loopback."""
    return [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
            target]


def start_gunicorn(target: str, *, port: int, workers: int, env: dict[str, str], cwd: Path, log: Path,
                   ready_path: str = "/") -> subprocess.Popen:
    """Start gunicorn in its own process group and wait until `ready_path` answers."""
    log_file = log.open("ab")
    # Our own fixed command line, not input.
    process = track(subprocess.Popen(gunicorn_command(target, port, workers), cwd=cwd, env=env,  # noqa: S603
                                     stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True))
    process.own_group = True
    log_file.close()
    deadline = time.monotonic() + 60
    url = f"http://127.0.0.1:{port}{ready_path}"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn {target} exited ({process.returncode}); see {log}:\n"
                               + log.read_text(errors="replace")[-3000:])
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (our loopback server)
                if response.status < 500:
                    return process
        except urllib.error.HTTPError as error:
            if error.code < 500:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn {target} did not answer {url} within 60 s; see {log}")


def stop(process: subprocess.Popen, grace: float = 10.0) -> None:
    """TERM the process (its whole group when it leads one), then KILL what is left."""
    if process.poll() is None:
        _signal(process, signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            _signal(process, signal.SIGKILL)
            process.wait(5)
    if getattr(process, "own_group", False):
        # Workers of a gunicorn whose master died first would outlive it in its group.
        _signal(process, signal.SIGKILL)
    if process in _started:
        _started.remove(process)


def _signal(process: subprocess.Popen, signum: int) -> None:
    try:
        if getattr(process, "own_group", False):
            os.killpg(process.pid, signum)
        elif process.poll() is None:
            process.send_signal(signum)
    except ProcessLookupError:
        pass


def stop_all() -> None:
    for process in reversed(list(_started)):
        stop(process)


def run(command: list[str], *, env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run a command to its end (tracked meanwhile), raising with its output when it fails."""
    # Our own fixed command lines, not input.
    process = track(subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,  # noqa: S603
                                     stderr=subprocess.STDOUT, text=True))
    try:
        output, _ = process.communicate()
    finally:
        if process.poll() is None:
            stop(process)
        elif process in _started:
            _started.remove(process)
    result = subprocess.CompletedProcess(command, process.returncode, output, "")
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}):\n{output}")
    return result
