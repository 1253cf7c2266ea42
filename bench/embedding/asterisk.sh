#!/usr/bin/env bash
# The Debian packages of recorded telephone prompts used as real non-trigger speech (licences in
# bench/embedding/sources/licences.json; each package's own copyright file is extracted beside it):
#   bash bench/embedding/asterisk.sh WORK
# WORK/asterisk/<package>/ (dpkg-deb -x), and WORK/asterisk-wav/<package>/ for the two packages that
# ship GSM only, converted to 16-bit 8 kHz WAV with sox. Needs apt-get download, dpkg-deb and sox.
set -euo pipefail
WORK=$(realpath -m "${1:-/tmp/rnn-wake-sources}")
PACKAGES="asterisk-core-sounds-es-wav asterisk-core-sounds-fr-wav asterisk-core-sounds-it-wav asterisk-core-sounds-ru-wav asterisk-prompt-es-co asterisk-prompt-fr-armelle asterisk-prompt-it-menardi-wav"
mkdir -p "$WORK/deb" "$WORK/asterisk"
(cd "$WORK/deb" && for p in $PACKAGES; do ls "$p"_*.deb > /dev/null 2>&1 || apt-get download "$p"; done)
for p in $PACKAGES; do [ -d "$WORK/asterisk/$p" ] || dpkg-deb -x "$WORK/deb/$p"_*.deb "$WORK/asterisk/$p"; done
for p in asterisk-prompt-es-co asterisk-prompt-fr-armelle; do
  [ -d "$WORK/asterisk-wav/$p" ] && continue
  (cd "$WORK/asterisk/$p" && find . -name '*.gsm' | while read -r f; do
    out="$WORK/asterisk-wav/$p/${f%.gsm}.wav"; mkdir -p "$(dirname "$out")"; sox "$f" -b 16 -r 8000 "$out"
  done)
done
echo "asterisk: $WORK/asterisk, $WORK/asterisk-wav"
