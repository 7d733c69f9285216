"""``autodiff serve``: a local page to explore a formula: its graph, value, gradient, Hessian and Taylor numbers.

The server is the standard library's (``http.server.ThreadingHTTPServer``): the page is one user on
one machine, so a framework would add a dependency and nothing we need; the safety limits are a
few lines each, here where they can be read:

* it listens on 127.0.0.1 by default (a warning when bound elsewhere), and while on loopback it
  answers only requests whose Host is a loopback name (no DNS rebinding from a web page);
* it serves only the files of its own static folder, by exact name (no paths: nothing else
  on disk can be reached), and one JSON endpoint, ``POST /api/evaluate``;
* request bodies over ``MAX_BODY`` bytes are refused (413) unread, formulas over ``MAX_FORMULA``
  characters too; formulas go through the safe parser (``autodiff.expr``: a whitelist, never eval);
* every evaluation runs in a worker process with a time limit (``--time-limit``, default 2 s): a
  formula that runs longer is stopped, answered with 422, and a fresh worker takes over;
* bad requests get 4xx with a message the page shows; slow clients time out; the server keeps serving.
"""

from __future__ import annotations

import http.server
import ipaddress
import json
import math
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

MAX_BODY = 4096  # bytes of a request body
MAX_FORMULA = 500  # characters of a formula
MAX_VARIABLES = 8
TIME_LIMIT = 2.0  # seconds per evaluation
STARTUP_LIMIT = 60.0  # seconds for a worker to import numpy and autodiff
STATIC = Path(__file__).resolve().parent / "static"
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}


class Refused(Exception):
    """A request the server will not carry out: its status and the message for the page."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# ----------------------------------------------------------------------------- the evaluation (in the worker)
def evaluate(formula: str, point: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the page shows for a formula at a point (variables default to 1): value, gradient,
    Hessian, the linearisation and Taylor numbers, and the graph page's SVG and data."""
    import numpy as np

    import autodiff as ad
    from autodiff.expr import DomainError, ExpressionError, parse
    from autodiff.page import graph_svg, page_data
    from autodiff.viz_build import build

    try:
        expression = parse(formula)
    except ExpressionError as error:
        raise Refused(422, f"cannot use the formula:\n{error}") from None
    names = list(expression.variables)
    if not names:
        raise Refused(422, "the formula has no variables; use names such as x and y")
    if len(names) > MAX_VARIABLES:
        raise Refused(422, f"at most {MAX_VARIABLES} variables, the formula has {len(names)}")
    point = point or {}
    values = [float(point.get(name, 1.0)) for name in names]
    with np.errstate(all="ignore"):
        try:
            expression.check_domain(*values)
        except DomainError as error:
            raise Refused(422, f"the formula is {error}") from None
        e = ad.explain(expression, *values, names=names)
        hessian = np.atleast_2d(ad.hessian(expression.on_vector)(np.array(values)).data)
        taylor = [float(c) for c in ad.taylor(expression, values[0], 4)] if len(names) == 1 else None
        drawing = build(e.value, show_partials=True, explanation=e, title=f"f = {formula}")
        svg = graph_svg(drawing)
    value = float(e.value.data)
    gradient = [float(g.data) for g in e.gradient]
    return {"ok": True, "formula": formula, "variables": names, "point": values, "value": value,
            "gradient": gradient, "hessian": [[float(h) for h in row] for row in hessian],
            "linear": _linear_text(value, gradient, names, values), "taylor": taylor,
            "taylor_text": _taylor_text(taylor, names[0], values[0]) if taylor else "",
            "svg": svg, "page": page_data(drawing)}


def _shift(name: str, at: float) -> str:
    return name if at == 0 else f"({name} {'-' if at > 0 else '+'} {abs(at):.6g})"


def _linear_text(value: float, gradient: list[float], names: list[str], at: list[float]) -> str:
    text = f"{value:.6g}"
    for g, name, a in zip(gradient, names, at):
        if g:
            text += f" {'-' if g < 0 else '+'} {abs(g):.6g}·{_shift(name, a)}"
    return text


