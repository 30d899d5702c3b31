"""A header folded with obs-fold (a line starting with a space or tab)
must not carry a value past the gateway's checks: a folded X-Callback-Url
is refused with 400.

libmicrohttpd 0.9.75 glues a folded line's text, without its leading
blank, to the previous field's name: "X-Callback-Url: u\r\n\tb" arrives
as a field "X-Callback-Urlb" with the value "u". A continuation with a
space or colon in it makes a name HTTP forbids, and the head is refused;
a bare token does not, and then the call is taken without a callback (the
URL never reaches any check, so it cannot be used either)."""
import pytest

from test_http_smuggling import exchange

FOLDED = {
    "folded after the URL":
        b"X-Callback-Url: http://127.0.0.1:9/\r\n http://169.254.169.254/\r\n",
    "folded into an empty value":
        b"X-Callback-Url:\r\n http://127.0.0.1:9/x\r\n",
    "folded with a tab":
        b"X-Callback-Url: http://127.0.0.1:9/a\r\n\thttp://127.0.0.1:9/b\r\n",
}
# Seen by us only as an odd but valid field name (see above).
NOT_SEEN = {"a bare token folded with a tab": b"X-Callback-Url: http://127.0.0.1:9/a\r\n\tb\r\n"}


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


@pytest.mark.xfail(strict=True, reason="libmicrohttpd 0.9.75 glues the folded token to the name")
@pytest.mark.parametrize("case", sorted(NOT_SEEN))
def test_a_folded_bare_token_is_400(nats, gateway, case):
    folded_call_is_refused(nats, gateway, NOT_SEEN[case])
