"""`autodiff serve`: what it answers, and hostile requests (each gets a 4xx and the server keeps serving)."""

import http.client
import itertools
import json
import math
import socket
import threading

import pytest

import autodiff as ad
from autodiff import serve


@pytest.fixture(scope="module")
def server():
    srv = serve.make_server("127.0.0.1", 0, time_limit=0.3)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    srv.evaluator.stop()


def request(server, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=30)
    try:
        data = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else body
        connection.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def raw_status(server, raw):
    """The status of the answer to bytes sent exactly as given (lying headers, bodies never sent in full)."""
    with socket.create_connection(server.server_address[:2], timeout=30) as sock:
        sock.sendall(raw)
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def evaluate(server, formula, **point):
    status, payload = request(server, "POST", "/api/evaluate", {"formula": formula, "point": point})
    return status, json.loads(payload)


def test_the_page_and_its_files(server):
    status, page = request(server, "GET", "/")
    assert status == 200 and b"ad-formula-input" in page and b'src="/static/serve.js"' in page
    for name in ("page.js", "page.css", "serve.js"):
        assert request(server, "GET", f"/static/{name}")[0] == 200


def test_a_formula_is_evaluated_with_its_derivatives_and_graph(server):
    status, data = evaluate(server, "x*y + sin(x)", x=2.0, y=3.0)
    assert status == 200 and data["ok"] and data["variables"] == ["x", "y"]
    grads = ad.grad(lambda x, y: x * y + ad.sin(x), argnums=(0, 1))(2.0, 3.0)
    assert data["gradient"] == [float(g) for g in grads]
    assert data["value"] == 6 + math.sin(2.0)
    assert data["hessian"][0] == pytest.approx([-math.sin(2.0), 1.0]) and data["hessian"][1] == pytest.approx([1, 0])
    assert data["svg"].startswith("<svg") and data["page"]["steps"]
    status, one = evaluate(server, "exp(x)", x=0.0)
    assert one["taylor"] == pytest.approx([1, 1, 0.5, 1 / 6, 1 / 24]) and "0.5·x^2" in one["taylor_text"]


@pytest.mark.parametrize("path", [
    "/static/../serve.py", "/static/%2e%2e/serve.py", "/../../../../etc/passwd", "/static//etc/passwd",
    "/static/page.js/../../serve.py", "/serve.py", "/static/", "/static/..%2fserve.py", "/etc/passwd",
])
def test_nothing_outside_the_static_folder_is_served(server, path):
    status, payload = request(server, "GET", path)
    assert status == 404 and b"import" not in payload


def hostile_formulas():
    yield "__import__('os').system('echo hacked')", 422, "__import__"
    yield "x.__class__", 422, "attribute access"
    yield "(" * 10_000 + "x" + ")" * 10_000, 413, "bytes"  # the body alone is over the limit
    yield "(" * 1000 + "x" + ")" * 1000, 413, "characters"  # fits the body limit, not the formula limit
    yield "(" * 240 + "x" + ")" * 240, 422, "nested"  # within both limits: the parser refuses it
    yield "x ** 9 ** 9", 422, ""
    yield "", 422, "type a formula"


@pytest.mark.parametrize("formula, status, message", list(hostile_formulas()))
def test_hostile_formulas_are_refused_and_the_server_keeps_serving(server, formula, status, message):
    got, payload = request(server, "POST", "/api/evaluate", {"formula": formula, "point": {"x": 1.0}})
    assert got == status, payload[:300]
    assert message in json.loads(payload)["error"]
    assert evaluate(server, "x*x", x=3.0)[1]["gradient"] == [6.0]


def long_formula():
    """64 products of 8 variables: Graphviz takes seconds to lay out its labelled edges (measured 4 s here)."""
    return "+".join(f"{a}*{b}" for a, b in itertools.product("abcdefgh", repeat=2))


def test_a_formula_that_runs_long_is_stopped_and_a_fresh_worker_takes_over(server):
    status, data = evaluate(server, long_formula())
    assert status == 422 and "longer than the limit of 0.3 s" in data["error"]
    status, data = evaluate(server, "x*x", x=3.0)
    assert status == 200 and data["gradient"] == [6.0]


@pytest.mark.parametrize("method, path, body, headers, status", [
    ("POST", "/api/evaluate", b"{not json", {}, 400),
    ("POST", "/api/evaluate", {"formula": 3}, {}, 400),
    ("POST", "/api/evaluate", {"formula": "x", "point": {"x": "1; rm -rf /"}}, {}, 400),
    ("POST", "/api/evaluate", {"formula": "x", "point": {f"v{i}": 1.0 for i in range(50)}}, {}, 400),
    ("POST", "/api/other", {"formula": "x"}, {}, 404),
    ("PUT", "/api/evaluate", {"formula": "x"}, {}, 405),
    ("DELETE", "/", None, {}, 405),
    ("GET", "/", None, {"Host": "evil.example:8765"}, 421),  # DNS rebinding: not a loopback name
])
def test_malformed_requests_get_a_4xx(server, method, path, body, headers, status):
    assert request(server, method, path, body, headers)[0] == status


def test_oversized_and_lying_bodies(server):
    head = b"POST /api/evaluate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
    big = json.dumps({"formula": "x" * 100_000}).encode()
    assert raw_status(server, head + b"Content-Length: %d\r\n\r\n" % len(big) + big[:4096]) == 413
    assert raw_status(server, head + b"Content-Length: 99999999\r\n\r\n{}") == 413  # refused before reading
    assert raw_status(server, head + b"\r\n") == 411
    assert raw_status(server, head + b"Content-Length: -5\r\n\r\n") == 411
    assert request(server, "GET", "/")[0] == 200


def test_binding_elsewhere_warns(capsys, monkeypatch):
    from autodiff.cli import serve as command

    class Stop(Exception):
        pass

    def fake_serve_forever(self):
        raise Stop

    monkeypatch.setattr("http.server.HTTPServer.serve_forever", fake_serve_forever)
    with pytest.raises(Stop):
        command._serve(type("Args", (), {"host": "0.0.0.0", "port": 0, "time_limit": 1.0, "open": False})())
    assert "warning: listening on 0.0.0.0" in capsys.readouterr().err
    assert serve.is_loopback("127.0.0.1") and serve.is_loopback("::1") and not serve.is_loopback("0.0.0.0")
