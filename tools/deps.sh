# Sourced by tools/demo.sh and tests/matrix.sh: makes sure the Debian packages
# a step needs are installed. As root it installs what is missing with
# apt-get; otherwise it prints the exact apt-get line and fails.
#
# Usage: heapmin_need_packages PACKAGE...

heapmin_need_packages() {
    local missing=() pkg
    if ! command -v dpkg-query >/dev/null 2>&1; then
        echo "deps: not a Debian system; assuming these are installed: $*" >&2
        return 0
    fi
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' ||
            missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "deps: missing packages. Install them as root, then run this again:" >&2
        echo "  apt-get install -y --no-install-recommends ${missing[*]}" >&2
        return 1
    fi
    echo "deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    # The servers the tests run (nginx, redis, PostgreSQL, Apache) are
    # started by the tests on ports of their own: no service is started.
    local policy=/usr/sbin/policy-rc.d own_policy=0
    if [ ! -e $policy ]; then
        printf '#!/bin/sh\nexit 101\n' >$policy && chmod 755 $policy &&
            own_policy=1
    fi
    # A mirror being synced or a dropped connection fails one try; a few
    # more, a little apart, get past it. A real error fails them all.
    local try
    for try in 1 2 3 4 5; do
        if apt-get update -qq &&
            apt-get install -y -qq --no-install-recommends "${missing[@]}" \
                >/dev/null; then
            [ $own_policy -eq 0 ] || rm -f $policy
            return 0
        fi
        [ $try -lt 5 ] || break
        echo "deps: apt-get failed (try $try of 5); again in $((try * 10)) s" >&2
        sleep $((try * 10))
    done
    [ $own_policy -eq 0 ] || rm -f $policy
    echo "deps: apt-get failed 5 times; giving up (the messages above say why)" >&2
    return 1
}
