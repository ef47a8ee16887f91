#!/usr/bin/env bash
# The cluster demo: brings the test bed up (MariaDB, Kafka, etcd), starts
# three `sluice node` processes on this machine, submits two tasks made from
# examples/quickstart.yaml, keeps writing rows, kills the node that runs the
# orders task with SIGKILL and shows the task moving to another node and its
# records continuing from there (each record names its node and owner epoch
# in the sluice.node and sluice.epoch headers). Everything it started is
# stopped on exit.
#
#   make demo-cluster
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=testbed/lib.sh
source "$here/lib.sh"

bash "$here/up.sh"
(cd "$repo" && go build -o bin/sluice ./cmd/sluice) || die "building sluice (go build ./cmd/sluice)"
sluice="$repo/bin/sluice"

admin() { mariadb --no-defaults --protocol=TCP -h"$MYSQL_HOST" -P"$MYSQL_PORT" -usluice_admin -padmin "$@"; }
admin <<'SQL'
DROP DATABASE IF EXISTS cluster_demo;
CREATE DATABASE cluster_demo;
CREATE TABLE cluster_demo.orders (
  id     BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  amount DECIMAL(10,2)   NOT NULL
) ENGINE=InnoDB;
CREATE TABLE cluster_demo.customers (
  id   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(64)     NOT NULL
) ENGINE=InnoDB;
INSERT INTO cluster_demo.orders (amount) VALUES (12.50), (99.00);
INSERT INTO cluster_demo.customers (name) VALUES ('ada'), ('grace');
SQL

# A fresh directory, etcd prefix and topics for every run.
dir="$(mktemp -d "${TMPDIR:-/tmp}/sluice-demo-cluster.XXXXXX")"
stamp="$(date +%s)"
prefix="/sluice-demo-$stamp"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	etcdctl --endpoints="127.0.0.1:$ETCD_PORT" del --prefix "$prefix/" >/dev/null 2>&1 || true
	say "stopped the nodes; their logs were in $dir (removed)"
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

declare -A node_pid
for i in 1 2 3; do
	cat >"$dir/n$i.yaml" <<YAML
name: n$i
etcd: [127.0.0.1:$ETCD_PORT]
advertise: 127.0.0.1:$((7100 + i))
data_dir: $dir/n$i
lease_ttl: 2s
prefix: $prefix
YAML
	mkdir -p "$dir/n$i"
	"$sluice" node -c "$dir/n$i.yaml" >"$dir/n$i.log" 2>&1 &
	node_pid[n$i]=$!
	pids+=($!)
done
say "3 nodes running (node files and logs in $dir)"

# Two tasks from the quick start: one per table, each into its own topic.
n=0
for t in orders customers; do
	n=$((n + 1))
	sed -e "s/tables: \[\"demo.\*\"\]/tables: [\"cluster_demo.$t\"]/" \
		-e "s/topic: demo\$/topic: cluster-demo-$t-$stamp/" \
		-e "s/server_id: 4242 /server_id: $((4300 + n)) /" \
		"$repo/examples/quickstart.yaml" >"$dir/$t.yaml"
	"$sluice" submit -c "$dir/n1.yaml" -f "$dir/$t.yaml"
done

(
	i=0
	while true; do
		i=$((i + 1))
		admin -e "INSERT INTO cluster_demo.orders (amount) VALUES ($i.99);
		          INSERT INTO cluster_demo.customers (name) VALUES ('customer$i');" || true
		sleep 0.5
	done
) &
pids+=($!)

owner_of() { "$sluice" tasks -c "$dir/n1.yaml" | awk -v t="$1" '$1 == t && $4 == "running" { print $2 }'; }
wait_owned() { # task, node it must not be on; prints the owner
	local o
	for _ in $(seq 1 100); do
		o="$(owner_of "$1")"
		if [[ -n "$o" && "$o" != "$2" ]]; then
			echo "$o"
			return
		fi
		sleep 0.1
	done
	die "task $1 not running on another node after 10s; see the logs in $dir"
}
# The last records of the orders topic as a read_committed consumer sees them:
# partition/offset, the owner headers, the value's start.
show_records() {
	kcat -C -b "127.0.0.1:$KAFKA_PORT" -t "cluster-demo-orders-$stamp" -X isolation.level=read_committed -o beginning -e -q \
		-f '%p/%o %h %s\n' 2>/dev/null |
		sed -E 's/sluice\.(pos|gtid|row|seq)=[^,]*,?//g; s/^([^ ]+) ([^ ]*) (.{0,60}).*/  \1  \2  \3.../' | tail -n "$1"
}

owner="$(wait_owned orders "")"
wait_owned customers "" >/dev/null
sleep 3
say "sluice tasks:"
"$sluice" tasks -c "$dir/n1.yaml"
say "the orders task runs on $owner; its last records (partition/offset, owner headers, value):"
show_records 4

say "killing $owner (SIGKILL, pid ${node_pid[$owner]})"
kill -9 "${node_pid[$owner]}"
wait "${node_pid[$owner]}" 2>/dev/null || true
killed="$(date +%s%3N)"
moved="$(wait_owned orders "$owner")"
say "orders moved from $owner to $moved $(($(date +%s%3N) - killed)) ms after the kill; sluice tasks:"
"$sluice" tasks -c "$dir/n2.yaml"
sleep 3
say "the orders records continue from $moved (a higher epoch) after $owner's last ones:"
show_records 9
