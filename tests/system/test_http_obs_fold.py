"""A header folded with obs-fold (a line starting with a space or tab)
must not carry a value past the gateway's checks: a folded X-Callback-Url
is refused with 400, whatever the continuation holds: the server refuses
every folded line (RFC 9112 section 5.2 lets it), so no value is ever
glued together from two lines."""
import pytest

from test_http_smuggling import exchange

FOLDED = {
    "folded after the URL":
        b"X-Callback-Url: http://127.0.0.1:9/\r\n http://169.254.169.254/\r\n",
    "folded into an empty value":
        b"X-Callback-Url:\r\n http://127.0.0.1:9/x\r\n",
    "folded with a tab":
        b"X-Callback-Url: http://127.0.0.1:9/a\r\n\thttp://127.0.0.1:9/b\r\n",
    "a bare token folded with a tab":
        b"X-Callback-Url: http://127.0.0.1:9/a\r\n\tb\r\n",
}


def folded_call_is_refused(nats, gateway, folded):
    srv = nats()
    gw = gateway(env={"nats_url": srv.nats_url})
    gw.deploy("echo")
    req = (b"POST /async-function/echo HTTP/1.1\r\nHost: x\r\n" + folded +
           b"Content-Length: 2\r\nConnection: close\r\n\r\nhi")
    status, got, closed = exchange(gw.port, req)
    assert status == 400, got[:300]
    assert closed
    # The same call unfolded is queued (202), so the 400 was the folding.
    plain = (b"POST /async-function/echo HTTP/1.1\r\nHost: x\r\n"
             b"X-Callback-Url: http://127.0.0.1:9/\r\n"
             b"Content-Length: 2\r\nConnection: close\r\n\r\nhi")
    status, got, _ = exchange(gw.port, plain)
    assert status == 202, got[:300]


@pytest.mark.parametrize("case", sorted(FOLDED))
def test_a_folded_callback_url_is_400(nats, gateway, case):
    folded_call_is_refused(nats, gateway, FOLDED[case])

