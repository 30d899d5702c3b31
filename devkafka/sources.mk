DK_SRC := devkafka/main.c
