"""faasbus-connector between buses: a Kafka record calls a function whose
result goes to NATS (JetStream), which calls the next function, whose
result comes back to Kafka; keys and hop counts travel along. Real dev
broker, nats-server, gateway and replicas."""
from connector_util import broker, connector, headers_of, produce, read_topic, record_dir
from natsclient import NatsClient

__all__ = ["broker", "connector", "record_dir"]  # fixtures


def test_kafka_to_nats_to_kafka(gateway, broker, nats, connector):
    bs = broker("-t", "orders:2", "-t", "orders-valid:2")
    srv = nats()
    c = NatsClient(srv.nats_url)
    c.create_stream("CHECKED", ["checked.>"])
    gw = gateway()
    gw.deploy("check", env_process="sed s/^/CHECKED:/",
              annotations={"topic": "kafka:orders", "reply-topic": "nats:checked.orders"})
    gw.deploy("price", env_process="sed s/^/PRICED:/",
              annotations={"topic": "nats:checked.*", "reply-topic": "kafka:orders-valid"})
    for name in ("check", "price"):
        gw.wait_available(name, 1)
    connector(gw, bs, env={"nats_url": srv.nats_url, "streams": "CHECKED"})
    sent = [(b"\x00key%d\xff" % i, b"order %d" % i) for i in range(20)] + \
           [(b"text-key%d" % i, b"plain %d" % i) for i in range(5)]
    produce(bs, "orders", [(k, v, [("trace", b"t")]) for k, v in sent])

    out = read_topic(bs, "orders-valid", len(sent), timeout=30)
    assert sorted((m.key, m.value) for m in out) == \
        sorted((k, b"PRICED:CHECKED:" + v) for k, v in sent)
    for m in out:
        h = headers_of(m)
        assert h["X-Function-Name"] == b"price"
        assert h["X-Source-Topic"] == b"checked.orders"
        assert h["X-Source-Stream"] == b"CHECKED"
        assert h["X-Hop-Count"] == b"2"
    # The middle hop is stored in JetStream with the Kafka key in X-Key
    # (base64 when not text) and where it came from.
    middle = c.stream_messages("CHECKED")
    assert len(middle) == len(sent)
    for h, data in middle:
        assert data.startswith(b"CHECKED:")
        assert h["X-Source-Topic"] == "orders" and h["X-Hop-Count"] == "1"
        assert "X-Key" in h
        assert h.get("X-Key-Enc") == ("b64" if data.startswith(b"CHECKED:order") else None)
