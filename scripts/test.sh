#!/usr/bin/env bash
# The project's one test command (`npm test`, see README.md). On a fresh Linux machine it installs what the
# tests need (node modules, Debian's docker.io), starts the project's own isolated Docker engine in swarm
# mode, type-checks, and runs every test: unit, component and end-to-end on the real engine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

if [ "$(id -u)" = 0 ]; then bash scripts/engine.sh up; else sudo bash scripts/engine.sh up; fi

# The real-terminal tests drive the UI through tmux; the lessons' commands use curl; the lab test reaches
# node1 with DOCKER_HOST=ssh:// as the docker CLI does (the system's ssh); the board's browser test drives
# Debian's chromium through playwright-core (which downloads no browser of its own).
missing=()
for tool in tmux curl chromium; do command -v "$tool" >/dev/null || missing+=("$tool"); done
command -v ssh >/dev/null || missing+=(openssh-client)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

npx tsc -p tsconfig.json --noEmit
# The CLI tests run the built command, as a learner would.
npm run build --silent
# Every e2e file removes the chapters' image tags so that each build step has something to prove; with
# the images prepared, those builds take their layers from the cache instead of Debian's mirror.
(eval "$(bash scripts/engine.sh env)" && node dist/bin/cli.js prepare --lab-engine 26)

report=.vitest-report.json
rm -f "$report"
rc=0
npx vitest run --reporter=default --reporter=json --outputFile="$report" "$@" || rc=$?
node scripts/test-summary.mjs "$report" || rc=$?
exit "$rc"
