#!/bin/sh
# Installs what the engine benchmark's yardsticks need beyond the venv: Debian's python3-xapian
# (Xapian, the engine of Recoll, with its French Snowball stemmer; bench/yardsticks.py loads its
# directory into our Python). Idempotent: nothing to do when it is there. Without root, or when
# apt-get fails, it installs nothing and exits 0: the bench then skips Xapian and says why.
# Optional argument: a Python (.venv/bin/python) to check that the module loads in it.
set -eu

if [ ! -f /usr/lib/python3/dist-packages/xapian/__init__.py ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-bench-tools: not root, python3-xapian not installed: the bench will skip Xapian (apt-get install python3-xapian as root to measure it)"
        exit 0
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update && apt-get install -y --no-install-recommends python3-xapian; }; then
        echo "install-bench-tools: apt-get failed: the bench will skip Xapian" >&2
        exit 0
    fi
fi
if [ $# -ge 1 ]; then
    "$1" -c 'from bench.yardsticks import load_xapian
xapian, why = load_xapian()
print("install-bench-tools:", f"Xapian {xapian.version_string()} loads" if xapian else why)'
fi
exit 0
