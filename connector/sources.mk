CN_SRC := connector/main.c connector/cn.c connector/control.c connector/config.c connector/routes.c \
          connector/table.c connector/refresh.c connector/record.c connector/encode.c \
          connector/keymap.c connector/track.c connector/invoke.c connector/invoke_curl.c connector/verdict.c \
          connector/dispatch.c connector/callstate.c connector/outcome.c connector/publish.c \
          connector/producer.c connector/consumer.c connector/parts.c connector/kafka_record.c connector/release.c connector/hold.c \
          connector/kconf.c connector/kafka_env.c connector/api.c \
          connector/subject.c connector/bus.c connector/nats_config.c connector/nats_record.c \
          connector/nats_publish.c connector/nats_source.c connector/nats_places.c connector/nats_pull.c \
          connector/async.c connector/async_kept.c connector/async_early.c connector/callback.c connector/callsign.c connector/reload.c
