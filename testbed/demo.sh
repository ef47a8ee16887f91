#!/usr/bin/env bash
# The demo: brings the test bed up, creates a sample `demo` database, runs sluice
# with examples/quickstart.yaml (snapshot, then the binlog), keeps writing
# orders, and shows the Canal JSON records arriving in Kafka with kcat.
#
#   DEMO_SECONDS=60 make demo     # how long to watch (default 30; 0 = until Ctrl-C)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=testbed/lib.sh
source "$here/lib.sh"
seconds="${DEMO_SECONDS:-30}"

bash "$here/up.sh"
(cd "$repo" && go build -o bin/sluice ./cmd/sluice) || die "building sluice (go build ./cmd/sluice)"

admin() { mariadb --no-defaults --protocol=TCP -h"$MYSQL_HOST" -P"$MYSQL_PORT" -usluice_admin -padmin "$@"; }
admin <<'SQL'
DROP DATABASE IF EXISTS demo;
CREATE DATABASE demo;
CREATE TABLE demo.orders (
  id       BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer VARCHAR(64)     NOT NULL,
  amount   DECIMAL(10,2)   NOT NULL,
  status   ENUM('new','paid','shipped') NOT NULL DEFAULT 'new',
  created  DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;
INSERT INTO demo.orders (customer, amount, status) VALUES
  ('ada', 12.50, 'new'), ('grace', 99.00, 'paid'), ('linus', 7.25, 'shipped');
SQL

# A fresh topic and checkpoint for every demo run, so the snapshot shows again.
run_dir="$BED_DIR/demo"
rm -rf "$run_dir" && mkdir -p "$run_dir"
topic="demo-$(date +%s)"
sed -e "s/topic: demo\$/topic: $topic/" "$repo/examples/quickstart.yaml" >"$run_dir/topology.yaml"
printf 'engine:\n  checkpoint_dir: %s\n' "$run_dir/checkpoints" >>"$run_dir/topology.yaml"

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$repo/bin/sluice" run -f "$run_dir/topology.yaml" >"$run_dir/sluice.log" 2>&1 &
pids+=($!)
say "sluice is running (log: $run_dir/sluice.log); writing an order every second into demo.orders"

(
	i=0
	while true; do
		i=$((i + 1))
		admin -e "INSERT INTO demo.orders (customer, amount) VALUES ('customer$i', $i.99);
		          UPDATE demo.orders SET status = 'paid' WHERE id = $((i % 5 + 1));" || true
		sleep 1
	done
) &
pids+=($!)

say "records in topic $topic (kcat -C -b 127.0.0.1:$KAFKA_PORT -t $topic):"
for _ in $(seq 1 50); do
	kcat -L -b "127.0.0.1:$KAFKA_PORT" -t "$topic" 2>/dev/null | grep -q "partition 0" && break
	sleep 0.2
done
if [[ "$seconds" == 0 ]]; then
	kcat -C -b "127.0.0.1:$KAFKA_PORT" -t "$topic" -o beginning -q -f '%s\n' || true
else
	timeout "$seconds" kcat -C -b "127.0.0.1:$KAFKA_PORT" -t "$topic" -o beginning -q -f '%s\n' || true
fi
say "stopping sluice (it drains and commits a checkpoint; run it again to resume)"
kill -TERM "${pids[0]}" 2>/dev/null || true
wait "${pids[0]}" 2>/dev/null || true
tail -n 3 "$run_dir/sluice.log" >&2
