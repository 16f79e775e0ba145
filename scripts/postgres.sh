#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests (issue 18).
#
#   eval "$(bash scripts/postgres.sh start)"   # sets LIUHEN_TEST_POSTGRES
#   bash scripts/postgres.sh stop              # stops it and deletes its data
#
# `start` finds initdb/pg_ctl (installs Debian's postgresql if absent), makes a
# cluster in a fresh directory in memory (/dev/shm when it has room, else /tmp; see
# pg_parent below), trust authentication on loopback only, a free TCP port on 127.0.0.1, superuser
# `postgres`, and prints one line for eval:
#   export LIUHEN_TEST_POSTGRES=postgres://postgres@127.0.0.1:<port>/postgres
# initdb refuses to run as root: as root the cluster runs as the system user
# `liuhen-pg` (created if missing). The data directory and port are kept in a state
# file (target/liuhen-postgres.state, or $LIUHEN_PG_STATE) for `stop`; a second
# `start` while that cluster runs prints its line again.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/memory-dir.sh

STATE="${LIUHEN_PG_STATE:-$PWD/target/liuhen-postgres.state}"
PG_USER=liuhen-pg

fail() {
    echo "postgres.sh: $*" >&2
    exit 1
}

find_bin() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return 0
        fi
    done
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return 0
    fi
    return 1
}

install_postgres() {
    command -v apt-get >/dev/null 2>&1 || fail "PostgreSQL (initdb, pg_ctl) is not installed and apt-get is not available"
    echo "postgres.sh: installing Debian's postgresql" >&2
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >&2; then
        apt-get update >&2 || fail "apt-get update failed"
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >&2 \
            || fail "apt-get install postgresql failed"
    fi
}

# Runs a command as the cluster's owner (liuhen-pg when we are root).
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u "$PG_USER" -- "$@"
    else
        "$@"
    fi
}

# Where the cluster's directory is made: $LIUHEN_PG_PARENT if set, else /dev/shm when
# it is a writable tmpfs with at least 1 GiB free, else ${TMPDIR:-/tmp}. On ext4 the
# tests' ~100 databases (CREATE DATABASE from a template, then DROP: ~300 files each)
# made PostgreSQL spend ~40% of its CPU in the kernel's inode allocator scanning
# recently deleted inodes, ~8 CPU-s of a warm run (perf, issue 17, session 14). What the
# tests check is unchanged: each answer is from a committed transaction of a real
# server; a killed process (the only crash the tests make) loses nothing in memory
# that it would not lose on a disk, and fsync stays on.
pg_parent() {
    if [ -n "${LIUHEN_PG_PARENT:-}" ]; then
        echo "$LIUHEN_PG_PARENT"
        return
    fi
    memory_dir 1048576 || echo "${TMPDIR:-/tmp}"
}

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
    if [ -f "$STATE" ]; then
        read -r old_dir old_port bin < "$STATE" || true
        if [ -n "${old_dir:-}" ] && [ -d "$old_dir" ] && as_owner "$bin/pg_ctl" -D "$old_dir" status >/dev/null 2>&1; then
            echo "export LIUHEN_TEST_POSTGRES=postgres://postgres@127.0.0.1:$old_port/postgres"
            return 0
        fi
        rm -f "$STATE"
    fi
    local bin
    bin="$(find_bin)" || { install_postgres; bin="$(find_bin)" || fail "initdb/pg_ctl not found after installing postgresql"; }
    if [ "$(id -u)" = 0 ] && ! id -u "$PG_USER" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER" \
            || fail "cannot create the system user $PG_USER"
    fi
    local dir
    dir="$(mktemp -d "$(pg_parent)/liuhen-pg.XXXXXX")"
    [ "$(id -u)" = 0 ] && chown "$PG_USER" "$dir"
    chmod 700 "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=trust \
        -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; fail "initdb failed (log above)"; }
    local port tries=0
    while :; do
        tries=$((tries + 1))
        [ "$tries" -le 50 ] || { rm -rf "$dir"; fail "no free port found for the cluster"; }
        port=$(( (RANDOM * 32768 + RANDOM) % 30000 + 20000 ))
        port_free "$port" || continue
        cat >> "$dir/data/postgresql.conf" <<CONF
# liuhen test cluster (scripts/postgres.sh)
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
fsync = on
synchronous_commit = on
full_page_writes = on
# A throwaway cluster of short-lived databases (one per test): autovacuum would only
# visit each of them every minute for nothing (issue 17).
autovacuum = off
CONF
        if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >&2; then
            break
        fi
        [ "$tries" -ge 5 ] && { cat "$dir/server.log" >&2 || true; rm -rf "$dir"; fail "the cluster did not start (log above)"; }
    done
    mkdir -p "$(dirname "$STATE")"
    echo "$dir/data $port $bin" > "$STATE"
    echo "postgres.sh: cluster on 127.0.0.1:$port, data in $dir/data" >&2
    echo "export LIUHEN_TEST_POSTGRES=postgres://postgres@127.0.0.1:$port/postgres"
}

stop() {
    [ -f "$STATE" ] || { echo "postgres.sh: no cluster to stop ($STATE absent)" >&2; return 0; }
    local dir port bin
    read -r dir port bin < "$STATE"
    if [ -d "$dir" ]; then
        # Immediate: the cluster is thrown away, so its shutdown checkpoint (flushing
        # every test database with fsync, a minute on a busy machine) is wasted time.
        as_owner "$bin/pg_ctl" -D "$dir" -m immediate -w stop >&2 || echo "postgres.sh: pg_ctl stop failed" >&2
        rm -rf "$(dirname "$dir")"
    fi
    rm -f "$STATE"
    echo "postgres.sh: stopped the cluster on port $port" >&2
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) fail "usage: bash scripts/postgres.sh start|stop" ;;
esac
