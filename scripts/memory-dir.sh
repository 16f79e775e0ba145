#!/usr/bin/env bash
# Sourced by scripts/postgres.sh and scripts/test-all.sh: where the tests may keep
# files in memory (issue 17, session 14).

# Prints /dev/shm when it is a writable tmpfs with at least MIN_KIB KiB free and
# returns 0; prints nothing and returns 1 otherwise (the caller stays on disk).
memory_dir() { # MIN_KIB
    local free_kib
    free_kib="$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')"
    if [ -d /dev/shm ] && [ -w /dev/shm ] && [ "${free_kib:-0}" -ge "$1" ] \
        && [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
        echo /dev/shm
        return 0
    fi
    return 1
}
