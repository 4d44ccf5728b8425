#!/usr/bin/env bash
# Makes the OCSP and CRL fixtures of crates/firma (tests/fixtures/revocation/) with the openssl
# command: the PKI of scripts/revocation-pki.sh (URLs that point nowhere), then OCSP responses
# made by `openssl ocsp` from request files, no server involved. Responses are valid from when
# they are made for 100 years (`-ndays 36500`); the tests judge them in 2030.
#
#   scripts/revocation-fixtures.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/crates/firma/tests/fixtures/revocation"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$root/scripts/revocation-pki.sh" "$work" http://127.0.0.1:9/ocsp http://127.0.0.1:9 http://127.0.0.1:9
cd "$work"
export OPENSSL_CONF=/dev/null

# A certificate the CA's database does not know (the responder answers "unknown"), and a
# responder that the issuing CA never authorised.
openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out stranger.key
openssl req -new -key stranger.key -subj "/C=IT/CN=STRANGER" -config ca.cnf -out stranger.csr
openssl x509 -req -in stranger.csr -CA inter.pem -CAkey inter.key -set_serial 0x7777 \
  -days 3650 -out stranger.pem 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout rogue.key \
  -subj "/C=IT/CN=Rogue OCSP Responder" -addext extendedKeyUsage=OCSPSigning -days 3650 \
  -out rogue.pem -config ca.cnf 2>/dev/null

# respond NAME CERT SIGNER [request options]
respond() {
  local name=$1 cert=$2 signer=$3
  shift 3
  openssl ocsp -issuer inter.pem -cert "$cert.pem" -reqout "req_$name.der" "$@"
  openssl ocsp -index inter-index.txt -CA inter.pem -rsigner "$signer.pem" -rkey "$signer.key" \
    -reqin "req_$name.der" -respout "ocsp_$name.der" -ndays 36500 2>/dev/null
}
respond good good responder -no_nonce
respond revoked revoked responder -no_nonce
respond by_issuer good inter -no_nonce
respond unknown stranger responder -no_nonce
respond rogue good rogue -no_nonce
respond nonce good responder -nonce

mkdir -p "$out"
rm -f "$out"/*
for c in root inter responder good revoked crl_only crl_revoked stranger; do
  openssl x509 -in "$c.pem" -outform DER -out "$out/$c.der"
done
cp inter.crl root.crl req_nonce.der req_good.der ocsp_good.der ocsp_revoked.der ocsp_by_issuer.der \
  ocsp_unknown.der ocsp_rogue.der ocsp_nonce.der "$out/"
echo "revocation fixtures written to $out"
