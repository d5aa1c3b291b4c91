#!/bin/sh
# Runs a 3-broker Tributary cluster on this machine, for trying failover and for tests that want real processes.
#
#   deploy/local-cluster.sh start DIR [-- extra broker flags]   start brokers 0, 1, 2 with data and logs under DIR
#   deploy/local-cluster.sh status DIR                          show which brokers run and whether they are ready
#   deploy/local-cluster.sh stop DIR                            stop them (SIGTERM, then SIGKILL after 30 s)
#
# Broker N listens on 127.0.0.1 with every port shifted by N * PORT_STEP (default 100):
#   gateway 26500 + N*100, internal (Raft) 26502 + N*100, monitoring 9600 + N*100
# so broker 0 has Tributary's usual ports and clients connect to 127.0.0.1:26500 as with a single broker.
# Environment: BROKER_COUNT (3), PARTITIONS (3), REPLICATION_FACTOR (3), PORT_STEP (100), CLUSTER_ID (local),
# READY_TIMEOUT_SECONDS (60).
set -eu

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TRIBUTARY="$ROOT/bin/tributary"
BROKER_COUNT=${BROKER_COUNT:-3}
PARTITIONS=${PARTITIONS:-3}
REPLICATION_FACTOR=${REPLICATION_FACTOR:-3}
PORT_STEP=${PORT_STEP:-100}
CLUSTER_ID=${CLUSTER_ID:-local}
READY_TIMEOUT_SECONDS=${READY_TIMEOUT_SECONDS:-60}

gateway_port() { echo $((26500 + $1 * PORT_STEP)); }
internal_port() { echo $((26502 + $1 * PORT_STEP)); }
monitoring_port() { echo $((9600 + $1 * PORT_STEP)); }

node_ids() {
  node=0
  while [ "$node" -lt "$BROKER_COUNT" ]; do
    echo "$node"
    node=$((node + 1))
  done
}

contact_points() {
  points=""
  for node in $(node_ids); do
    points="$points${points:+,}127.0.0.1:$(internal_port "$node")"
  done
  echo "$points"
}

# The pid of broker N when it runs, empty otherwise.
running_pid() {
  pid_file="$DIR/broker-$1.pid"
  [ -f "$pid_file" ] || return 0
  pid=$(cat "$pid_file")
  if kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

# HTTP status of a monitoring URL, 000 when nothing answers (node, because curl may not be installed).
http_status() {
  node -e "fetch(process.argv[1], { signal: AbortSignal.timeout(2000) }).then((r) => console.log(r.status), () => console.log('000'))" "$1"
}

start() {
  mkdir -p "$DIR"
  points=$(contact_points)
  for node in $(node_ids); do
    if [ -n "$(running_pid "$node")" ]; then
      echo "broker $node runs already (pid $(running_pid "$node")); stop the cluster first" >&2
      exit 1
    fi
  done
  for node in $(node_ids); do
    mkdir -p "$DIR/broker-$node"
    # In the background, immune to the terminal's hangup: the broker keeps running after this script exits.
    nohup "$TRIBUTARY" broker \
      --node-id "$node" \
      --cluster-size "$BROKER_COUNT" \
      --replication-factor "$REPLICATION_FACTOR" \
      --partitions "$PARTITIONS" \
      --host 127.0.0.1 \
      --port "$(gateway_port "$node")" \
      --internal-port "$(internal_port "$node")" \
      --monitoring-port "$(monitoring_port "$node")" \
      --contact-points "$points" \
      --cluster-id "$CLUSTER_ID" \
      --data-dir "$DIR/broker-$node" \
      "$@" >"$DIR/broker-$node.log" 2>&1 &
    echo $! >"$DIR/broker-$node.pid"
  done
  echo "Started $BROKER_COUNT brokers ($PARTITIONS partitions, replication factor $REPLICATION_FACTOR), data and logs in $DIR:"
  for node in $(node_ids); do
    echo "  broker $node: gateway 127.0.0.1:$(gateway_port "$node"), internal 127.0.0.1:$(internal_port "$node"), monitoring http://127.0.0.1:$(monitoring_port "$node") (pid $(cat "$DIR/broker-$node.pid"))"
  done
  await_ready
}

await_ready() {
  deadline=$(($(date +%s) + READY_TIMEOUT_SECONDS))
  while :; do
    pending=""
    for node in $(node_ids); do
      if [ -z "$(running_pid "$node")" ]; then
        echo "broker $node exited; the end of $DIR/broker-$node.log:" >&2
        tail -n 20 "$DIR/broker-$node.log" >&2
        exit 1
      fi
      [ "$(http_status "http://127.0.0.1:$(monitoring_port "$node")/ready")" = 200 ] || pending="$pending $node"
    done
    if [ -z "$pending" ]; then
      echo "Every broker is ready. Clients: 127.0.0.1:$(gateway_port 0) (any broker's gateway routes to every partition)."
      return 0
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "Brokers not ready after ${READY_TIMEOUT_SECONDS} s:$pending (see $DIR/broker-N.log; they keep trying)" >&2
      exit 1
    fi
    sleep 1
  done
}

status() {
  for node in $(node_ids); do
    pid=$(running_pid "$node")
    if [ -z "$pid" ]; then
      echo "broker $node: not running"
    else
      echo "broker $node: pid $pid, gateway 127.0.0.1:$(gateway_port "$node"), /ready $(http_status "http://127.0.0.1:$(monitoring_port "$node")/ready")"
    fi
  done
}

stop() {
  for node in $(node_ids); do
    pid=$(running_pid "$node")
    if [ -n "$pid" ]; then kill -TERM "$pid"; fi
  done
  deadline=$(($(date +%s) + 30))
  for node in $(node_ids); do
    while [ -n "$(running_pid "$node")" ]; do
      if [ "$(date +%s)" -ge "$deadline" ]; then
        echo "broker $node did not stop within 30 s; killing it" >&2
        kill -KILL "$(running_pid "$node")" 2>/dev/null || true
        break
      fi
      sleep 0.2
    done
    rm -f "$DIR/broker-$node.pid"
  done
  echo "Stopped the brokers in $DIR (data kept; delete $DIR to start afresh)."
}

[ $# -ge 2 ] || usage
COMMAND=$1
DIR=$(mkdir -p "$2" && cd "$2" && pwd)
shift 2
if [ "${1:-}" = "--" ]; then shift; fi
case "$COMMAND" in
  start) start "$@" ;;
  status) status ;;
  stop) stop ;;
  *) usage ;;
esac
