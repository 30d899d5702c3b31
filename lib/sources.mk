LIB_SRC := lib/log.c lib/parse.c lib/cfg.c lib/buf.c lib/loop.c lib/httpd.c lib/httpconn.c lib/h1head.c lib/h1chunk.c lib/h1call.c lib/hprobe.c \
           lib/proxy.c lib/uppool.c lib/h1resp.c lib/metrics.c lib/xalloc.c lib/listenfd.c lib/unixaddr.c lib/spool.c lib/curlloop.c lib/hclient.c lib/proc.c lib/exitwatch.c lib/base64.c lib/signals.c lib/lines.c \
           lib/framing.c lib/offload.c lib/jsq.c lib/natsauth.c lib/retry.c lib/secretfile.c lib/cli.c lib/rkqloop.c lib/idletrim.c lib/jspull.c lib/urlenc.c lib/natsmsg.c \
           lib/decimal.c lib/randpool.c
