"""``autodiff serve``: a local page to explore a formula (see ``autodiff.serve`` for its safety limits)."""

from __future__ import annotations

import argparse
import sys
import webbrowser

from ..serve import TIME_LIMIT, is_loopback, make_server
from .common import UsageError, positive_float
from .registry import Command


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (default 8765; 0 picks a free one)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--time-limit", type=positive_float, default=TIME_LIMIT, metavar="SECONDS",
                        help=f"longest evaluation of a formula before it is stopped (default {TIME_LIMIT:g})")
    parser.add_argument("--open", action="store_true", help="open the page in a web browser")


def _serve(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, got {args.port}")
    try:
        server = make_server(args.host, args.port, args.time_limit)
    except OSError as error:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}") from None
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in str(host) else host
    url = f"http://{shown}:{port}/"
    if not is_loopback(args.host):
        print(f"warning: listening on {args.host}, so other machines can reach this page; the server is meant "
              "for one user on this machine (--host 127.0.0.1)", file=sys.stderr)
    try:
        server.evaluator.start()  # the worker imports numpy and autodiff now, not at the first request
    except Exception as error:  # noqa: BLE001 (the page still loads; each request tries again)
        print(f"warning: the evaluation worker did not start ({error})", file=sys.stderr)
    print(f"serving on {url} (Ctrl+C to stop)", flush=True)
    if args.open:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()
        server.evaluator.stop()
    return 0


command = Command(
    help="a local page: type a formula, move sliders, see its graph and derivatives",
    description="Serve a page on this machine with a formula box and one slider per variable; every change "
                "re-evaluates the formula (safely parsed, time-limited) and redraws its graph, value, gradient, "
                "Hessian and Taylor numbers, and the steps of its derivative.",
    add_arguments=_arguments, run=_serve)
