#!/usr/bin/env bash
# Regenerates assets/demo.hprof.gz, heapscope's built-in demo dump, from
# TimerLeakDemo.java (see the comment at the top of that file).
#
# Usage: assets/demo/make-demo.sh          (from any directory)
# Uses javac/java/jcmd from PATH (JDK 17 on the build machine); set DEMO_JDK
# to a JDK home to use another one, e.g.
#   DEMO_JDK=/usr/lib/jvm/temurin-25-jdk-amd64 assets/demo/make-demo.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$(cd "$here/.." && pwd)/demo.hprof.gz"
bin="${DEMO_JDK:+$DEMO_JDK/bin/}"

tmp="$(mktemp -d)"
pid=""
cleanup() {
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

"${bin}javac" -nowarn -d "$tmp/classes" "$here/TimerLeakDemo.java"

"${bin}java" -Xmx64m -cp "$tmp/classes" TimerLeakDemo >"$tmp/demo.log" 2>&1 &
pid=$!

ready=""
for _ in $(seq 1 240); do
    ready="$(awk '/^READY [0-9]+$/ { print $2; exit }' "$tmp/demo.log")"
    [[ -n "$ready" ]] && break
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "make-demo: TimerLeakDemo exited early:" >&2
        cat "$tmp/demo.log" >&2
        exit 1
    fi
    sleep 0.25
done
if [[ -z "$ready" ]]; then
    echo "make-demo: no READY line after 60 s:" >&2
    cat "$tmp/demo.log" >&2
    exit 1
fi
cat "$tmp/demo.log"

# jcmd refuses to overwrite an existing file.
rm -f "$out"
# Live dump (a full GC first), gzip level 1, multi-member format.
"${bin}jcmd" "$ready" GC.heap_dump -gz=1 "$out"
if [[ ! -s "$out" ]]; then
    echo "make-demo: jcmd did not write $out" >&2
    exit 1
fi
chmod 644 "$out" # jcmd creates it 0600

echo "--- GC.class_histogram (selected classes)"
"${bin}jcmd" "$ready" GC.class_histogram \
    | grep -E 'num +#instances|TimerLeakDemo|(java\.lang\.ref\.Finalizer|java\.util\.(TimerTask|TaskQueue|TimerThread|Timer)|\[Ljava\.util\.TimerTask;)( \(.*\))?$' \
    || true

echo "--- wrote $out: $(stat -c %s "$out") bytes"
