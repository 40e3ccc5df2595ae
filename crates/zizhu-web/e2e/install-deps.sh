#!/bin/sh
# Installs what the zizhu-web browser tests need on Debian 12 (bookworm):
# Chromium (driven over the DevTools protocol by chromiumoxide), its
# chromedriver (for anyone driving it with WebDriver instead), and a Chinese
# font so that pages and screenshots show characters rather than boxes.
#
# Run as root (CI containers) or with sudo. Then:
#   ZIZHU_E2E=1 cargo test -p zizhu-web --features e2e --test e2e
set -eu

if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends \
    chromium \
    chromium-driver \
    fonts-wqy-zenhei \
    ca-certificates

chromium --version
