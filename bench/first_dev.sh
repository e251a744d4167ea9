#!/bin/bash
# usage: bench/first_dev.sh CLONE_DIR PORT LABEL
# The first `deno task dev` a newcomer runs: in a fresh clone, with an empty Deno cache and no
# node_modules; prints seconds to a ready /readyz, packages, MB and downloads.
# Needs deno on PATH. Measured 2026-12-05: 19.8 s, 133 packages, 105 MB before the runtime/test split; 4.4 s, 9 packages, 48 MB after.
cd "$1"; export DENO_DIR=/tmp/fd-denodir-$3; rm -rf $DENO_DIR node_modules /tmp/fd-data-$3
start=$(date +%s.%N)
PORT=$2 DATA_DIR=/tmp/fd-data-$3 deno task dev > /tmp/w/fd-$3.log 2>&1 &
pid=$!
for i in $(seq 1 1200); do s=$(curl -s -o /dev/null -w "%{http_code}" http://localhost:$2/readyz); [ "$s" = "200" ] && break; sleep 0.25; done
end=$(date +%s.%N)
listening=$(grep -n "listening" /tmp/w/fd-$3.log | head -1)
echo "$3: ready after $(echo "$end - $start" | bc) s; packages $(ls node_modules/.deno | grep -v '^\.' | wc -l); node_modules $(du -sh node_modules | cut -f1); DENO_DIR $(du -sh $DENO_DIR | cut -f1); downloads $(grep -c Download /tmp/w/fd-$3.log)"
pkill -P $pid; kill $pid 2>/dev/null; sleep 1; pkill -f "deno run --allow-net --allow-env --allow-read --allow-write --allow-sys main.ts" 
