GW_SRC := gateway/main.c gateway/config.c gateway/model.c gateway/functions.c \
          gateway/replicas.c gateway/logs.c gateway/store.c gateway/api.c \
          gateway/api_functions.c gateway/api_secrets.c gateway/api_logs.c \
          gateway/auth.c gateway/invoke.c gateway/limits.c gateway/sandbox.c \
          gateway/queue.c gateway/async.c
