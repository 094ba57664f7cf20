"""The gateway tier alone: AWS calls/s served by 1 gateway process, then by 2, the same sandboxes spread across them.

Why a benchmark of its own: in the full topology (scripts/bench_load.py --topology 1,2) the web processes use about
five times the gateways' CPU per request, so on a 2-core machine the web tier saturates the machine long before one
gateway is busy, and a second gateway cannot raise that run's throughput. Here nothing stands in front of the
gateways, so what a second gateway process adds to the tier is visible.

Each run starts N `python -m gateway` processes and registers S sandboxes, sandbox i on gateway i mod N (the shard
assignment a web process reads from the database), each with a user allowed to assume a role in its account. The
load is every sandbox's AssumeRole (with an ExternalId, so the trust policy's condition is evaluated), presigned once
by botocore and replayed over keep-alive connections: each call is still verified (SigV4), authorized (identity and
trust policies) and answered with new credentials, while the load generator, which shares the machine's cores, does
little more than send bytes. Load comes from several generator processes, so one interpreter's lock is not the cap.
Runs are interleaved (1, 2, 1, 2, ...) and the median of each is compared.

    .venv/bin/python scripts/bench_shards.py [--seconds 10] [--rounds 2] [--sandboxes 8]
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from labserver import ROOT, cpu_seconds, free_port, seed_assumable_role, stop_process  # noqa: E402

TOKEN = "bench-shards-" + secrets.token_hex(16)
GENERATORS = 2            # load-generator processes
THREADS_PER_GENERATOR = 8


def start_gateway(log_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if k not in ("LAB_GATEWAY_URL", "LAB_GATEWAY_URLS")},
           "LAB_CONTROL_TOKEN": TOKEN}
    log = log_dir / f"gateway-{port}.log"
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "-m", "gateway", "--host", "127.0.0.1", "--port", str(port)],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while " on http://" not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_process(process)
            raise SystemExit(f"the gateway did not start:\n{log.read_text()}")
        time.sleep(0.1)
    return process, f"http://127.0.0.1:{port}"


def presigned_assume_role(url: str, n: int) -> str:
    """Sandbox n on the gateway at url: a user who may assume a role that asks for an ExternalId; their AssumeRole,
    presigned (GET, query-string SigV4), checked once."""
    import urllib3

    from gateway.client import learner_client
    from gateway.control.client import RemoteLab

    lab = RemoteLab(url, TOKEN)
    account = "6" + "".join(secrets.choice("0123456789") for _ in range(11))
    lab.register_sandbox(f"shard-bench-{n}-{secrets.token_hex(3)}", {"dev": account})
    key, role = seed_assumable_role(lab.admin_client("iam", account), account, "shard-bench")
    sts = learner_client("sts", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"],
                         endpoint=url)
    signed = sts.generate_presigned_url("assume_role", ExpiresIn=3600, HttpMethod="GET", Params={
        "RoleArn": role, "RoleSessionName": "bench", "ExternalId": "shard-bench"})
    answer = urllib3.request("GET", signed)
    if answer.status != 200 or b"<AccessKeyId>ASIA" not in answer.data:
        raise SystemExit(f"the presigned AssumeRole was refused ({answer.status}): {answer.data[:300]!r}")
    return signed


def generator(urls: list[str], seconds: float, start_at: float, results: "multiprocessing.Queue") -> None:
    """One load-generator process: THREADS_PER_GENERATOR threads, each replaying its sandbox's call."""
    import urllib3

    pool = urllib3.PoolManager(maxsize=THREADS_PER_GENERATOR)
    counts: dict = {"ok": 0, "failed": 0, "why": {}}
    lock = threading.Lock()

    def loop(url: str) -> None:
        ok = failed = 0
        why: dict[str, int] = {}
        while time.time() < start_at:
            time.sleep(0.005)
        deadline = start_at + seconds
        while time.time() < deadline:
            try:
                answer = pool.request("GET", url, retries=False)
            except urllib3.exceptions.HTTPError as error:
                failed += 1
                why[type(error).__name__] = why.get(type(error).__name__, 0) + 1
                continue
            if answer.status == 200:
                ok += 1
            else:
                failed += 1
                code = f"HTTP {answer.status} {answer.data[:600]!r}"
                why[code] = why.get(code, 0) + 1
        with lock:
            counts["ok"] += ok
            counts["failed"] += failed
            for reason, count in why.items():
                counts["why"][reason] = counts["why"].get(reason, 0) + count

    threads = [threading.Thread(target=loop, args=(urls[i % len(urls)],)) for i in range(THREADS_PER_GENERATOR)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(counts)


def run(n_gateways: int, sandboxes: int, seconds: float, log_dir: Path) -> dict:
    gateways = [start_gateway(log_dir) for _ in range(n_gateways)]
    try:
        calls = [presigned_assume_role(gateways[i % n_gateways][1], i) for i in range(sandboxes)]
        cpu_before = [cpu_seconds(process.pid) for process, _ in gateways]
        results: multiprocessing.Queue = multiprocessing.Queue()
        start_at = time.time() + 1.0
        # generator g drives sandboxes g, g + GENERATORS, ...: each gateway gets the same share of the load
        processes = [multiprocessing.Process(target=generator, args=(calls[g::GENERATORS], seconds, start_at, results))
                     for g in range(GENERATORS)]
        for process in processes:
            process.start()
        counts = [results.get(timeout=seconds + 60) for _ in processes]
        for process in processes:
            process.join(10)
        cpu = [cpu_seconds(process.pid) - before for (process, _), before in zip(gateways, cpu_before)]
        ok, failed = sum(c["ok"] for c in counts), sum(c["failed"] for c in counts)
        why: dict[str, int] = {}
        for c in counts:
            for reason, count in c["why"].items():
                why[reason] = why.get(reason, 0) + count
        return {"rate": ok / seconds, "failed": failed, "why": why, "cpu": [c / seconds for c in cpu]}
    finally:
        for process, _ in gateways:
            stop_process(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="load per run")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each size, interleaved")
    parser.add_argument("--sandboxes", type=int, default=8)
    args = parser.parse_args()
    if args.sandboxes < GENERATORS * 2:
        parser.error(f"--sandboxes must be at least {GENERATORS * 2}")
    import tempfile

    rates: dict[int, list[float]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory(prefix="bench-shards-") as tmp:
        for round_number in range(args.rounds):
            for n in (1, 2):
                result = run(n, args.sandboxes, args.seconds, Path(tmp))
                rates[n].append(result["rate"])
                cpu = ", ".join(f"{100 * c:.0f}%" for c in result["cpu"])
                print(f"round {round_number + 1}, {n} gateway(s): {result['rate']:.0f} AssumeRole calls/s, "
                      f"{result['failed']} failed; gateway CPU {cpu} of a core", flush=True)
                for reason, count in result["why"].items():
                    print(f"  failed {count}x: {reason}")
    one, two = statistics.median(rates[1]), statistics.median(rates[2])
    print(f"gateway tier, {args.sandboxes} sandboxes on {os.cpu_count()} cores: 1 gateway {one:.0f} calls/s, "
          f"2 gateways {two:.0f} calls/s, ratio {two / one:.2f} (medians of {args.rounds})")


if __name__ == "__main__":
    main()
