QW_SRC := gateway/worker/main.c gateway/worker/config.c gateway/worker/fetch.c gateway/worker/job.c gateway/worker/call.c gateway/worker/callback.c gateway/worker/deadletter.c gateway/worker/api.c