def _taylor_text(coefficients: list[float], name: str, at: float) -> str:
    text = f"{coefficients[0]:.6g}"
    for k, c in enumerate(coefficients[1:], start=1):
        if c and math.isfinite(c):
            text += f" {'-' if c < 0 else '+'} {abs(c):.6g}·{_shift(name, at)}" + (f"^{k}" if k > 1 else "")
    return text


def _safe(formula: str, point: dict[str, Any]) -> dict[str, Any]:
    """evaluate, with every failure turned into a message for the page."""
    try:
        return evaluate(formula, point)
    except Refused as refused:
        return {"ok": False, "status": refused.status, "error": refused.message}
    except (RecursionError, MemoryError, OverflowError) as error:
        return {"ok": False, "status": 422, "error": f"the formula is too big to evaluate ({type(error).__name__})"}
    except Exception as error:  # noqa: BLE001 (a bad formula must never take the server down)
        return {"ok": False, "status": 422, "error": f"{type(error).__name__}: {error}"}


def worker() -> None:
    """The worker process: one JSON request a line on stdin, one JSON answer a line on stdout (the first
    line says it is ready, once numpy and autodiff are imported)."""
    import numpy as np

    import autodiff.page  # noqa: F401 (imported before the first request's clock starts)

    out = sys.stdout
    sys.stdout = sys.stderr  # nothing else may write into the answers
    out.write('{"ready": true}\n')
    out.flush()
    for line in sys.stdin:
        request = json.loads(line)
        with np.errstate(all="ignore"):
            answer = _safe(request["formula"], request["point"])
        out.write(json.dumps(answer, allow_nan=False, default=_finite) + "\n")
        out.flush()


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else str(value)


