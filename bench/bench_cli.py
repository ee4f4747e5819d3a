"""How long the `nuvera` command takes to start and finish, as a user runs it (a new process each time).

    .venv/bin/python -m bench.bench_cli [--rounds 15] [--json]

Sets up a scratch instance through the CLI itself (SQLite under a temporary directory: `orgs create`, `keygen`,
`apps create`), starts `nuvera serve` on a free port and waits for `/readyz`, then runs each case once per round,
the cases taking turns so that a noisy neighbour weighs on all of them alike. Prints per case the median and
spread of wall-clock time and the median CPU time of the process (user + system), which a busy neighbour
disturbs less. No pass/fail; the issue's targets are `nuvera --help` ≤ 0.4 s and `nuvera request GET …`
against a local server ≤ 0.7 s. `python -c pass` is the floor every case pays (interpreter and site start-up).

`measure()` returns every sample and `medians()` their medians in seconds (wall clock and the child's CPU
time), for a caller that prints them with other benchmarks; `--json` prints the medians as one object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

NUVERA = [sys.executable, "-m", "nuvera"]
READY_TIMEOUT = 180.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([*NUVERA, *args], env=env, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"nuvera {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def _wait_ready(base_url: str, server: subprocess.Popen[bytes]) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < READY_TIMEOUT:
        if server.poll() is not None:
            raise RuntimeError(f"nuvera serve exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/readyz", timeout=2) as response:  # noqa: S310 (our own loopback URL)
                if response.status == 200:
                    return time.perf_counter() - started
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"nuvera serve was not ready within {READY_TIMEOUT:.0f} s")


@contextmanager
def scratch_instance() -> Iterator[tuple[dict[str, str], str]]:
    """A served scratch instance and the environment of a partner who may read crypto reference data."""
    with tempfile.TemporaryDirectory(prefix="nuvera-bench-cli-") as directory:
        root = Path(directory)
        env = {**os.environ, "NUVERA_VAR_DIR": str(root / "var"), "NUVERA_ENV": "development"}
        env.pop("NUVERA_DATABASE_URL", None)
        env.pop("NUVERA_REDIS_URL", None)
        _cli(env, "db", "upgrade")
        org = json.loads(_cli(env, "orgs", "create", "--name", "Bench", "--kind", "partner", "--json"))["id"]
        _cli(env, "keygen", "--out", str(root / "keys"))
        public_key = str(root / "keys" / "public.pem")
        app = ["apps", "create", "--org", org, "--name", "Bench CLI", "--public-key-file", public_key]
        created = json.loads(_cli(env, *app, "--permission", "CRYPTO_READ", "--json"))
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [*NUVERA, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            _wait_ready(base_url, server)
            partner = {
                **env,
                "NUVERA_API_KEY": created["apiKey"],
                "NUVERA_PRIVATE_KEY_FILE": str(root / "keys" / "private.pem"),
                "NUVERA_BASE_URL": base_url,
            }
            yield partner, base_url
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _cases() -> dict[str, list[str]]:
    return {
        "python -c pass (floor)": [sys.executable, "-c", "pass"],
        "nuvera --help": [*NUVERA, "--help"],
        "nuvera request GET /api/v1/crypto/assets": [*NUVERA, "request", "GET", "/api/v1/crypto/assets"],
        "nuvera apps --help (an operator command)": [*NUVERA, "apps", "--help"],
    }


@dataclass
class Samples:
    wall: list[float] = field(default_factory=list)  # seconds from spawn to exit
    cpu: list[float] = field(default_factory=list)  # user + system seconds of the child: steadier on a busy machine


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(rounds: int = 15) -> dict[str, Samples]:
    """Wall-clock and CPU seconds of every run of each case, the cases interleaved round by round."""
    cases = _cases()
    samples = {name: Samples() for name in cases}
    with scratch_instance() as (env, _base_url):
        for command in cases.values():  # one untimed run each: the page cache, .pyc files
            subprocess.run(command, env=env, capture_output=True, timeout=120, check=True)
        for _ in range(rounds):
            for name, command in cases.items():
                cpu, started = _children_cpu(), time.perf_counter()
                done = subprocess.run(command, env=env, capture_output=True, timeout=120, check=False)
                samples[name].wall.append(time.perf_counter() - started)
                samples[name].cpu.append(_children_cpu() - cpu)
                if done.returncode != 0:
                    raise RuntimeError(f"{name} failed: {done.stderr.decode(errors='replace').strip()}")
    return samples


def medians(samples: dict[str, Samples]) -> dict[str, dict[str, float]]:
    """Median seconds per case: {"nuvera --help": {"wall": …, "cpu": …}, …}."""
    return {name: {"wall": statistics.median(s.wall), "cpu": statistics.median(s.cpu)} for name, s in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="Print one JSON object of medians in seconds.")
    args = parser.parse_args()
    # Terminated from outside, still stop the server we started (the context manager's cleanup runs on SystemExit).
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    samples = measure(args.rounds)
    summary = medians(samples)
    if args.json:
        print(json.dumps({"cliStartSeconds": summary, "rounds": args.rounds}))
        return
    print(f"CLI start per run, median of {args.rounds} rounds, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}:")
    print(f"  {'':45} {'wall ms':>8} {'(min–max)':>13} {'CPU ms':>8}")
    for name, runs in samples.items():
        spread = f"({min(runs.wall) * 1000:.0f}–{max(runs.wall) * 1000:.0f})"
        print(f"  {name:45} {summary[name]['wall'] * 1000:8.0f} {spread:>13} {summary[name]['cpu'] * 1000:8.0f}")


if __name__ == "__main__":
    main()
