#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, only when missing:
#   chromium + chromium-driver (/usr/bin/chromium) for the Playwright browser tests.
#   npm for axe-core (tests/browser/package-lock.json), injected by the browser tests.
# Playwright's own browser download cannot work here; tests use /usr/bin/chromium.
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
command -v pg_isready >/dev/null || need+=(postgresql-client)
# npm installs axe-core for the browser tests' accessibility checks (make browser-deps).
command -v npm >/dev/null || need+=(npm)

if [ ${#need[@]} -gt 0 ]; then
    echo "[.ci] apt-get install ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
/usr/bin/chromium --version 2>/dev/null || true
