#!/bin/bash
# A lab node's first process: prepare cgroups and TLS certificates, then run dockerd in the foreground.
# The node's API listens on its unix socket (for `docker exec NODE docker ...` and `lab shell`) and on TCP
# 2376 with TLS, client certificate required: the host's docker context `swarm-workshop-lab` uses that.
set -euo pipefail

# cgroup v2 with a cgroup namespace: dockerd must not stay in the root cgroup of the namespace (Docker's
# own dind image does the same).
if [ -f /sys/fs/cgroup/cgroup.controllers ] && [ ! -d /sys/fs/cgroup/init ]; then
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null || true
  sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
fi

# Certificates: made once per node and kept on its data volume, so a restarted node keeps them.
certs=/var/lib/docker/swarm-workshop-tls
if [ ! -f "$certs/server-cert.pem" ]; then
  mkdir -p "$certs"
  cd "$certs"
  ip=$(ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1)
  openssl genrsa -out ca-key.pem 2048 2>/dev/null
  openssl req -new -x509 -days 3650 -key ca-key.pem -subj "/CN=swarm-workshop lab CA" -out ca.pem
  openssl genrsa -out server-key.pem 2048 2>/dev/null
  openssl req -new -key server-key.pem -subj "/CN=$(hostname)" -out server.csr
  printf 'subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1,IP:%s\nextendedKeyUsage=serverAuth\n' "$(hostname)" "$ip" > server.ext
  openssl x509 -req -days 3650 -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -extfile server.ext -out server-cert.pem 2>/dev/null
  openssl genrsa -out key.pem 2048 2>/dev/null
  openssl req -new -key key.pem -subj "/CN=swarm-workshop" -out client.csr
  printf 'extendedKeyUsage=clientAuth\n' > client.ext
  openssl x509 -req -days 3650 -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -extfile client.ext -out cert.pem 2>/dev/null
  rm -f ./*.csr ./*.ext
  chmod 600 ./*-key.pem key.pem
fi

# No IPVS, no routing mesh: 127.0.0.1:5000 on this node would reach a registry task only if one ran here.
# The lessons pin the registry to node1, so every other node forwards its loopback port 5000 to node1's
# (SWARM_WORKSHOP_REGISTRY_AT, given by `lab up`): `docker pull 127.0.0.1:5000/...` works on every node,
# as the articles' clusters have it through the mesh.
if [ -n "${SWARM_WORKSHOP_REGISTRY_AT:-}" ] && [ ! -d /proc/sys/net/ipv4/vs ]; then
  socat TCP-LISTEN:5000,bind=127.0.0.1,fork,reuseaddr "TCP:$SWARM_WORKSHOP_REGISTRY_AT" &
fi

# ssh, as a real node is reached (DOCKER_HOST=ssh://...): only once `lab up` has given a key.
if [ -s /root/.ssh/authorized_keys ]; then
  mkdir -p /run/sshd
  ssh-keygen -A >/dev/null 2>&1
  /usr/sbin/sshd -o PasswordAuthentication=no -o PermitRootLogin=prohibit-password
fi

# A restarted node: the old process's pid file and socket are stale.
rm -f /var/run/docker.pid /var/run/docker.sock

# Nested networks no wider than the node's own link (the host's network may be narrower than 1500).
mtu=$(cat /sys/class/net/eth0/mtu 2>/dev/null || echo 1500)

exec dockerd \
  --mtu="$mtu" \
  --host=unix:///var/run/docker.sock \
  --host=tcp://0.0.0.0:2376 --tlsverify \
  --tlscacert="$certs/ca.pem" --tlscert="$certs/server-cert.pem" --tlskey="$certs/server-key.pem" \
  --cgroup-parent="/swarm-workshop-$(hostname)" \
  "$@"
