"""The multi-tenant API under load: 16 concurrent clients on the invoke endpoint for 60 s, against uvicorn.

A workspace uploads `sample_apps/support_desk` through the real upload path (archive → build), then N clients
call `POST /v1/workspaces/{ws}/modules/classify_intent:invoke` with the workspace's key, each as fast as it is
answered, for `--seconds`. The server is uvicorn in its own process (so the load generator does not share its
interpreter). The baseline, measured in the same run on the same store and model, is the same N concurrent
callers invoking the engine in process for `--baseline-seconds`: the difference of the two latency
distributions is what the API adds (auth, routing, validation, JSON, HTTP). The model is the library's
`TestModel` by default, so the figures are the API's own cost rather than the model's (`--model local`: the
embedded default, where the model's time dominates). Every call is recorded as a trace in both runs, and both
processes freeze their start-up heap out of the garbage collector's reach (`freeze_heap`), as the server does.

Run: `python bench/api.py [--clients 16] [--seconds 60] [--baseline-seconds 30] [--model test|local]
[--store URL]`. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from agentforge.api.operations import freeze_heap
from agentforge.api.uploads import zip_folder
from agentforge.llm.base import Model

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "sample_apps" / "support_desk"
MODULE = "support_desk/assistant.py::classify_intent"
ADMIN = "bench-admin-" + "k" * 32
MESSAGES = ["I lost my card", "where is my refund?", "the app charged me twice", "how do I change my address"]


def _model(kind: str) -> Model:
    if kind == "local":
        from agentforge.llm.local import LocalModel

        return LocalModel.load()
    from agentforge.llm.testing import TestModel

    return TestModel(keep_requests=False)


def _serve(store_url: str, data: str, port: int, model: str) -> None:
    import uvicorn

    from agentforge.api import create_service
    from agentforge.store import Store

    app = create_service(Store.open(store_url), _model(model), Path(data), admin_key=ADMIN)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentiles(latencies: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"p50_ms": round(cuts[49], 2), "p95_ms": round(cuts[94], 2), "p99_ms": round(cuts[98], 2)}


def _prepare(base: str) -> str:
    """Create the workspace, upload and build the app; the workspace's key."""
    admin = {"Authorization": f"Bearer {ADMIN}"}
    key: str = httpx.post(f"{base}/v1/workspaces", json={"workspace_id": "bench"}, headers=admin).json()["key"]["key"]
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
        archive = b"".join(zip_folder(APP))
        build = client.post("/v1/workspaces/bench/apps", params={"name": "desk"}, content=archive).json()
        while build["state"] not in ("succeeded", "failed"):
            time.sleep(0.2)
            build = client.get(f"/v1/workspaces/bench/builds/{build['id']}").json()
    if build["state"] != "succeeded":
        raise SystemExit(f"the build failed: {build['error']}")
    return key


async def _over_http(base: str, key: str, clients: int, seconds: float) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as client:

        async def one(worker: int) -> None:
            nonlocal errors
            i = worker
            while time.perf_counter() < deadline:
                body = {"input": {"message": MESSAGES[i % len(MESSAGES)]}}
                started = time.perf_counter()
                answer = await client.post(f"/v1/workspaces/bench/modules/{MODULE}:invoke", json=body)
                if answer.status_code == 200 and not answer.json()["fallback_used"]:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1
                i += clients

        await asyncio.gather(*(one(w) for w in range(clients)))
    return latencies, errors


async def _in_process(store_url: str, model: str, clients: int, seconds: float) -> tuple[list[float], int]:
    from agentforge.runtime import Engine
    from agentforge.store import Store

    latencies: list[float] = []
    errors = 0
    with Store.open(store_url) as store:
        engine = Engine(store, _model(model), workspace_id="bench")
        freeze_heap()  # as the server does at start-up, so both sides collect garbage alike
        deadline = time.perf_counter() + seconds

        async def one(worker: int) -> None:
            nonlocal errors
            i = worker
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                trace = await engine.invoke(MODULE, {"message": MESSAGES[i % len(MESSAGES)]})
                if trace.fallback_used:
                    errors += 1
                else:
                    latencies.append((time.perf_counter() - started) * 1000)
                i += clients

        await asyncio.gather(*(one(w) for w in range(clients)))
        engine.close()
    return latencies, errors


def main(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        store_url = args.store or f"sqlite:///{tmp}/bench.db"
        port = _free_port()
        context = multiprocessing.get_context("spawn")
        server = context.Process(target=_serve, args=(store_url, f"{tmp}/data", port, args.model), daemon=True)
        server.start()
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or not server.is_alive():
                    raise SystemExit("the server did not start")
                time.sleep(0.3)
            key = _prepare(base)
            asyncio.run(_over_http(base, key, args.clients, 3))  # warm-up: connections, caches
            freeze_heap()  # the load generator's own collections must not show up as the server's latency
            print(f"{args.clients} clients for {args.seconds:.0f} s over HTTP…", file=sys.stderr, flush=True)
            http, http_errors = asyncio.run(_over_http(base, key, args.clients, args.seconds))
        finally:
            server.terminate()
            server.join(10)
        print(f"{args.clients} callers for {args.baseline_seconds:.0f} s in process…", file=sys.stderr, flush=True)
        asyncio.run(_in_process(store_url, args.model, args.clients, 3))
        local, local_errors = asyncio.run(_in_process(store_url, args.model, args.clients, args.baseline_seconds))
    over_http, in_process = _percentiles(http), _percentiles(local)
    return {
        "clients": args.clients,
        "model": args.model,
        "store": "postgresql" if args.store and args.store.startswith("postgres") else "sqlite",
        "cpus": os.cpu_count(),
        "http_seconds": args.seconds,
        "http_requests": len(http),
        "http_errors": http_errors,
        "http_rps": round(len(http) / args.seconds, 1),
        **{f"http_{k}": v for k, v in over_http.items()},
        "inprocess_calls": len(local),
        "inprocess_errors": local_errors,
        "inprocess_cps": round(len(local) / args.baseline_seconds, 1),
        **{f"inprocess_{k}": v for k, v in in_process.items()},
        **{f"overhead_{k}": round(over_http[k] - in_process[k], 2) for k in over_http},
        "p99_ratio_http_vs_inprocess": round(over_http["p99_ms"] / max(in_process["p99_ms"], 1e-9), 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--baseline-seconds", type=float, default=30.0)
    parser.add_argument("--model", choices=["test", "local"], default="test")
    parser.add_argument("--store", help="store URL (default: a temporary SQLite file)")
    figures = main(parser.parse_args())
    print(f"{'':12s} {'calls':>7s} {'errors':>6s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s}")
    for name in ("http", "inprocess"):
        count = figures[f"{name}_requests" if name == "http" else "inprocess_calls"]
        print(
            f"{name:12s} {count:7d} {figures[f'{name}_errors']:6d} {figures[f'{name}_p50_ms']:8.2f} "
            f"{figures[f'{name}_p95_ms']:8.2f} {figures[f'{name}_p99_ms']:8.2f}"
        )
    print(
        f"API overhead: p50 {figures['overhead_p50_ms']} ms, p95 {figures['overhead_p95_ms']} ms, "
        f"p99 {figures['overhead_p99_ms']} ms (target p99 <= 25 ms); p99 {figures['p99_ratio_http_vs_inprocess']}x"
    )
    print(json.dumps(figures))
