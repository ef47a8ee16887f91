package testbed

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/segmentio/kafka-go"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestBed_BinlogRowAsSluice writes a row as the admin account and reads it
// back from the binlog as the sluice account, the way the engine will.
func TestBed_BinlogRowAsSluice(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	cfg := MySQL(t)
	db := NewDatabase(t)
	AdminExec(t, "CREATE TABLE `"+db+"`.items (id INT PRIMARY KEY, name VARCHAR(32) NOT NULL, qty BIGINT NULL)")
	start := BinlogPosition(t)
	AdminExec(t, "INSERT INTO `"+db+"`.items VALUES (7, 'sluice gate', 42)")

	syncer := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
		ServerID: ServerID(),
		Flavor:   mysql.MariaDBFlavor,
		Host:     cfg.Host(),
		Port:     cfg.Port(),
		User:     cfg.User,
		Password: cfg.Password,
	})
	defer syncer.Close()
	streamer, err := syncer.StartSync(start)
	if err != nil {
		t.Fatalf("binlog dump from %s as %s: %v", start, cfg.User, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		ev, err := streamer.GetEvent(ctx)
		if err != nil {
			t.Fatalf("no row event for %s.items after %s: %v", db, start, err)
		}
		rows, ok := ev.Event.(*replication.RowsEvent)
		if !ok || string(rows.Table.Schema) != db {
			continue
		}
		if string(rows.Table.Table) != "items" {
			t.Fatalf("row event for table %q, want items", rows.Table.Table)
		}
		if names := rows.Table.ColumnNameString(); !reflect.DeepEqual(names, []string{"id", "name", "qty"}) {
			t.Errorf("TABLE_MAP column names = %q, want [id name qty] (binlog_row_metadata=FULL?)", names)
		}
		if len(rows.Rows) != 1 {
			t.Fatalf("got %d rows, want 1", len(rows.Rows))
		}
		got := fmt.Sprint(rows.Rows[0]...)
		if want := fmt.Sprint(int32(7), "sluice gate", int64(42)); got != want {
			t.Errorf("row = %v, want %v", got, want)
		}
		return
	}
}

// TestBed_KafkaRecordReadByKcat produces a record with kafka-go and reads it
// back with kcat, an independent client, and with ReadTopic.
func TestBed_KafkaRecordReadByKcat(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	topic := NewTopic(t, 3)
	w := &kafka.Writer{
		Addr:         kafka.TCP(Kafka(t)...),
		Topic:        topic,
		RequiredAcks: kafka.RequireAll,
		Balancer:     &kafka.Hash{},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := w.WriteMessages(ctx, kafka.Message{
		Key:     []byte("order-17"),
		Value:   []byte(`{"id":17,"status":"paid"}`),
		Headers: []kafka.Header{{Key: "source", Value: []byte("bed-test")}},
	})
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("producing to %s: %v", topic, err)
	}

	out := Kcat(t, "-C", "-t", topic, "-e", "-q", "-f", "%k|%s|%h\n")
	if got, want := strings.TrimSpace(out), `order-17|{"id":17,"status":"paid"}|source=bed-test`; got != want {
		t.Errorf("kcat read %q, want %q", got, want)
	}

	msgs := ReadTopic(t, topic, 1, 30*time.Second)
	if string(msgs[0].Key) != "order-17" || string(msgs[0].Value) != `{"id":17,"status":"paid"}` {
		t.Errorf("ReadTopic = %q/%q", msgs[0].Key, msgs[0].Value)
	}
}

// TestBed_EtcdKeyReadByEtcdctl writes a key with the Go client and reads it
// back with etcdctl, an independent client, and checks that the bed's etcd
// keeps etcd's default limit of 128 operations per transaction, which the
// checkpoint store sizes its commits for.
func TestBed_EtcdKeyReadByEtcdctl(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	cli := EtcdClient(t)
	prefix := NewEtcdPrefix(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := cli.Put(ctx, prefix+"greeting", "sluice gate"); err != nil {
		t.Fatalf("put %sgreeting: %v", prefix, err)
	}
	out := Etcdctl(t, "get", "--print-value-only", prefix+"greeting")
	if got := strings.TrimSpace(out); got != "sluice gate" {
		t.Errorf("etcdctl read %q, want %q", got, "sluice gate")
	}

	ops := make([]clientv3.Op, 129)
	for i := range ops {
		ops[i] = clientv3.OpPut(fmt.Sprintf("%sop/%03d", prefix, i), "x")
	}
	if _, err := cli.Txn(ctx).Then(ops...).Commit(); !errors.Is(err, rpctypes.ErrTooManyOps) {
		t.Errorf("a transaction of 129 puts = %v, want %v (is etcd started with --max-txn-ops?)", err, rpctypes.ErrTooManyOps)
	}
	if _, err := cli.Txn(ctx).Then(ops[:128]...).Commit(); err != nil {
		t.Errorf("a transaction of 128 puts: %v", err)
	}
}

// TestBed_SluiceGrants pins the privileges of the account Sluice runs as:
// exactly the set a DTS-style source needs (MariaDB spells REPLICATION CLIENT
// as BINLOG MONITOR).
func TestBed_SluiceGrants(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	r, err := Connect(t).Execute("SHOW GRANTS")
	if err != nil {
		t.Fatalf("SHOW GRANTS: %v", err)
	}
	grant, _ := r.GetString(0, 0)
	privs, _, _ := strings.Cut(strings.TrimPrefix(grant, "GRANT "), " ON *.*")
	var got []string
	for _, p := range strings.Split(privs, ",") {
		got = append(got, strings.TrimSpace(p))
	}
	want := []string{"SELECT", "REPLICATION SLAVE", "BINLOG MONITOR", "SHOW VIEW"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sluice has %q, want %q (from %q)", got, want, grant)
	}
	_, err = Connect(t).Execute("CREATE DATABASE t_must_fail")
	if err == nil {
		AdminExec(t, "DROP DATABASE t_must_fail")
		t.Fatal("the sluice account could create a database")
	}
	var merr *mysql.MyError
	if !errors.As(err, &merr) || merr.Code != mysql.ER_DBACCESS_DENIED_ERROR {
		t.Errorf("CREATE DATABASE as sluice: %v, want access denied", err)
	}
}
