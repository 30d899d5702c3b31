/* main.c -- faasbus-devkafka: a Kafka broker for tests, benchmarks and
 * the demo, on librdkafka's mock cluster.
 *
 * Debian has no Kafka broker; librdkafka ships a mock cluster that speaks
 * the real Kafka protocol over TCP, so every client (the connector, kcat,
 * Python's kafka package) talks to it as to Apache Kafka. It listens on
 * ports the library picks (there is no API to choose one): the bootstrap
 * address is the first line we print, and goes to a file on request.
 * Runs until SIGTERM or SIGINT. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "parse.h"

#ifndef FAASBUS_VERSION
#define FAASBUS_VERSION "0.1.0"
#endif

struct options {
    int64_t brokers;
    int64_t partitions;
    const char *bootstrap_file;
    const char **topics;
    int ntopics;
};

static void usage(FILE *out)
{
    fprintf(out, "Usage: faasbus-devkafka [-b BROKERS] [-p PARTITIONS] [-t TOPIC[:PARTITIONS]]...\n"
                 "                        [-o FILE] [--version] [--help]\n\n"
                 "A Kafka cluster for development and tests (librdkafka's mock cluster): it\n"
                 "speaks the Kafka protocol on TCP, prints its bootstrap address as the first\n"
                 "line of output, and runs until SIGTERM or SIGINT. Data lives in memory only.\n\n"
                 "  -b N            brokers in the cluster (default 1)\n"
                 "  -p N            partitions of each topic given with -t (default 3)\n"
                 "  -t TOPIC[:N]    create TOPIC (with N partitions); may be repeated;\n"
                 "                  other topics are created on first use\n"
                 "  -o FILE         also write the bootstrap address to FILE\n");
}

static int parse_count(const char *flag, const char *s, int64_t max, int64_t *out)
{
    if (!s || parse_int64(s, out) < 0 || *out < 1 || *out > max) {
        fprintf(stderr, "faasbus-devkafka: %s expects a number from 1 to %lld, got \"%s\"\n", flag,
                (long long)max, s ? s : "");
        return -1;
    }
    return 0;
}

/* Returns -1 to exit 0 (--help, --version), 1 on a usage error, else 0. */
static int parse_args(int argc, char **argv, struct options *o)
{
    o->topics = calloc((size_t)argc, sizeof *o->topics);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return -1;
        } else if (strcmp(a, "--version") == 0) {
            printf("faasbus-devkafka %s (librdkafka %s)\n", FAASBUS_VERSION,
                   rd_kafka_version_str());
            return -1;
        } else if (strcmp(a, "-b") == 0 && v) {
            if (parse_count("-b", v, 16, &o->brokers) < 0)
                return 1;
            i++;
        } else if (strcmp(a, "-p") == 0 && v) {
            if (parse_count("-p", v, 1000, &o->partitions) < 0)
                return 1;
            i++;
        } else if (strcmp(a, "-t") == 0 && v) {
            o->topics[o->ntopics++] = v;
            i++;
        } else if (strcmp(a, "-o") == 0 && v) {
            o->bootstrap_file = v;
            i++;
        } else {
            fprintf(stderr, "faasbus-devkafka: unknown or incomplete argument %s (try --help)\n",
                    a);
            return 1;
        }
    }
    return 0;
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (level <= 4)
        log_warn("kafka", "%s: %s", fac, buf);
    else
        log_debug("kafka", "%s: %s", fac, buf);
}

/* The mock cluster lives inside a client handle; a producer is the
 * lightest one. */
static rd_kafka_t *host_handle(char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen);
    if (!rk)
        rd_kafka_conf_destroy(conf);
    return rk;
}

static int create_topic(rd_kafka_mock_cluster_t *mc, const char *spec, int64_t partitions)
{
    char name[256];
    const char *colon = strrchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    if (len == 0 || len >= sizeof name) {
        fprintf(stderr, "faasbus-devkafka: -t: bad topic \"%s\"\n", spec);
        return -1;
    }
    memcpy(name, spec, len);
    name[len] = '\0';
    if (colon && parse_count("-t TOPIC:N", colon + 1, 1000, &partitions) < 0)
        return -1;
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, name, (int)partitions, 1);
    if (e) {
        fprintf(stderr, "faasbus-devkafka: cannot create topic %s: %s\n", name,
                rd_kafka_err2str(e));
        return -1;
    }
    log_info("kafka", "created topic %s partitions=%lld", name, (long long)partitions);
    return 0;
}

static int write_bootstrap(const char *path, const char *bootstrap)
{
    FILE *f = fopen(path, "we");
    if (!f || fprintf(f, "%s\n", bootstrap) < 0 || fclose(f) != 0) {
        fprintf(stderr, "faasbus-devkafka: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct options o = { .brokers = 1, .partitions = 3 };
    int rc = parse_args(argc, argv, &o);
    if (rc) {
        free(o.topics);
        return rc < 0 ? 0 : 2;
    }
    log_init("devkafka", LOGL_INFO);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL); /* before librdkafka starts threads */
    char err[512];
    rd_kafka_t *rk = host_handle(err, sizeof err);
    rd_kafka_mock_cluster_t *mc = rk ? rd_kafka_mock_cluster_new(rk, (int)o.brokers) : NULL;
    rc = mc ? 0 : 1;
    if (!mc)
        fprintf(stderr, "faasbus-devkafka: cannot start the mock cluster: %s\n",
                rk ? "rd_kafka_mock_cluster_new failed" : err);
    for (int i = 0; rc == 0 && i < o.ntopics; i++)
        rc = create_topic(mc, o.topics[i], o.partitions) < 0 ? 2 : 0;
    const char *bootstrap = mc ? rd_kafka_mock_cluster_bootstraps(mc) : NULL;
    if (rc == 0 && o.bootstrap_file && write_bootstrap(o.bootstrap_file, bootstrap) < 0)
        rc = 1;
    if (rc == 0) {
        printf("%s\n", bootstrap);
        fflush(stdout);
        log_info("kafka", "listening bootstrap=%s brokers=%lld", bootstrap, (long long)o.brokers);
        int sig = 0;
        sigwait(&set, &sig);
        log_info("kafka", "signal %d: stopping", sig);
    }
    if (mc)
        rd_kafka_mock_cluster_destroy(mc);
    if (rk)
        rd_kafka_destroy(rk);
    free(o.topics);
    return rc;
}
