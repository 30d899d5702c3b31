"""Request smuggling (RFC 9112 section 6.3) and malformed framing: every
daemon's HTTP server answers 400 (413 for a length it cannot hold) from
the head alone, before reading any body, and closes the connection, so no
byte of a request can be taken as the start of the next one."""
import re
import socket

import pytest

from conftest import SLOW, wait_for


def exchange(port, data, timeout=10):
    """Sends raw bytes; returns (status, everything read) once the server
    has closed the connection or gone quiet for `timeout` seconds."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout * SLOW)
    try:
        s.sendall(data)
        got = b""
        closed = False
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                closed = True
                break
            got += chunk
        status = int(got.split(b" ", 2)[1]) if got.startswith(b"HTTP/1.") else None
        return status, got, closed
    finally:
        s.close()


HEAD = b"POST /probe HTTP/1.1\r\nHost: x\r\n"
# A second request smuggled behind the first: it must never be answered.
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"

CASES = {
    "two different content-lengths":
        HEAD + b"Content-Length: 5\r\nContent-Length: 41\r\n\r\nhello" + SMUGGLED,
    "two equal content-lengths in one field":
        HEAD + b"Content-Length: 5, 5\r\n\r\nhello" + SMUGGLED,
    "chunked and content-length":
        HEAD + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\n" + SMUGGLED,
    "content-length and chunked":
        HEAD + b"Transfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n"
        b"0\r\n\r\n" + SMUGGLED,
    "an unknown transfer-encoding":
        HEAD + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
    "chunked twice":
        HEAD + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\n" + SMUGGLED,
    "a signed content-length":
        HEAD + b"Content-Length: +5\r\n\r\nhello" + SMUGGLED,
    "a content-length that is not a number":
        HEAD + b"Content-Length: 5x\r\n\r\nhello" + SMUGGLED,
    "a CR inside a header value":
        HEAD + b"X-A: one\rContent-Length: 40\r\nContent-Length: 5\r\n\r\nhello" + SMUGGLED,
    "an invalid chunk size":
        HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n" + SMUGGLED,
}

# Forms RFC 9112 lets a server refuse, and ours does (lib/h1head.c): a
# proxy in front that reads them another way could not smuggle through.
FOLDS_AND_BARE_ENDS = {
    "an obs-folded header":
        HEAD + b"X-A: one\r\n two\r\nContent-Length: 5\r\n\r\nhello" + SMUGGLED,
    "a folded header with a tab":
        HEAD + b"X-A: one\r\n\ttwo\r\nContent-Length: 5\r\n\r\nhello" + SMUGGLED,
    "a bare LF ending a header":
        HEAD + b"X-A: one\nContent-Length: 5\r\n\r\nhello" + SMUGGLED,
    "a blank before the colon":
        HEAD + b"Content-Length : 5\r\n\r\nhello" + SMUGGLED,
    "a bare LF in the head":
        b"POST /probe HTTP/1.1\nHost: x\nContent-Length: 5\n\nhello" + SMUGGLED,
}


def daemons_under_test(watchdog, gateway):
    wd = watchdog({"fprocess": "cat"})
    gw = gateway()
    return {"watchdog": wd.port, "gateway": gw.port}


@pytest.fixture
def ports(watchdog, gateway):
    return daemons_under_test(watchdog, gateway)


@pytest.mark.parametrize("case", sorted(CASES))
def test_ambiguous_framing_is_400_and_closes(ports, case):
    for name, port in ports.items():
        status, got, closed = exchange(port, CASES[case])
        assert status == 400, f"{name}: {case}: {got[:300]!r}"
        assert closed, f"{name}: {case}: connection left open"
        assert answers(got) == {400}, f"{name}: {case}: smuggled request answered"


def answers(got):
    """The set of statuses answered: nothing but the refusal may be
    answered on the connection."""
    return {int(m) for m in re.findall(rb"HTTP/1\.[01] ([0-9]{3}) ", got)}


@pytest.mark.parametrize("case", sorted(FOLDS_AND_BARE_ENDS))
def test_obs_fold_and_bare_lf_are_400(ports, case):
    for name, port in ports.items():
        status, got, closed = exchange(port, FOLDS_AND_BARE_ENDS[case])
        assert status == 400 and closed, f"{name}: {case}: {got[:300]!r}"
        assert answers(got) == {400}, f"{name}: {case}: smuggled request answered"


def test_a_chunk_size_beyond_2_64_is_refused_and_closes(ports):
    for name, port in ports.items():
        status, got, closed = exchange(
            port, HEAD + b"Transfer-Encoding: chunked\r\n\r\n1ffffffffffffffff5\r\nhello\r\n"
            b"0\r\n\r\n" + SMUGGLED)
        assert status in (400, 413), f"{name}: {got[:300]!r}"
        assert closed and len(answers(got)) == 1, name


def test_a_content_length_beyond_2_63_is_413_at_once(ports):
    for name, port in ports.items():
        status, got, closed = exchange(
            port, HEAD + b"Content-Length: 99999999999999999999\r\n\r\nhello")
        assert status == 413, f"{name}: {got[:300]!r}"
        assert closed, name


def test_plain_requests_still_work(ports):
    for name, port in ports.items():
        req = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
               b"Connection: close\r\n\r\nhello")
        status, got, _ = exchange(port, req)
        assert status in (200, 404), f"{name}: {got[:300]!r}"
        req = (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
               b"Connection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        status, got, _ = exchange(port, req)
        assert status in (200, 404), f"{name}: {got[:300]!r}"
