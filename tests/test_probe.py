from conformance.cases.model import ProbeRequest
from conformance.exchange import BODY_LIMIT
from conformance.probe import Prober, browser_headers
from tests.doubles.servers import RawCaptureServer

ANSWER = (b"HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: http://a\r\n"
          b"Access-Control-Allow-Origin: http://b\r\nContent-Length: 2\r\n"
          b"Connection: close\r\n\r\nok")


def test_raw_mode_puts_duplicate_and_empty_headers_on_the_wire_as_written():
    req = ProbeRequest(raw_headers=(("Origin", "http://a"), ("Origin", "http://b"),
                                    ("access-control-request-method", ""),
                                    ("X-Odd", " spaced  value ")))
    with RawCaptureServer(ANSWER) as server:
        ex = Prober(timeout=5).fire(server.endpoint + "/bkt/key%20x?y", req)
    head = server.requests[0].decode()
    assert head.startswith("OPTIONS /bkt/key%20x?y HTTP/1.1\r\nHost: 127.0.0.1:")
    assert ("\r\nOrigin: http://a\r\nOrigin: http://b\r\naccess-control-request-method: \r\n"
            "X-Odd:  spaced  value \r\n\r\n") in head
    assert ex.raw and ex.status == 200


def test_response_headers_keep_wire_order_and_duplicates():
    with RawCaptureServer(ANSWER) as server:
        ex = Prober(timeout=5).fire(server.endpoint + "/b/k", ProbeRequest(origin="http://a",
                                                                           request_method="GET"))
    assert ex.header_values("access-control-allow-origin") == ["http://a", "http://b"]
    assert ex.header("Access-Control-Allow-Origin") == "http://a, http://b"
    assert ex.body == b"ok"


def test_browser_like_request_sends_only_what_the_case_gives():
    req = ProbeRequest(origin="http://o", request_method="PUT", request_headers="x-a,x-b")
    names = [n for n, _ in browser_headers(req)]
    assert names[:4] == ["Accept", "Access-Control-Request-Method",
                         "Access-Control-Request-Headers", "Origin"]
    bare = [n for n, _ in browser_headers(ProbeRequest())]
    assert "Origin" not in bare and "Access-Control-Request-Method" not in bare
    actual = [n for n, _ in browser_headers(ProbeRequest(method="GET", origin="http://o",
                                                         request_method="PUT"))]
    assert "Access-Control-Request-Method" not in actual and "Origin" in actual


def test_an_endless_body_is_bounded_and_the_connection_dropped():
    big = b"x" * (BODY_LIMIT * 3)
    answer = b"HTTP/1.1 403 Forbidden\r\nContent-Length: %d\r\n\r\n" % len(big) + big
    with RawCaptureServer(answer) as server:
        ex = Prober(timeout=5).fire(server.endpoint + "/b/k", ProbeRequest(origin="http://a"))
    assert ex.status == 403 and ex.body_truncated and len(ex.body) == BODY_LIMIT


def test_a_refused_connection_is_recorded_not_raised():
    with RawCaptureServer(ANSWER) as server:
        url = server.endpoint
    ex = Prober(timeout=2).fire(url + "/b/k", ProbeRequest(origin="http://a"))
    assert ex.error and "Connection" in ex.error and ex.status == 0
    assert "no HTTP answer" in ex.transcript()
