#!/usr/bin/env bash
# Produces a large, realistic HPROF heap dump for benchmarks.
#
# usage: benches/make-dump.sh SIZE_MB OUT.hprof [--grow MB OUT2.hprof] [extra JVM flags...]
#
#   SIZE_MB  target live heap in MiB (see benches/java/BigHeap.java). The HPROF
#            file is about 1.44 times larger: 1450 gives 2.19 GB and 43.6 M
#            objects (build 10 s, dump 32 s on 2 cores that a compiler also
#            used), 725 gives 1.10 GB and 21.8 M objects.
#   OUT      where to write the dump (overwritten); OUT.histo.txt receives
#            `jcmd GC.class_histogram`, taken right after the dump; its Total
#            line gives the number of objects.
#   --grow MB OUT2
#            then grow the leaking parts of the same JVM by MB MiB (60% more
#            cancelled timer tasks with finalizable statements, 40% more cache
#            maps) and dump it again to OUT2: a before/after pair for
#            `heapscope diff` (725 and --grow 72 give two 1.1 GB dumps).
#
# Steps: compile benches/java/BigHeap.java with javac into a temporary
# directory, run it with -Xms = -Xmx = 2.5 x SIZE_MB and the Parallel GC (the
# fastest collector for building a heap where everything survives; extra flags
# that choose another collector replace it), wait for its "READY <pid>" line,
# take a live dump (`jcmd <pid> GC.heap_dump`, which runs a full GC first),
# show what waits in the finalization queue (`GC.finalizer_info`), take the
# class histogram, then stop the JVM. Needs a JDK 17+ (java, javac, jcmd)
# on PATH or in JAVA_HOME. Runs one build JVM at a time.
set -euo pipefail

usage() {
    echo "usage: $0 SIZE_MB OUT.hprof [--grow MB OUT2.hprof] [extra JVM flags...]" >&2
    exit 2
}

