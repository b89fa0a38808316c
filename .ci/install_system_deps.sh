#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, only when missing:
#   chromium + chromium-driver (/usr/bin/chromium) for the Playwright browser tests.
# Playwright's own browser download cannot work here; tests use /usr/bin/chromium.
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
command -v pg_isready >/dev/null || need+=(postgresql-client)

if [ ${#need[@]} -gt 0 ]; then
    echo "[.ci] apt-get install ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
/usr/bin/chromium --version 2>/dev/null || true
