"""`matdiff serve`: the local web page and JSON API on a loopback address.

    matdiff serve [--host 127.0.0.1] [--port 8000] [--workers 2] [--time-limit 10]

Binds the socket itself (so `--port 0` picks a free port and the printed address is the
real one), prints the address, and runs uvicorn until Ctrl-C. Needs the `web` extra
(fastapi, uvicorn); without it, says how to install it and returns 2.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import sys
from collections.abc import Sequence


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="matdiff serve",
        description="Serve the matdiff web page and JSON API (described at /docs).",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 = any free)")
    p.add_argument(
        "--workers",
        type=int,
        default=min(4, os.cpu_count() or 2),
        help="worker processes that run derivations (default: min(4, CPUs))",
    )
    p.add_argument("--time-limit", type=float, default=10.0,
                   help="seconds a derivation may run before it is stopped (default 10)")
    p.add_argument("--memory-limit", type=int, default=2048,
                   help="address-space cap per worker, MB (default 2048; 0 = none)")
    p.add_argument("--log-level", default="warning",
                   choices=["critical", "error", "warning", "info", "debug"])
    return p


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this; without it every keep-alive response waited ~40 ms
    # (Nagle against the client's delayed ACK) when uvicorn is handed the socket.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve_main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    try:
        # Optional dependency (the web extra): uvicorn, and app.py is built on fastapi.
        # Imported here so that `matdiff` works, and says how to install them, without.
        import uvicorn

        from .app import Settings, create_app
    except ImportError as e:
        print(
            f"error: matdiff serve needs the web extra ({e.name or e} is missing)\n"
            "hint: pip install 'matdiff[web]'  (fastapi and uvicorn)",
            file=sys.stderr,
        )
        return 2
    if args.workers < 0 or args.time_limit <= 0:
        print("error: --workers must be 0 or more and --time-limit positive", file=sys.stderr)
        return 2
    try:
        sock = bind(args.host, args.port)
    except OSError as e:
        print(f"error: cannot listen on {args.host}:{args.port}: {e.strerror or e}",
              file=sys.stderr)
        return 2
    port = sock.getsockname()[1]
    shown = f"[{args.host}]" if ":" in args.host else args.host
    app = create_app(
        Settings(
            workers=args.workers,
            time_limit=args.time_limit,
            memory_limit_mb=args.memory_limit or None,
        )
    )
    if not _is_loopback(args.host):
        print(
            f"warning: {args.host} is not a loopback address; anyone who can reach this "
            "machine can use the server",
            file=sys.stderr,
        )
    print(f"matdiff: serving on http://{shown}:{port}/  (Ctrl-C to stop)", flush=True)
    config = uvicorn.Config(app, log_level=args.log_level, access_log=False)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(serve_main(sys.argv[1:]))
