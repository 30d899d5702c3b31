#!/bin/sh
# Reads the request body and answers it in capitals, with the method the
# watchdog passes in Http_Method.
printf '%s: ' "${Http_Method:-?}"
tr a-z A-Z
