#!/usr/bin/env bash
# CI: make sure Debian's Chromium (/usr/bin/chromium) is installed, so the browser tests (Playwright + axe)
# run for real. Installs the `chromium` package when it is missing and we are root; otherwise says clearly
# why it cannot, and fails. Never `playwright install`: the browser comes from the distribution.
set -euo pipefail
log() { printf '%s\n' "$*" >&2; }
if [ -x /usr/bin/chromium ]; then
    log "Chromium vorhanden: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    log "Chromium fehlt und dieses Skript läuft nicht als root: bitte"
    log "  apt-get install -y --no-install-recommends chromium"
    log "ausführen lassen, sonst können die Browsertests nicht laufen."
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    log "Chromium fehlt und apt-get ist nicht vorhanden: bitte Chromium unter /usr/bin/chromium installieren."
    exit 1
fi
log "Chromium fehlt – wird installiert (chromium)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends chromium >&2
if [ ! -x /usr/bin/chromium ]; then
    log "Chromium wurde installiert, aber /usr/bin/chromium fehlt."
    exit 1
fi
log "Chromium installiert: $(/usr/bin/chromium --version 2>/dev/null)"
