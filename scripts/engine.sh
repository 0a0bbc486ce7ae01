#!/usr/bin/env bash
# Provision a Docker engine of the project's own, in swarm mode, with the base images the workshop needs.
#
#   scripts/engine.sh up      install the engine if missing, start it, init swarm, make base images
#   scripts/engine.sh env     print `export DOCKER_HOST=...` for this engine (eval it)
#   scripts/engine.sh status  say whether the engine runs and what it has
#   scripts/engine.sh down    stop the engine (its data stays, so the next `up` is quick)
#   scripts/engine.sh purge   stop the engine and delete its data directory
#
# The engine is isolated from any engine a developer already runs: its own data root, exec root, socket,
# pidfile and bridge. Tests talk to it only through DOCKER_HOST=unix://$SWARM_WORKSHOP_ENGINE_DIR/docker.sock.
# Linux and root only (it starts dockerd and may apt-get install docker.io).
#
# Why the stand-ins: these machines reach Debian's mirror but no image registry. When `docker pull` fails,
# debian:bookworm-slim is made with debootstrap, and registry:2 / redis:7 are built from Debian packages and
# labelled org.swarm-workshop.stand-in=true. Where Docker Hub is reachable, the official images are pulled.
set -euo pipefail

ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
D=${SWARM_WORKSHOP_ENGINE_DIR:-/var/tmp/swarm-workshop/engine}
CACHE=${SWARM_WORKSHOP_CACHE_DIR:-/var/tmp/swarm-workshop/cache}
SOCK="$D/docker.sock"
BRIDGE=swws0
BRIDGE_CIDR=${SWARM_WORKSHOP_BRIDGE_CIDR:-172.29.255.1/24}
DEBIAN_MIRROR=${SWARM_WORKSHOP_DEBIAN_MIRROR:-http://deb.debian.org/debian}

log() { printf '[engine] %s\n' "$*" >&2; }
die() { printf '[engine] error: %s\n' "$*" >&2; exit 1; }
dk() { DOCKER_HOST="unix://$SOCK" docker "$@"; }

need_root() {
  [ "$(uname -s)" = Linux ] || die "this script provisions an engine on Linux only; on macOS/Windows use Docker Desktop and run 'docker swarm init'"
  [ "$(id -u)" = 0 ] || die "run as root (it starts dockerd): sudo $0 $*"
}

engine_pid() {
  [ -f "$D/dockerd.pid" ] || return 1
  local pid; pid=$(cat "$D/dockerd.pid")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

install_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v docker >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v iptables >/dev/null || missing+=(iptables)
  command -v ip >/dev/null || missing+=(iproute2)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} from Debian (apt-get)"
  local t0=$SECONDS
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  log "installed in $((SECONDS - t0)) s"
}

setup_bridge() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$BRIDGE_CIDR" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
}

# The marker that says a folder is this script's engine folder: `purge` deletes only a folder that has it
# (SWARM_WORKSHOP_ENGINE_DIR comes from the environment, and a typo must not cost anybody a folder).
MARKER=.swarm-workshop-engine
mark_dir() { [ -f "$D/$MARKER" ] || printf 'an engine folder of swarm-workshop (scripts/engine.sh); purge deletes it\n' >"$D/$MARKER"; }

start_engine() {
  if pid=$(engine_pid); then
    log "engine already running (pid $pid)"
    return 0
  fi
  # Another dockerd in this network namespace would share its iptables chains and its swarm ports
  # (2377, 7946) with ours: refuse rather than disturb somebody's own engine.
  local others; others=$(pgrep -x dockerd | paste -sd ' ' || true)
  if [ -n "$others" ] && [ "${SWARM_WORKSHOP_SHARE_NETNS:-0}" != 1 ]; then
    die "another Docker engine runs on this machine (dockerd pid $others). The test engine would share its network namespace (iptables chains, swarm ports 2377/7946, published ports 5000/8000). Stop that engine while the tests run, or set SWARM_WORKSHOP_SHARE_NETNS=1 to start anyway."
  fi
  mkdir -p "$D/data" "$D/exec"
  mark_dir
  setup_bridge
  # Match the uplink MTU: a 1500-byte container MTU over a 1400-byte uplink stalls apt downloads in builds.
  local mtu; mtu=$(ip -o link show "$(ip route show default | awk '{print $5; exit}')" 2>/dev/null | sed -n 's/.* mtu \([0-9]*\).*/\1/p')
  mtu=${mtu:-1500}
  log "starting dockerd (data root $D/data, socket $SOCK, mtu $mtu)"
  rm -f "$SOCK"
  # setsid: the engine must outlive this script and not get the shell's Ctrl-C.
  setsid dockerd \
    --data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/dockerd.pid" \
    -H "unix://$SOCK" --bridge "$BRIDGE" --mtu "$mtu" \
    --insecure-registry 127.0.0.0/8 \
    >"$D/dockerd.log" 2>&1 </dev/null &
  local i
  for i in $(seq 1 120); do
    if dk version >/dev/null 2>&1; then log "engine ready after $((i / 4)) s"; return 0; fi
    if ! kill -0 $! 2>/dev/null; then tail -20 "$D/dockerd.log" >&2; die "dockerd exited; log above ($D/dockerd.log)"; fi
    sleep 0.25
  done
  tail -20 "$D/dockerd.log" >&2
  die "dockerd did not answer on $SOCK within 30 s; log: $D/dockerd.log"
}

