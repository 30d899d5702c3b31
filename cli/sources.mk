CLI_SRC := cli/main.c cli/args.c cli/verbs.c cli/fb.c cli/http.c cli/auth.c cli/table.c \
           cli/subst.c cli/ynode.c cli/stack.c cli/stack_util.c \
           cli/deploy.c cli/build.c cli/functions.c cli/invoke.c cli/logs.c cli/secret.c cli/account.c \
           cli/bus.c cli/kafka.c cli/nats.c cli/templates.c cli/new.c cli/docs.c
