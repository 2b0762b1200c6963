#!/usr/bin/env bash
# The portal's end-to-end tests (pytest + selenium, headless Chromium) against `certportal up --demo`.
# Needs `swift build` first, and the Debian packages python3-pytest python3-selenium chromium chromium-driver.
set -u
cd "$(dirname "$0")/../.."
# Debian's python has the selenium and pytest packages; a python earlier on PATH may not.
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3
exec "$PYTHON" -m pytest -q -p no:cacheprovider Tests/e2e "$@"
