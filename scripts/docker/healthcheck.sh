#!/usr/bin/env bash
# Container health check for a LIME node: GET http://127.0.0.1:PORT/PATH (default 5080 /readyz), exit 0 on HTTP 200.
# Plain bash (/dev/tcp): the aspnet runtime image has no curl or wget. Used by the Dockerfile's HEALTHCHECK and
# docker-compose.yml; tested against a running server by tests/Lime.Tests/DeploymentTests.cs.
port="${1:-5080}"
path="${2:-/readyz}"
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$path" "$port" >&3
IFS= read -r -t 5 status <&3 || exit 1
case "$status" in
  "HTTP/1.1 200 "*) exit 0 ;;
  *) exit 1 ;;
esac
