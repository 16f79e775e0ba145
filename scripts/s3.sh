#!/usr/bin/env bash
# A real S3-compatible server for the tests (issue 18 item 3): Garage, single node.
#
#   bash scripts/s3.sh install   build Garage once (cargo install, reused when present)
#   eval "$(bash scripts/s3.sh start)"   start it; prints `export` lines
#   bash scripts/s3.sh stop      stop it and remove its data
#
# Install cost (2-core machine, measured, see README "running at scale"): Garage is built
# from crates.io with the smallest feature set that serves S3 (sqlite metadata engine,
# Debian's libsodium/libzstd/libsqlite3 instead of bundled C builds, no metrics, no K2V)
# and a lean release profile (opt-level 0, no LTO, no debug info): 161 CPU-s against 602
# at opt-level 1 (issue 17); the tests' S3 traffic needs no optimised server, except in
# the hashes and checksums every byte of a request goes through (SHA-256 and CRC with
# their CPU intrinsics, BLAKE2 of each block): those small crates are built at
# opt-level 2 (HASH_CRATES), which cost no measurable build time and took Garage's CPU
# for the object-store and upload suites from 8.4-8.7 to 2.0 s (session 14).
# GARAGE_OPT_LEVEL overrides the level (the hash crates stay at 2 or above).
# The binary lives outside the work tree (LIUHEN_TOOLS, default $CARGO_HOME/liuhen-tools)
# so that a later clone on the same machine (CI) reuses it.
#
# State of a running server: $LIUHEN_S3_DIR (default target/s3 of this checkout):
# garage.toml, meta/, data/, garage.pid, garage.log, env (the export lines).
set -euo pipefail
cd "$(dirname "$0")/.."

GARAGE_VERSION=2.5.0
TOOLS="${LIUHEN_TOOLS:-${CARGO_HOME:-$HOME/.cargo}/liuhen-tools}"
GARAGE_OPT_LEVEL="${GARAGE_OPT_LEVEL:-0}"
# One binary per optimisation level (the scale benchmark wants an optimised server).
HASH_CRATES=(md-5 sha1 sha2 blake2 digest block-buffer hmac crc32fast crc32c crc-fast crc64fast-nvme xxhash-rust)
HASH_OPT_LEVEL=$((GARAGE_OPT_LEVEL > 2 ? GARAGE_OPT_LEVEL : 2))
# "-h2": the hash crates' level is part of the binary's name, so that a binary built
# before that choice is not reused.
GARAGE_ROOT="$TOOLS/garage-$GARAGE_VERSION-opt$GARAGE_OPT_LEVEL-h$HASH_OPT_LEVEL"
GARAGE="$GARAGE_ROOT/bin/garage"
S3_DIR="${LIUHEN_S3_DIR:-$PWD/target/s3}"
BUCKET="${LIUHEN_S3_BUCKET:-liuhen-test}"

die() {
    echo "s3.sh: $*" >&2
    # A server that did not come up completely is not left running.
    if [[ -n "${STARTING:-}" ]]; then
        stop_garage
    fi
    exit 1
}