init_swarm() {
  local state; state=$(dk info --format '{{.Swarm.LocalNodeState}}')
  if [ "$state" = active ]; then log "swarm already active"; return 0; fi
  log "docker swarm init"
  dk swarm init --advertise-addr 127.0.0.1 >/dev/null
}

have_image() { dk image inspect "$1" >/dev/null 2>&1; }

try_pull() {
  # A registry that cannot be reached answers fast here, but bound it anyway.
  timeout 60 env DOCKER_HOST="unix://$SOCK" docker pull -q "$1" >/dev/null 2>&1
}

# debian:SUITE-slim (bookworm: every DockerCoins image and the lab's engine-20 nodes; trixie: the lab's
# engine-26 nodes, `lab up --engine 26`).
make_debian_base() {
  local suite=$1 image="debian:$1-slim"
  have_image "$image" && return 0
  if try_pull "$image"; then log "pulled $image"; return 0; fi
  local tarball="$CACHE/debian-$suite-slim.tar"
  if [ ! -s "$tarball" ]; then
    log "no registry reachable: building $image with debootstrap ($DEBIAN_MIRROR)"
    local t0=$SECONDS rootfs="$CACHE/rootfs.tmp"
    mkdir -p "$CACHE"
    rm -rf "$rootfs"
    debootstrap --variant=minbase "$suite" "$rootfs" "$DEBIAN_MIRROR" >"$CACHE/debootstrap-$suite.log" 2>&1 \
      || { tail -20 "$CACHE/debootstrap-$suite.log" >&2; die "debootstrap $suite failed; log: $CACHE/debootstrap-$suite.log"; }
    # Make it look like the official slim image.
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
CFG
    cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
    printf 'Acquire::Languages "none";\n' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
    printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"; chmod +x "$rootfs/usr/sbin/policy-rc.d"
    printf 'deb %s %s main\ndeb %s %s-updates main\ndeb http://deb.debian.org/debian-security %s-security main\n' \
      "$DEBIAN_MIRROR" "$suite" "$DEBIAN_MIRROR" "$suite" "$suite" >"$rootfs/etc/apt/sources.list"
    find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
    rm -rf "$rootfs"/usr/share/{man,info,locale,lintian}/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
      "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/* "$rootfs"/tmp/*
    rm -f "$rootfs/etc/hostname" "$rootfs/etc/resolv.conf"
    tar -C "$rootfs" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
    log "debootstrap done in $((SECONDS - t0)) s"
  fi
  dk import \
    --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'LABEL org.swarm-workshop.stand-in=true' \
    "$tarball" "$image" >/dev/null
  log "imported $image ($(dk image inspect -f '{{.Size}}' "$image") bytes)"
}

make_standin() {
  local image=$1 dir=$2
  have_image "$image" && return 0
  if try_pull "$image"; then log "pulled $image"; return 0; fi
  log "no registry reachable: building stand-in $image from $dir"
  local t0=$SECONDS
  dk build -q -t "$image" "$ROOT_DIR/$dir" >/dev/null 2>"$D/build-$(basename "$dir").log" \
    || { tail -30 "$D/build-$(basename "$dir").log" >&2; die "building $image failed"; }
  log "built $image in $((SECONDS - t0)) s"
}

# The articles name the images without a tag (`registry`, `redis`, i.e. :latest); the tests type them so.
# Where the pull fails, the stand-in answers to that name too.
alias_standin() {
  local image=$1 alias=$2
  have_image "$alias" && return 0
  try_pull "$alias" && { log "pulled $alias"; return 0; }
  dk tag "$image" "$alias" && log "tagged stand-in $image as $alias"
}

cmd_up() {
  need_root up
  install_packages
  start_engine
  mark_dir
  init_swarm
  make_debian_base bookworm
  make_debian_base trixie
  make_standin registry:2 dockercoins/standins/registry
  make_standin redis:7 dockercoins/standins/redis
  alias_standin registry:2 registry:latest
  alias_standin redis:7 redis:latest
  log "ready: eval \"\$($0 env)\""
}

cmd_down() {
  local pid
  if pid=$(engine_pid); then
    log "stopping dockerd (pid $pid)"
    kill "$pid"
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then log "dockerd still running; killing"; kill -9 "$pid"; fi
  else
    log "engine not running"
  fi
}

cmd_purge() {
  need_root purge
  if [ ! -d "$D" ]; then log "nothing to purge: $D does not exist"; return 0; fi
  case "$(cd "$D" && pwd -P)" in
    /|/home|/root|/usr|/var|/var/tmp|/tmp|/etc) die "refusing to delete $D: a system folder, not an engine folder" ;;
  esac
  [ -f "$D/$MARKER" ] || die "refusing to delete $D: it has no $MARKER file, so it is not a folder this script made (check SWARM_WORKSHOP_ENGINE_DIR)"
  cmd_down
  # Container mounts may linger under the exec/data roots after a hard stop.
  grep -o " $D[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$D"
  ip link del "$BRIDGE" 2>/dev/null || true
  log "removed $D"
}

cmd_status() {
  if pid=$(engine_pid); then
    echo "engine: running (pid $pid), DOCKER_HOST=unix://$SOCK"
    echo "swarm:  $(dk info --format '{{.Swarm.LocalNodeState}} (manager: {{.Swarm.ControlAvailable}})')"
    dk image ls --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' | sort
  else
    echo "engine: not running (start it with: sudo $0 up)"
    return 1
  fi
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  purge) cmd_purge ;;
  status) cmd_status ;;
  env) echo "export DOCKER_HOST=unix://$SOCK" ;;
  *) echo "usage: $0 up|env|status|down|purge" >&2; exit 2 ;;
esac
