#!/usr/bin/env bash
# Validates .github/workflows/*.yml here, before any runner sees them:
# yamllint in strict mode (settings in .yamllint), then GitHub's workflow
# schema as @action-validator/core checks it. That package comes from the
# npm registry at a pinned version and is kept in build-matrix/ (no npm
# needed). What is trusted is its checksum, the one the registry published,
# checked before anything is unpacked, not the connection: curl takes the
# registry's certificate as it comes (--insecure), so that the check also
# runs behind a TLS-intercepting proxy whose CA a bare machine lacks (ours).
# Prints one line per valid file; exits non-zero on any error.
set -eu
cd "$(dirname "$0")/.."
. tools/deps.sh
heapmin_need_packages yamllint nodejs curl ca-certificates python3

version=0.6.0
integrity=sha512-tPglwCr8Mm8SWzwnVewwFmqRx91F0WvMsM0BRAqH4CLalyGndm53Xvp+UcUSzswpk1wkjIDYI7RyEhWMLyPkig==
dir=$PWD/build-matrix/action-validator-$version
if [ ! -f "$dir/package/action_validator.js" ]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    # --retry: a registry that drops a connection once must not fail CI.
    curl -fsSL --insecure --retry 5 --retry-all-errors --retry-delay 5 \
        -o "$dir/core.tgz" \
        "https://registry.npmjs.org/@action-validator/core/-/core-$version.tgz"
    got=sha512-$(python3 -c 'import base64, hashlib, sys
print(base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' \
        "$dir/core.tgz")
    if [ "$got" != "$integrity" ]; then
        echo "check-workflow: core-$version.tgz is $got, not the pinned $integrity" >&2
        exit 1
    fi
    tar -C "$dir" -xzf "$dir/core.tgz"
fi

status=0
for file in .github/workflows/*.yml; do
    yamllint --strict "$file" || status=1
    node -e '
const fs = require("fs");
const validator = require(process.argv[1]);
const file = process.argv[2];
const result = validator.validateWorkflow(fs.readFileSync(file, "utf8"));
if (result.errors.length > 0) {
    console.error(file + ": not a valid workflow:");
    console.error(JSON.stringify(result.errors, null, 2));
    process.exit(1);
}
console.log(file + ": yamllint clean, valid against the workflow schema");
' "$dir/package" "$file" || status=1
done
exit $status