# The Debian packages the build links against (system-libs feature).
system_packages() {
    local missing=()
    for pkg in pkg-config libsodium-dev libzstd-dev libsqlite3-dev; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if ((${#missing[@]})); then
        echo "s3.sh: installing ${missing[*]} (apt)" >&2
        # scripts/system-packages.sh may hold the apt lock at the same time: wait for it.
        local tries=0
        until apt-get -o DPkg::Lock::Timeout=120 update -qq >&2 &&
            DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 \
                install -y -qq "${missing[@]}" >&2; do
            tries=$((tries + 1))
            ((tries < 10)) || die "apt-get install ${missing[*]} failed"
            sleep 5
        done
    fi
}

install_garage() {
    if [[ -x "$GARAGE" ]]; then
        echo "s3.sh: Garage $GARAGE_VERSION present at $GARAGE" >&2
        return 0
    fi
    system_packages
    command -v cargo >/dev/null || die "cargo not found: Garage is built with cargo install"
    echo "s3.sh: building Garage $GARAGE_VERSION into $GARAGE_ROOT (once per machine)" >&2
    mkdir -p "$TOOLS"
    # A build directory of its own, removed afterwards (disk).
    local hash_opts=() c
    for c in "${HASH_CRATES[@]}"; do
        hash_opts+=(--config "profile.release.package.$c.opt-level=$HASH_OPT_LEVEL")
    done
    local build_dir
    build_dir="$(mktemp -d "${TMPDIR:-/tmp}/garage-build.XXXXXX")"
    # Not through test-all.sh's clippy wrapper: Garage is not ours to lint.
    env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS \
        SODIUM_USE_PKG_CONFIG=1 CARGO_INCREMENTAL=0 cargo install garage \
        --version "=$GARAGE_VERSION" --locked \
        --no-default-features --features sqlite,system-libs \
        --config "profile.release.opt-level=$GARAGE_OPT_LEVEL" \
        "${hash_opts[@]}" \
        --config 'profile.release.lto=false' \
        --config 'profile.release.codegen-units=16' \
        --config 'profile.release.debug=false' \
        --config 'profile.release.strip=true' \
        --target-dir "$build_dir" \
        --root "$GARAGE_ROOT" >&2 || {
        rm -rf "$build_dir"
        die "cargo install garage failed"
    }
    rm -rf "$build_dir"
    [[ -x "$GARAGE" ]] || die "cargo install garage left no binary at $GARAGE"
}


# A free TCP port on 127.0.0.1 (random, checked against the listening sockets).
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

garage_cmd() {
    "$GARAGE" -c "$S3_DIR/garage.toml" "$@"
}

start_garage() {
    [[ -x "$GARAGE" ]] || die "Garage is not installed at $GARAGE: run 'bash scripts/s3.sh install' first"
    if [[ -f "$S3_DIR/garage.pid" ]] && kill -0 "$(cat "$S3_DIR/garage.pid")" 2>/dev/null; then
        # Already running (e.g. started by test-all.sh): print its settings again.
        cat "$S3_DIR/env"
        return 0
    fi
    rm -rf "$S3_DIR"
    mkdir -p "$S3_DIR/meta" "$S3_DIR/data"
    STARTING=1
    local s3_port rpc_port admin_port
    s3_port="$(free_port)"
    rpc_port="$(free_port)"
    admin_port="$(free_port)"
    cat >"$S3_DIR/garage.toml" <<EOF
# Single-node Garage for liuhen's tests (scripts/s3.sh); throwaway data.
metadata_dir = "$S3_DIR/meta"
data_dir = "$S3_DIR/data"
db_engine = "sqlite"
metadata_fsync = false
data_fsync = false
replication_factor = 1
rpc_bind_addr = "127.0.0.1:$rpc_port"
rpc_public_addr = "127.0.0.1:$rpc_port"
rpc_secret = "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$s3_port"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:$admin_port"
admin_token = "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
EOF
    RUST_LOG="${GARAGE_LOG:-garage=warn}" setsid "$GARAGE" -c "$S3_DIR/garage.toml" server \
        >"$S3_DIR/garage.log" 2>&1 </dev/null &
    echo $! >"$S3_DIR/garage.pid"
    # Wait for the node to answer on RPC.
    local node="" up=""
    for _ in $(seq 1 100); do
        if garage_cmd status >/dev/null 2>&1; then
            up=1
            node="$(garage_cmd node id -q 2>/dev/null)" || node=""
            break
        fi
        kill -0 "$(cat "$S3_DIR/garage.pid")" 2>/dev/null ||
            die "Garage exited at start-up: $(tail -5 "$S3_DIR/garage.log")"
        sleep 0.2
    done
    [[ -n "$up" ]] || die "Garage did not answer within 20 s: $(tail -5 "$S3_DIR/garage.log")"
    [[ -n "$node" ]] || die "Garage did not tell its node id"
    node="${node%%@*}"
    garage_cmd layout assign -z dc1 -c 1G "$node" >/dev/null
    garage_cmd layout apply --version 1 >/dev/null
    garage_cmd bucket create "$BUCKET" >/dev/null
    local key_out key_id secret
    key_out="$(garage_cmd key create liuhen-test-key)"
    key_id="$(sed -n 's/^Key ID:[[:space:]]*//p' <<<"$key_out" | head -1)"
    secret="$(sed -n 's/^Secret key:[[:space:]]*//p' <<<"$key_out" | head -1)"
    [[ -n "$key_id" && -n "$secret" ]] || die "could not read the key Garage created: $key_out"
    garage_cmd bucket allow --read --write --owner "$BUCKET" --key liuhen-test-key >/dev/null
    local endpoint="http://127.0.0.1:$s3_port"
    cat >"$S3_DIR/env" <<EOF
export AWS_ENDPOINT=$endpoint
export AWS_ENDPOINT_URL=$endpoint
export AWS_ACCESS_KEY_ID=$key_id
export AWS_SECRET_ACCESS_KEY=$secret
export AWS_REGION=garage
export AWS_DEFAULT_REGION=garage
export AWS_ALLOW_HTTP=true
export LIUHEN_TEST_S3=s3://$BUCKET/test
EOF
    # The bucket answers signed requests before the caller goes on.
    # shellcheck disable=SC1091
    (source "$S3_DIR/env" && wait_ready) || die "the new bucket does not answer"
    STARTING=
    cat "$S3_DIR/env"
}

# A signed request with curl's SigV4 (no SDK needed): method, key, curl arguments.
s3_curl() {
    local method="$1" key="$2"
    shift 2
    curl -sS --fail-with-body -X "$method" \
        --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
        --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
        -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
        "$AWS_ENDPOINT/$BUCKET/$key" "$@"
}

wait_ready() {
    for _ in $(seq 1 50); do
        if s3_curl GET "" -o /dev/null 2>/dev/null; then
            return 0
        fi
        sleep 0.2
    done
    die "the bucket $BUCKET does not answer at $AWS_ENDPOINT"
}

# Puts an object, reads it back, compares, deletes it; then the same in a multipart
# upload of two parts (how the server streams evidence into the store).
smoke() {
    [[ -f "$S3_DIR/env" ]] || die "no S3 server running (bash scripts/s3.sh start)"
    # shellcheck disable=SC1091
    source "$S3_DIR/env"
    local tmp key
    tmp="$(mktemp -d)"
    key="smoke/$(date +%s)-$RANDOM"
    head -c 3000000 /dev/urandom >"$tmp/put"
    s3_curl PUT "$key" --data-binary @"$tmp/put" -o /dev/null
    s3_curl GET "$key" -o "$tmp/got"
    cmp -s "$tmp/put" "$tmp/got" || die "smoke: the object read back differs"
    s3_curl DELETE "$key" -o /dev/null

    # Multipart: 5 MiB (the smallest part S3 allows but the last) and 1 MB.
    head -c 5242880 /dev/urandom >"$tmp/p1"
    head -c 1000000 /dev/urandom >"$tmp/p2"
    local upload id e1 e2
    # "uploads=" (with '='): curl signs the query as written.
    upload="$(s3_curl POST "$key?uploads=")"
    id="$(sed -n 's:.*<UploadId>\(.*\)</UploadId>.*:\1:p' <<<"$upload")"
    [[ -n "$id" ]] || die "smoke: no multipart upload id in: $upload"
    e1="$(s3_curl PUT "$key?partNumber=1&uploadId=$id" --data-binary @"$tmp/p1" -D - -o /dev/null |
        tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')"
    e2="$(s3_curl PUT "$key?partNumber=2&uploadId=$id" --data-binary @"$tmp/p2" -D - -o /dev/null |
        tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')"
    s3_curl POST "$key?uploadId=$id" -o /dev/null --data-binary \
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>$e1</ETag></Part><Part><PartNumber>2</PartNumber><ETag>$e2</ETag></Part></CompleteMultipartUpload>"
    s3_curl GET "$key" -o "$tmp/got"
    cat "$tmp/p1" "$tmp/p2" | cmp -s - "$tmp/got" || die "smoke: the multipart object read back differs"
    s3_curl DELETE "$key" -o /dev/null
    rm -rf "$tmp"
    echo "s3.sh: put and read back a 3 MB object and a 6 MB two-part upload at $AWS_ENDPOINT/$BUCKET" >&2
}

stop_garage() {
    if [[ -f "$S3_DIR/garage.pid" ]]; then
        local pid
        pid="$(cat "$S3_DIR/garage.pid")"
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    rm -rf "$S3_DIR"
}

case "${1:-}" in
install)
    install_garage
    ;;
start)
    install_garage
    start_garage
    ;;
smoke)
    smoke
    ;;
stop)
    stop_garage
    ;;
*)
    die "usage: s3.sh install|start|smoke|stop"
    ;;
esac
