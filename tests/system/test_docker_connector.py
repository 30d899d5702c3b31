"""The connector's Kafka -> function -> reply-topic chain with the
functions running as containers (driver=docker): nothing in the
connector knows or cares which driver runs them."""
import pytest

from connector_util import broker, connector, headers_of, produce, read_topic
from docker_util import TEST_IMAGE

__all__ = ["broker", "connector"]  # fixtures
pytestmark = pytest.mark.xdist_group("docker")


def test_kafka_records_reach_a_container_and_its_answers_the_reply_topic(docker_gateway,
                                                                          broker, connector):
    bs = broker("-t", "dk-in:2", "-t", "dk-out:2")
    gw = docker_gateway()
    gw.deploy("shout", image=TEST_IMAGE, env_process="sed s/^/SHOUT:/",
              annotations={"topic": "dk-in", "reply-topic": "dk-out"})
    gw.wait_available("shout", 1, timeout=60)
    connector(gw, bs)
    sent = [(b"k%d" % i, b"m%d" % i) for i in range(10)]
    produce(bs, "dk-in", [(k, v, None) for k, v in sent])
    out = read_topic(bs, "dk-out", 10)
    assert sorted((m.key, m.value) for m in out) == sorted((k, b"SHOUT:" + v) for k, v in sent)
    for m in out:
        h = headers_of(m)
        assert h["X-Function-Name"] == b"shout"
        assert h["X-Function-Status"] == b"200"
