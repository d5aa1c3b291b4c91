#!/usr/bin/env bash
# A real Apache Kafka broker for tests and local use: a single KRaft node (broker and controller) on 127.0.0.1,
# on free ports, with its data, config and log in DIR.
#
#   scripts/kafka.sh start DIR   starts it (or starts it again on the same ports and data) and prints host:port
#   scripts/kafka.sh stop DIR    stops it (SIGTERM, then SIGKILL after KAFKA_STOP_TIMEOUT_SECONDS)
#   scripts/kafka.sh jars        only downloads the jars
#
# The jars (org.apache.kafka:kafka_2.13 and its dependencies, listed in scripts/kafka/pom.xml) come from Maven
# Central through `mvn dependency:copy-dependencies`, once, into .tools/kafka/<version>/lib (git-ignored); later runs
# reuse them. Parallel first runs take a lock, so only one downloads. Needs Java 17+ and Maven.
# Only the bootstrap address goes to stdout; everything else goes to stderr.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pom="$root/scripts/kafka/pom.xml"
kafka_version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")"
cache="${KAFKA_CACHE_DIR:-$root/.tools/kafka}/$kafka_version"
lib="$cache/lib"
download_attempts_max=3
start_timeout_seconds="${KAFKA_START_TIMEOUT_SECONDS:-90}"
stop_timeout_seconds="${KAFKA_STOP_TIMEOUT_SECONDS:-30}"

fail() {
  echo "kafka.sh: $*" >&2
  exit 1
}

# Downloads the jars into a temporary folder and renames it into place, so an interrupted download never leaves a
# half-filled lib folder that later runs would trust.
download_jars() {
  [[ -f "$lib/.complete" ]] && return 0
  command -v mvn >/dev/null || fail "expected Maven (mvn) on PATH to download Kafka's jars, found none"
  mkdir -p "$cache"
  exec 9>"$cache/.lock"
  flock 9
  if [[ -f "$lib/.complete" ]]; then
    flock -u 9
    return 0
  fi
  local attempt staging="$cache/lib.download.$$"
  for ((attempt = 1; attempt <= download_attempts_max; attempt++)); do
    rm -rf "$staging"
    echo "kafka.sh: downloading Kafka $kafka_version jars (attempt $attempt of $download_attempts_max)" >&2
    if mvn -B -q -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$staging" \
      -Dmaven.wagon.http.retryHandler.count=3 >"$cache/download.log" 2>&1 && [[ -f "$staging/kafka_2.13-$kafka_version.jar" ]]; then
      touch "$staging/.complete"
      rm -rf "$lib"
      mv "$staging" "$lib"
      flock -u 9
      return 0
    fi
    sleep $((attempt * 2))
  done
  rm -rf "$staging"
  flock -u 9
  fail "could not download Kafka's jars with Maven after $download_attempts_max attempts; last output:
$(tail -n 30 "$cache/download.log")"
}

java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then echo "$JAVA_HOME/bin/java"; return; fi
  command -v java >/dev/null || fail "expected Java 17 or newer (java on PATH or JAVA_HOME) to run Kafka, found none"
  echo java
}

# Runs Java with Kafka's jars; "exec" as the first argument replaces the calling (sub)shell, so that a background
# start records the pid of the JVM itself, not of a shell that would leave the JVM behind when killed.
run_java() {
  local exec_prefix=()
  if [[ "$1" == exec ]]; then exec_prefix=(exec); shift; fi
  local logs_dir="$1"
  shift
  "${exec_prefix[@]}" "$(java_bin)" -Xms128m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dkafka.logs.dir="$logs_dir" -Dlog4j2.configurationFile="$root/scripts/kafka/log4j2.properties" \
    -cp "$lib/*" "$@"
}

free_port() {
  node -e 'const s = require("node:net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A cluster id is 16 random bytes in URL-safe base64 without padding, as `kafka-storage random-uuid` makes them.
cluster_id() {
  head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'
}

write_config() {
  local dir="$1" broker_port controller_port
  broker_port="$(free_port)"
  controller_port="$(free_port)"
  while [[ "$controller_port" == "$broker_port" ]]; do controller_port="$(free_port)"; done
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$broker_port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$broker_port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  echo "$broker_port" >"$dir/broker.port"
}

start() {
  local dir="$1"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  download_jars
  if [[ -f "$dir/kafka.pid" ]] && kill -0 "$(cat "$dir/kafka.pid")" 2>/dev/null; then
    fail "Kafka already runs from $dir (pid $(cat "$dir/kafka.pid")); stop it first"
  fi
  # A directory that held Kafka before keeps its ports and data, so a restart looks like the same broker.
  if [[ ! -f "$dir/server.properties" ]]; then
    write_config "$dir"
    run_java "$dir" kafka.tools.StorageTool format --cluster-id="$(cluster_id)" --config "$dir/server.properties" \
      >"$dir/format.log" 2>&1 || fail "formatting Kafka's storage failed:
$(tail -n 30 "$dir/format.log")"
  fi
  local broker_port
  broker_port="$(cat "$dir/broker.port")"
  if port_open "$broker_port"; then fail "port $broker_port of the Kafka in $dir is taken by another process"; fi
  run_java exec "$dir" kafka.Kafka "$dir/server.properties" >>"$dir/kafka.out" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$dir/kafka.pid"
  local deadline=$((SECONDS + start_timeout_seconds))
  until grep -q 'Kafka Server started' "$dir/kafka.log" 2>/dev/null && port_open "$broker_port"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$dir/kafka.pid"
      fail "Kafka exited before it was ready; its output:
$(tail -n 40 "$dir/kafka.out" 2>/dev/null)
$(tail -n 40 "$dir/kafka.log" 2>/dev/null)"
    fi
    if ((SECONDS >= deadline)); then
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/kafka.pid"
      fail "Kafka was not ready within ${start_timeout_seconds}s (killed it); its log:
$(tail -n 40 "$dir/kafka.log" 2>/dev/null)"
    fi
    sleep 0.2
  done
  echo "127.0.0.1:$broker_port"
}

stop() {
  local dir="$1"
  [[ -f "$dir/kafka.pid" ]] || return 0
  local pid
  pid="$(cat "$dir/kafka.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + stop_timeout_seconds))
    while kill -0 "$pid" 2>/dev/null; do
      if ((SECONDS >= deadline)); then
        echo "kafka.sh: Kafka (pid $pid) did not stop within ${stop_timeout_seconds}s of SIGTERM; killing it" >&2
        kill -9 "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.2
    done
  fi
  rm -f "$dir/kafka.pid"
}

case "${1:-}" in
  start) [[ $# -eq 2 ]] || fail "usage: scripts/kafka.sh start DIR"; start "$2" ;;
  stop) [[ $# -eq 2 ]] || fail "usage: scripts/kafka.sh stop DIR"; stop "$2" ;;
  jars) download_jars; echo "$lib" ;;
  *) fail "usage: scripts/kafka.sh start DIR | stop DIR | jars" ;;
esac
