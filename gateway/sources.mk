GW_SRC := gateway/main.c gateway/config.c gateway/model.c gateway/functions.c gateway/drop.c \
          gateway/logs.c gateway/logs_follow.c gateway/store.c gateway/api.c gateway/reply.c \
          gateway/api_functions.c gateway/api_secrets.c gateway/api_logs.c \
          gateway/auth.c gateway/invoke.c gateway/ui.c gateway/connectors.c \
          gateway/autoscale.c gateway/autoscale_state.c gateway/autoscale_policy.c gateway/autoscale_alert.c \
          gateway/queue.c gateway/async.c gateway/queue_view.c gateway/deadletters.c \
          gateway/letter.c gateway/letter_cache.c \
          gateway/drivers/process.c gateway/drivers/process_limits.c \
          gateway/drivers/process_sandbox.c \
          gateway/drivers/process_cpu.c \
          gateway/drivers/docker.c gateway/drivers/docker_spec.c \
          gateway/drivers/docker_image.c gateway/drivers/docker_logs.c \
          gateway/drivers/swarm.c gateway/drivers/swarm_tasks.c gateway/drivers/swarm_spec.c \
          gateway/drivers/swarm_secrets.c gateway/drivers/swarm_sweep.c gateway/drivers/swarm_logs.c \
          gateway/drivers/kubernetes.c gateway/drivers/kubernetes_fns.c gateway/drivers/kubernetes_deploy.c \
          gateway/drivers/kubernetes_spec.c gateway/drivers/kubernetes_watch.c \
          gateway/drivers/kubernetes_secrets.c gateway/drivers/kubernetes_logs.c \
          gateway/drivers/kubernetes_lease.c gateway/drivers/kubernetes_load.c gateway/drivers/k8s_api.c \
          gateway/drivers/k8s_config.c \
          gateway/engine/docker_api.c