[[ $# -ge 2 ]] || usage
size_mb=$1
out=$2
shift 2
grow_mb=
out2=
if [[ ${1:-} == --grow ]]; then
    [[ $# -ge 3 && $2 =~ ^[1-9][0-9]*$ ]] || usage
    grow_mb=$2
    out2=$3
    shift 3
fi
[[ $size_mb =~ ^[1-9][0-9]*$ ]] || usage

bin() { # the JDK tool $1, from JAVA_HOME if set
    if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/$1 ]]; then
        echo "$JAVA_HOME/bin/$1"
    else
        command -v "$1" || { echo "error: $1 not found (install a JDK 17+ or set JAVA_HOME)" >&2; exit 1; }
    fi
}
java=$(bin java)
javac=$(bin javac)
jcmd=$(bin jcmd)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_file=$here/java/BigHeap.java
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out") # jcmd needs an absolute path
if [[ -n $out2 ]]; then
    mkdir -p "$(dirname "$out2")"
    out2=$(cd "$(dirname "$out2")" && pwd)/$(basename "$out2")
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/make-dump.XXXXXX")
jvm_pid=
cleanup() {
    local status=$?
    if [[ -n $jvm_pid ]] && kill -0 "$jvm_pid" 2>/dev/null; then
        kill "$jvm_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$jvm_pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -9 "$jvm_pid" 2>/dev/null || true
        wait "$jvm_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
human() { awk -v n="$1" 'BEGIN { printf "%.2f GB (%.2f GiB, %.0f bytes)", n / 1e9, n / 2^30, n }'; }

# JVM flags: heap, collector (unless the extra flags choose one), extras last.
heap_mb=$(( size_mb * 5 / 2 ))
jvm_flags=(-Xms${heap_mb}m -Xmx${heap_mb}m)
use_parallel_gc=yes
for flag in "$@"; do
    if [[ $flag =~ ^-XX:\+Use[A-Za-z0-9]+GC$ ]]; then
        use_parallel_gc=no
    fi
done
if [[ $use_parallel_gc == yes ]]; then
    jvm_flags+=(-XX:+UseParallelGC)
fi
jvm_flags+=("$@")

echo "== compile $source_file"
t=$(now)
"$javac" -d "$work/classes" "$source_file"
echo "   compile: $(elapsed "$t")"

echo "== build a ${size_mb} MiB live heap: java ${jvm_flags[*]} BigHeap $size_mb"
t=$(now)
log=$work/bigheap.log
# Its stdin is a pipe kept open here, for the GROW command.
mkfifo "$work/in"
"$java" "${jvm_flags[@]}" -cp "$work/classes" BigHeap "$size_mb" <"$work/in" >"$log" 2>&1 &
jvm_pid=$!
exec 3>"$work/in"
timeout_s=$(( 300 + size_mb / 5 ))
# Waits until the log has $1 READY lines.
wait_ready() {
    while [[ $(grep -c '^READY ' "$log" || true) -lt $1 ]]; do
        if ! kill -0 "$jvm_pid" 2>/dev/null; then
            echo "error: the JVM exited before it was ready; its output:" >&2
            cat "$log" >&2
            jvm_pid=
            exit 1
        fi
        if awk -v a="$t" -v b="$(now)" -v m="$timeout_s" 'BEGIN { exit !(b - a > m) }'; then
            echo "error: the JVM was not ready after ${timeout_s} s; its output:" >&2
            cat "$log" >&2
            exit 1
        fi
        sleep 0.5
    done
}
wait_ready 1
ready_pid=$(sed -n 's/^READY \([0-9][0-9]*\)$/\1/p' "$log" | head -1)
sed 's/^/   | /' "$log"
if [[ $ready_pid != "$jvm_pid" ]]; then
    echo "error: READY names pid $ready_pid, but the JVM started is $jvm_pid" >&2
    exit 1
fi
echo "   build: $(elapsed "$t")"

# Dumps the JVM to $1, then shows its finalization queue and writes its
# class histogram to $1.histo.txt.
dump_to() {
    local file=$1
    echo "== dump: jcmd $jvm_pid GC.heap_dump $file"
    rm -f "$file"
    t=$(now)
    "$jcmd" "$jvm_pid" GC.heap_dump "$file" | sed 's/^/   | /'
    [[ -s $file ]] || { echo "error: no dump written to $file" >&2; exit 1; }
    echo "   dump: $(elapsed "$t")"

    echo "== finalization queue: jcmd $jvm_pid GC.finalizer_info"
    t=$(now)
    "$jcmd" "$jvm_pid" GC.finalizer_info | sed 's/^/   | /'
    echo "   finalizer info: $(elapsed "$t")"

    echo "== histogram: jcmd $jvm_pid GC.class_histogram > $file.histo.txt"
    t=$(now)
    "$jcmd" "$jvm_pid" GC.class_histogram >"$file.histo.txt"
    echo "   histogram: $(elapsed "$t")"
}
dump_to "$out"

if [[ -n $out2 ]]; then
    echo "== grow the leaking parts by $grow_mb MiB"
    t=$(now)
    lines=$(wc -l <"$log")
    echo "GROW $grow_mb" >&3
    wait_ready 2
    tail -n +"$((lines + 1))" "$log" | sed 's/^/   | /'
    echo "   grow: $(elapsed "$t")"
    dump_to "$out2"
fi

echo "== stop the JVM"
t=$(now)
kill "$jvm_pid"
wait "$jvm_pid" 2>/dev/null || true
jvm_pid=
echo "   stop: $(elapsed "$t")"

summarize() {
    local file=$1 histo=$1.histo.txt size total objects live_bytes
    size=$(stat -c %s "$file")
    total=$(awk '$1 == "Total" { print $2, $3 }' "$histo")
    read -r objects live_bytes <<<"${total:-0 0}"
    echo "   dump:      $file, $(human "$size")"
    echo "   histogram: $histo: $objects objects, $(human "$live_bytes") live"
    if [[ $objects -gt 0 ]]; then
        awk -v s="$size" -v n="$objects" -v l="$live_bytes" \
            'BEGIN { printf "   per object: %.1f dump bytes, %.1f heap bytes; dump/heap %.2f\n", s / n, l / n, s / l }'
    fi
}
echo "== done"
summarize "$out"
[[ -z $out2 ]] || summarize "$out2"
