CLI_SRC := cli/main.c cli/subst.c cli/ynode.c cli/stack.c cli/stack_util.c
