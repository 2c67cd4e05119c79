#!/bin/sh
# Installs the other tools the tests drive: Debian's wget (tests/archives writes a WARC with
# `wget --warc-file` to import it). Idempotent: nothing to do when it is there. Without root it
# installs nothing and exits 0 (those tests then skip with their reason), so `make test` never
# fails on it.
set -eu

if command -v wget >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-tools: not root, wget not installed: the WARC import tests will be skipped"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# A mirror out of reach must not fail the suite either: say so, the tests skip.
if ! { apt-get update && apt-get install -y --no-install-recommends wget; }; then
    echo "install-test-tools: apt-get failed: the WARC import tests will be skipped" >&2
fi
exit 0
