#!/bin/bash
# usage: loadtests/brotli_quick.sh label  — server CPU per request for GET /big with Accept-Encoding: br
# (bolt --cores 1 on cpu0, wrk -c8 on cpu1, 8 s); the README quotes it for the brotli hasher fix.
cd "$(dirname "$0")/../examples/demo"
taskset -c 0 ../../.venv/bin/bolt --cores 1 --port 8451 > /tmp/brb.log 2>&1 &
PID=$!
for i in $(seq 50); do grep -q "listening on" /tmp/brb.log && break; sleep 0.2; done
taskset -c 1 wrk -t1 -c8 -d2s -H 'Accept-Encoding: br' http://127.0.0.1:8451/big >/dev/null
read u s < <(awk '{print $14, $15}' /proc/$PID/stat)
OUT=$(taskset -c 1 wrk -t1 -c8 -d8s -H 'Accept-Encoding: br' http://127.0.0.1:8451/big)
read u2 s2 < <(awk '{print $14, $15}' /proc/$PID/stat)
REQ=$(echo "$OUT" | grep "requests in" | awk '{print $1}')
SZ=$(curl -s -H 'Accept-Encoding: br' http://127.0.0.1:8451/big | wc -c)
python3 -c "print('$1', 'req', $REQ, 'cpu_us_per_req', round((($u2+$s2)-($u+$s))*10000/$REQ,1), 'bytes', $SZ)"
kill $PID; wait $PID 2>/dev/null
