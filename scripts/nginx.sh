#!/usr/bin/env bash
# nginx from Debian as the load balancer in front of two liuhen-server instances
# (issue 18 item 4).
#
#   bash scripts/nginx.sh start PORT1 PORT2   prints the address, e.g. http://127.0.0.1:41234
#   bash scripts/nginx.sh stop
#
# Everything nginx writes (pid, logs, temporary files) lives in $LIUHEN_NGINX_DIR (default
# target/nginx of this checkout), so it runs as any user and as root in CI, and several
# copies can run at once (the deployment tests give each its own directory).
# LIUHEN_NGINX_PORT picks the listening port (default: a free one).
#
# The configuration: round robin over the two instances; an instance that refuses a
# connection is skipped for a second (max_fails=1) and the request goes to the other
# one (a request is never sent twice once its body went out); request bodies are
# streamed to the instance as they arrive (proxy_request_buffering off: evidence
# uploads are not spooled to nginx's disk) with no size limit here (the server has
# its own, --max-upload-mib), and answers are streamed back unbuffered. The client's
# address goes on in X-Forwarded-For; start the servers with
# `--trusted-proxy 127.0.0.1` (server/src/client_addr.rs) so that they believe it.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR="${LIUHEN_NGINX_DIR:-$PWD/target/nginx}"

die() {
    echo "nginx.sh: $*" >&2
    exit 1
}

nginx_bin() {
    local bin
    bin="$(command -v nginx || true)"
    [[ -n "$bin" ]] || { [[ -x /usr/sbin/nginx ]] && bin=/usr/sbin/nginx; }
    if [[ -z "$bin" ]]; then
        if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
            echo "nginx.sh: installing nginx (apt)" >&2
            # scripts/system-packages.sh may hold the apt lock at the same time.
            apt-get -o DPkg::Lock::Timeout=300 update -qq >&2 || true
            DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
                install -y -qq nginx >&2 || die "apt-get install nginx failed"
            bin=/usr/sbin/nginx
        else
            die "nginx is missing: install Debian's nginx (bash scripts/system-packages.sh)"
        fi
    fi
    echo "$bin"
}

free_port() {
    local port
    for _ in $(seq 1 200); do
        port=$((20000 + RANDOM % 40000))
        if ! ss -Htln "sport = :$port" 2>/dev/null | grep -q .; then
            echo "$port"
            return 0
        fi
    done
    die "no free port found"
}

# nginx.conf for listening port $1, instances on ports $2 and $3, user line $4.
write_config() {
    local port_="$1" p1_="$2" p2_="$3" user_line_="$4"
    cat >"$DIR/nginx.conf" <<EOF
# Written by scripts/nginx.sh: two liuhen-server instances behind one address.
$user_line_
worker_processes 1;
daemon on;
pid $DIR/nginx.pid;
error_log $DIR/error.log warn;
events { worker_connections 1024; }
http {
    # One line a request with the instance that answered it (the tests count them).
    log_format upstreams '\$remote_addr "\$request" \$status \$upstream_addr';
    access_log $DIR/access.log upstreams;
    client_body_temp_path $DIR/tmp/body;
    proxy_temp_path $DIR/tmp/proxy;
    fastcgi_temp_path $DIR/tmp/fastcgi;
    uwsgi_temp_path $DIR/tmp/uwsgi;
    scgi_temp_path $DIR/tmp/scgi;

    upstream liuhen {
        server 127.0.0.1:$p1_ max_fails=1 fail_timeout=1s;
        server 127.0.0.1:$p2_ max_fails=1 fail_timeout=1s;
    }
    server {
        listen 127.0.0.1:$port_;
        # Uploads stream through; the server enforces its own limit.
        client_max_body_size 0;
        proxy_request_buffering off;
        proxy_buffering off;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host \$http_host;
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto \$scheme;
        proxy_connect_timeout 2s;
        proxy_read_timeout 300s;
        proxy_send_timeout 300s;
        proxy_next_upstream error timeout;
        proxy_next_upstream_tries 2;
        location / {
            proxy_pass http://liuhen;
        }
    }
}
EOF
}

start() {
    local p1="${1:-}" p2="${2:-}"
    [[ "$p1" =~ ^[0-9]+$ && "$p2" =~ ^[0-9]+$ ]] || die "usage: nginx.sh start PORT1 PORT2"
    local bin
    bin="$(nginx_bin)"
    stop_quiet
    mkdir -p "$DIR/tmp"
    local user_line=""
    if [[ "$(id -u)" == 0 ]]; then
        # Workers drop to nobody; they write only the temporary directory.
        user_line="user nobody nogroup;"
        chown nobody:nogroup "$DIR/tmp"
    fi
    # A random free port can be taken by someone else before nginx binds it: retry.
    local port attempt
    for attempt in 1 2 3 4 5; do
        port="${LIUHEN_NGINX_PORT:-$(free_port)}"
        write_config "$port" "$p1" "$p2" "$user_line"
        "$bin" -p "$DIR" -e "$DIR/error.log" -c "$DIR/nginx.conf" -t -q ||
            die "nginx rejected $DIR/nginx.conf"
        if "$bin" -p "$DIR" -e "$DIR/error.log" -c "$DIR/nginx.conf" 2>"$DIR/start.err"; then
            break
        fi
        if [[ -n "${LIUHEN_NGINX_PORT:-}" || $attempt == 5 ]] ||
            ! grep -q "Address already in use" "$DIR/start.err"; then
            die "nginx did not start: $(cat "$DIR/start.err")"
        fi
    done
    for _ in $(seq 1 50); do
        if ss -Htln "sport = :$port" 2>/dev/null | grep -q .; then
            echo "http://127.0.0.1:$port"
            return 0
        fi
        sleep 0.1
    done
    die "nginx does not listen on 127.0.0.1:$port: $(tail -5 "$DIR/error.log" 2>/dev/null)"
}

stop_quiet() {
    [[ -f "$DIR/nginx.pid" ]] || return 0
    local pid
    pid="$(cat "$DIR/nginx.pid" 2>/dev/null || true)"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill -QUIT "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$DIR/nginx.pid"
}

case "${1:-}" in
start)
    shift
    start "$@"
    ;;
stop)
    stop_quiet
    ;;
*)
    die "usage: nginx.sh start PORT1 PORT2 | stop"
    ;;
esac
