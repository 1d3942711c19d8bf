#!/usr/bin/env bash
# Installs the Debian packages reminder-dialer needs, only those that are missing.
# sip-tester/baresip-core: real SIP peers for tests; espeak-ng: offline TTS; ffmpeg: MP3 decoding;
# festival/flite: English evaluation voices the product does not use; sox: audio inspection;
# postgresql: the multi-host ledger backend (tests); chromium: console browser tests.
set -euo pipefail
want=(sip-tester baresip-core espeak-ng festival festvox-kallpc16k festvox-us-slt-hts flite ffmpeg sox libsndfile1 postgresql chromium chromium-driver)
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
