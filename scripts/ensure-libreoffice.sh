#!/usr/bin/env bash
# CI: make sure LibreOffice (soffice) is installed, so the PDF derivatives of generated documents are tested
# for real. Installs the headless Writer package when soffice is missing and we are root; otherwise says
# clearly why it cannot, and fails.
set -euo pipefail
log() { printf '%s\n' "$*" >&2; }
if command -v soffice >/dev/null 2>&1; then
    log "LibreOffice vorhanden: $(command -v soffice)"
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    log "LibreOffice (soffice) fehlt und dieses Skript läuft nicht als root: bitte"
    log "  apt-get install -y --no-install-recommends libreoffice-writer-nogui"
    log "ausführen lassen, sonst können keine PDFs erzeugt und getestet werden."
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    log "LibreOffice (soffice) fehlt und apt-get ist nicht vorhanden: bitte LibreOffice Writer installieren."
    exit 1
fi
log "LibreOffice fehlt – wird installiert (libreoffice-writer-nogui)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends libreoffice-writer-nogui >&2
if ! command -v soffice >/dev/null 2>&1; then
    log "LibreOffice wurde installiert, aber soffice ist nicht im PATH."
    exit 1
fi
log "LibreOffice installiert: $(command -v soffice)"
