#!/usr/bin/env bash
# Makes the FatturaPA fixtures of crates/sportello-core/tests/fixtures/fatturapa/ with a38 (an
# e-invoice library from PyPI, independent of Sportello), checks them against the official
# schema (scripts/fatturapa-schema) and signs one as a `.xml.p7m` with the test PKI (OpenSSL).
# Re-runnable; the XML is the same on every run, the signature is not.
#
#   scripts/fatturapa-fixtures.sh
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/crates/sportello-core/tests/fixtures/fatturapa"
PKI="$ROOT/crates/sportello-core/tests/fixtures/pki"
VENV="$ROOT/target/fatturapa-venv"
A38_VERSION=0.1.8

if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c "import a38" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "a38==$A38_VERSION"
fi
mkdir -p "$OUT"
"$VENV/bin/python" "$ROOT/scripts/fatturapa_fixtures.py" "$OUT"

schema="$("$ROOT/scripts/fatturapa-schema")"
XML_CATALOG_FILES="$(dirname "$schema")/catalog.xml" \
  xmllint --nonet --noout --schema "$schema" "$OUT"/*.xml

OPENSSL_CONF=/dev/null openssl cms -sign -binary -nodetach -cades -md sha256 -outform DER \
  -in "$OUT/fpr12-export.xml" -signer "$PKI/giulia.pem" -inkey "$PKI/giulia.key" \
  -certfile "$PKI/inter.pem" -out "$OUT/fpr12-export.xml.p7m"
echo "fixtures written to $OUT"
