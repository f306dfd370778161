#!/usr/bin/env bash
# Runs a command under a memory cap, to measure what it needs and whether it
# survives a given amount of memory.
#
# usage: benches/capped.sh LIMIT_MB CMD [ARGS...]
#
#   LIMIT_MB  the cap in MiB (2^20 bytes), for memory and, when the kernel
#             accounts swap (memory.memsw.limit_in_bytes exists), for memory
#             plus swap, so that the command cannot escape into swap.
#
# Needs root and the cgroup v1 memory controller at /sys/fs/cgroup/memory.
# Creates the group heapscope-capped-<pid of this script>, moves a subshell
# into it and execs CMD there (so CMD and its children are capped, and this
# script is not), waits for CMD, then prints to stderr
#
#   capped: limit <L> MB, peak <P> MB, exit <code>, oom-killed <yes|no>
#
# where P is memory.max_usage_in_bytes (in MiB) and oom-killed comes from the
# oom_kill counter of memory.oom_control (or, on kernels without it, from
# memory.failcnt > 0 together with a death by SIGKILL). The group is removed
# and the script exits with CMD's exit code (128 + N when a signal N killed it).
#
# The usage of a cgroup v1 memory group includes the page cache its processes
# bring in (pages of a file read or mmapped by CMD, unless they were already
# cached and charged to another group), and such pages are reclaimed rather than
# being the cause of an OOM kill: to compare peaks between runs, drop or warm
# the cache the same way (`sync; echo 1 > /proc/sys/vm/drop_caches` before each
# run charges the whole file read to the run).
#
# Example: benches/capped.sh 200 python3 -c 'x = bytearray(400 << 20)'
#          (is OOM-killed: exit 137, oom-killed yes; with 600 it passes).
set -uo pipefail

usage() {
    echo "usage: $0 LIMIT_MB CMD [ARGS...]" >&2
    exit 2
}

[[ $# -ge 2 && $1 =~ ^[1-9][0-9]*$ ]] || usage
limit_mb=$1
shift

root=/sys/fs/cgroup/memory
if [[ $(id -u) -ne 0 ]]; then
    echo "error: $0 needs root (it creates a cgroup under $root)" >&2
    exit 1
fi
if [[ ! -w $root/cgroup.procs || ! -e $root/memory.limit_in_bytes ]]; then
    echo "error: no cgroup v1 memory controller at $root" >&2
    exit 1
fi

group=$root/heapscope-capped-$$
limit=$(( limit_mb << 20 ))
child=

# Kills what is left in the group (only processes CMD started), then removes it.
remove_group() {
    [[ -d $group ]] || return 0
    local pid
    for _ in $(seq 50); do
        rmdir "$group" 2>/dev/null && return 0
        while read -r pid; do
            [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
        done <"$group/cgroup.procs"
        sleep 0.1
    done
    echo "warning: could not remove $group" >&2
}
on_signal() {
    [[ -n $child ]] && kill "-$1" "$child" 2>/dev/null
    wait "$child" 2>/dev/null
    remove_group
    exit $(( 128 + $2 ))
}
trap 'on_signal TERM 15' TERM
trap 'on_signal INT 2' INT
trap 'on_signal HUP 1' HUP

if ! mkdir "$group"; then
    echo "error: cannot create $group" >&2
    exit 1
fi
# The memory limit first: memory+swap may never be below it.
if ! echo "$limit" >"$group/memory.limit_in_bytes"; then
    echo "error: cannot set $group/memory.limit_in_bytes to $limit" >&2
    remove_group
    exit 1
fi
if [[ -e $group/memory.memsw.limit_in_bytes ]]; then
    if ! echo "$limit" >"$group/memory.memsw.limit_in_bytes"; then
        echo "error: cannot set $group/memory.memsw.limit_in_bytes to $limit" >&2
        remove_group
        exit 1
    fi
fi

# A subshell joins the group, then becomes CMD.
(
    echo "$BASHPID" >"$group/cgroup.procs" || { echo "error: cannot join $group" >&2; exit 126; }
    trap - TERM INT HUP
    exec "$@"
) &
child=$!
wait "$child" 2>/dev/null # (no "Killed" job notice from bash: the summary says it)
code=$?
child=

peak=$(cat "$group/memory.max_usage_in_bytes")
oom_kills=$(awk '$1 == "oom_kill" { print $2 }' "$group/memory.oom_control")
if [[ -n $oom_kills ]]; then
    [[ $oom_kills -gt 0 ]] && oom=yes || oom=no
else
    failcnt=$(cat "$group/memory.failcnt")
    [[ $failcnt -gt 0 && $code -eq 137 ]] && oom=yes || oom=no
fi
remove_group

awk -v l="$limit_mb" -v p="$peak" -v c="$code" -v o="$oom" \
    'BEGIN { printf "capped: limit %d MB, peak %.1f MB, exit %d, oom-killed %s\n", l, p / 1048576, c, o }' >&2
exit "$code"
