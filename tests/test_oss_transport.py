"""The OSS SDK on our http.client transport: kept-alive, and clean after any failure."""

import http.client
import socket
import threading

import pytest
from alibabacloud_oss_v2 import exceptions

from conformance.dialects.oss import OssDialect
from conformance.dialects.oss_transport import HttpClientTransport
from conformance.errors import ProvisioningError
from conformance.reference import ReferenceServer
from conformance.targets import Credentials, Target

KEY, SECRET = "LTAItransportKEY01", "transport-SECRET-77"


@pytest.fixture
def reference():
    with ReferenceServer(credentials={KEY: SECRET}) as srv:
        dialect = OssDialect(Target(endpoint=srv.endpoint), Credentials(KEY, SECRET))
        assert dialect.create_bucket("bkt").ok
        yield srv, dialect
        dialect.close()


def test_calls_share_one_kept_alive_connection(reference):
    srv, dialect = reference
    before = srv.request_count
    for _ in range(5):
        assert dialect.get_cors("bkt")[0].code == "NoSuchCORSConfiguration"
    assert srv.request_count - before == 5
    assert len(dialect._http._inner.pool) == 1


def test_a_connection_the_server_closed_is_replaced_without_failing_the_call(reference):
    srv, dialect = reference
    assert dialect.get_cors("bkt")[0].status == 404
    srv._running().close_connections()  # what an idle timeout on the server side does
    assert dialect.get_cors("bkt")[0].status == 404


def test_an_interrupt_mid_answer_leaves_a_usable_connection(reference, monkeypatch):
    _, dialect = reference
    original = http.client.HTTPConnection.getresponse
    calls = []

    def interrupted_once(self):
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt  # Ctrl-C while the answer is on its way
        return original(self)

    monkeypatch.setattr(http.client.HTTPConnection, "getresponse", interrupted_once)
    with pytest.raises(KeyboardInterrupt):
        dialect.get_cors("bkt")
    assert dialect.get_cors("bkt")[0].status == 404  # the restore that follows can still talk


def test_a_silent_server_is_a_request_error_not_a_hang():
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    transport = HttpClientTransport(timeout=0.3)
    request = type("Req", (), {"url": f"http://127.0.0.1:{listener.getsockname()[1]}/b?cors",
                               "method": "GET", "headers": {}, "body": None})()
    try:
        with pytest.raises(exceptions.RequestError):
            transport.send(request)
        assert transport.pool.connection("http", request.url.split("/")[2]).sock is None
    finally:
        transport.close()
        for conn, _ in accepted:
            conn.close()
        listener.close()


def test_an_unreachable_endpoint_is_a_provisioning_error():
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]  # closed again: nothing listens there now
    dialect = OssDialect(Target(endpoint=f"http://127.0.0.1:{port}"), Credentials(KEY, SECRET))
    try:
        with pytest.raises(ProvisioningError):
            dialect.get_cors("bkt")
    finally:
        dialect.close()