# ----------------------------------------------------------------------------- the worker, from the server
class Evaluator:
    """Runs evaluations in a worker process, one at a time, each within ``time_limit`` seconds."""

    def __init__(self, time_limit: float = TIME_LIMIT) -> None:
        self.time_limit = time_limit
        self.lock = threading.Lock()
        self.process: subprocess.Popen | None = None
        self.answers: queue.Queue = queue.Queue()

    def start(self) -> None:
        """Start a worker and wait until it is ready (imports take about a second)."""
        root = str(Path(__file__).resolve().parents[1])  # this autodiff, wherever it was imported from
        paths = [root, *filter(None, [os.environ.get("PYTHONPATH")])]
        self.process = subprocess.Popen([sys.executable, "-c", "from autodiff.serve import worker; worker()"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8",
                                        env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)})
        self.answers = queue.Queue()
        threading.Thread(target=_read_lines, args=(self.process.stdout, self.answers), daemon=True).start()
        try:
            ready = self.answers.get(timeout=STARTUP_LIMIT)
        except queue.Empty:
            ready = None
        if ready is None:
            self.stop()
            raise Refused(503, "the evaluation worker did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def __call__(self, formula: str, point: dict[str, float]) -> dict[str, Any]:
        with self.lock:
            if self.process is None or self.process.poll() is not None:
                self.start()
            assert self.process is not None and self.process.stdin is not None
            self.process.stdin.write(json.dumps({"formula": formula, "point": point}) + "\n")
            self.process.stdin.flush()
            try:
                line = self.answers.get(timeout=self.time_limit)
            except queue.Empty:
                self.stop()  # a fresh worker starts with the next request
                raise Refused(422, f"the evaluation took longer than the limit of {self.time_limit:g} s "
                                   "and was stopped") from None
            if line is None:
                self.stop()
                raise Refused(422, "the evaluation stopped the worker (a fresh one takes over)")
            return json.loads(line)


def _read_lines(stream: Any, answers: queue.Queue) -> None:
    for line in stream:
        answers.put(line)
    answers.put(None)


# ----------------------------------------------------------------------------- the HTTP side
class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "autodiff-serve"
    timeout = 10  # seconds a client may take to send its request
    evaluator: Evaluator
    files: dict[str, tuple[bytes, str]]
    loopback_only = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        if os.environ.get("AUTODIFF_SERVE_LOG"):
            super().log_message(format, *args)

    def send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; "
                                                    "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def answer(self, status: int, data: dict[str, Any]) -> None:
        self.send(status, json.dumps(data, allow_nan=False).encode("utf-8"), "application/json; charset=utf-8")

    def refuse(self, refused: Refused) -> None:
        self.answer(refused.status, {"ok": False, "error": refused.message})

    def check_host(self) -> None:
        if not self.loopback_only:
            return
        host = (self.headers.get("Host") or "").strip().lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if name not in LOOPBACK_NAMES:
            raise Refused(421, f"this server answers requests for localhost only, not {host or 'no Host'}")

    def do_GET(self) -> None:  # noqa: N802 (http.server's names)
        try:
            self.check_host()
            path = self.path.split("?", 1)[0]
            name = "serve.html" if path in ("/", "/index.html") else path.removeprefix("/static/")
            if name not in self.files or (path not in ("/", "/index.html") and not path.startswith("/static/")):
                raise Refused(404, "not found")
            body, kind = self.files[name]
            self.send(200, body, kind)
        except Refused as refused:
            self.refuse(refused)

    do_HEAD = do_GET

    def do_POST(self) -> None:  # noqa: N802
        try:
            self.check_host()
            if self.path != "/api/evaluate":
                raise Refused(404, "not found")
            request = self.read_json()
            formula, point = _checked(request)
            result = self.evaluator(formula, point)
            self.answer(200 if result.get("ok") else int(result.get("status", 422)), result)
        except Refused as refused:
            self.refuse(refused)

    def read_json(self) -> Any:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise Refused(411, "the request needs a Content-Length")
        if int(length) > MAX_BODY:
            self.close_connection = True  # the body is not read
            raise Refused(413, f"the request is {length} bytes; at most {MAX_BODY} are accepted")
        try:
            return json.loads(self.rfile.read(int(length)).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise Refused(400, "the request is not JSON") from None

    def refuse_method(self) -> None:
        self.refuse(Refused(405, f"{self.command} is not allowed here"))

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = refuse_method


def _checked(request: Any) -> tuple[str, dict[str, float]]:
    if not isinstance(request, dict) or not isinstance(request.get("formula"), str):
        raise Refused(400, 'expected {"formula": "...", "point": {"x": 1.0}}')
    formula = request["formula"].strip()
    if len(formula) > MAX_FORMULA:
        raise Refused(413, f"the formula has {len(formula)} characters; at most {MAX_FORMULA} are accepted")
    if not formula:
        raise Refused(422, "type a formula, e.g. x*y + sin(x)")
    point = request.get("point") or {}
    if not isinstance(point, dict) or len(point) > MAX_VARIABLES or not all(
            isinstance(k, str) and len(k) <= 40 and isinstance(v, (int, float)) and not isinstance(v, bool)
            and math.isfinite(v) for k, v in point.items()):
        raise Refused(400, f"the point must map at most {MAX_VARIABLES} variable names to finite numbers")
    return formula, {k: float(v) for k, v in point.items()}


def make_server(host: str = "127.0.0.1", port: int = 8765, time_limit: float = TIME_LIMIT) -> http.server.HTTPServer:
    """The server (not yet serving: call ``serve_forever()``; port 0 picks a free one)."""
    kinds = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
             ".css": "text/css; charset=utf-8"}
    files = {p.name: (p.read_bytes(), kinds[p.suffix]) for p in STATIC.iterdir() if p.suffix in kinds}
    evaluator = Evaluator(time_limit)
    handler = type("ServeHandler", (Handler,), {"evaluator": evaluator, "files": files,
                                                "loopback_only": is_loopback(host)})
    server = http.server.ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    server.evaluator = evaluator  # type: ignore[attr-defined]
    return server


def is_loopback(host: str) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
