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
    apt-get update -qq &&
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
