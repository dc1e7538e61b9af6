#!/usr/bin/env bash
# Fetches the playground's third-party assets from the npm registry into this
# directory: pinned versions, each tarball checked against the integrity hash
# the registry published for it, the files we serve copied out byte for byte
# with their licences, and their SHA-256 recorded in assets.lock (a test
# checks the committed files against it). Run it only to change versions;
# building Kamkor never needs it, nor Node, nor a network.
set -euo pipefail
cd "$(dirname "$0")"

# package version integrity(sha512, from the registry) files to copy (path in the tarball:name here)
PACKAGES=(
  "graphiql 3.8.3 sha512-cuPDYtXVKV86Pu5PHBX642Odi/uVEE2y1Jxq5rGO/Qy1G2lRp7ZZ7a/T30RzxhuLSWo9zUbzq0P3U49//H0Ugw== graphiql.min.js:graphiql-3.8.3.min.js graphiql.min.css:graphiql-3.8.3.min.css LICENSE:LICENSE.graphiql"
  "react 18.3.1 sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ== umd/react.production.min.js:react-18.3.1.production.min.js LICENSE:LICENSE.react"
  "react-dom 18.3.1 sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw== umd/react-dom.production.min.js:react-dom-18.3.1.production.min.js LICENSE:LICENSE.react-dom"
  "graphql-ws 5.16.2 sha512-E1uccsZxt/96jH/OwmLPuXMACILs76pKF2i3W861LpKBCYtGIyPQGtWLuBLkND4ox1KHns70e83PS4te50nvPQ== umd/graphql-ws.min.js:graphql-ws-5.16.2.min.js LICENSE.md:LICENSE.graphql-ws"
)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
lock="# file sha256 package@version tarball-integrity (written by fetch.sh)"
for entry in "${PACKAGES[@]}"; do
  read -r name version integrity files <<<"$entry"
  tarball="$work/$name-$version.tgz"
  curl -sSfL "https://registry.npmjs.org/$name/-/$name-$version.tgz" -o "$tarball"
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [ "$actual" != "$integrity" ]; then
    echo "integrity mismatch for $name@$version: $actual" >&2
    exit 1
  fi
  mkdir -p "$work/$name"
  tar xzf "$tarball" -C "$work/$name"
  for pair in $files; do
    from="${pair%%:*}"
    to="${pair##*:}"
    cp "$work/$name/package/$from" "$to"
    lock+=$'\n'"$to $(sha256sum "$to" | cut -d' ' -f1) $name@$version $integrity"
  done
done
printf '%s\n' "$lock" > assets.lock
echo "assets.lock written"
