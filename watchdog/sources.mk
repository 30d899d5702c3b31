WD_SRC := watchdog/main.c watchdog/config.c watchdog/env.c \
          watchdog/forkmode.c watchdog/httpmode.c watchdog/staticmode.c \
          watchdog/health.c watchdog/marshal.c watchdog/wd.c watchdog/linelog.c watchdog/spawner.c watchdog/serve.c
