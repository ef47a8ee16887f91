package schema

import (
	"testing"

	"github.com/sluicecdc/sluice/change"
)

// BenchmarkTables_Apply: one ALTER TABLE parsed, applied and recorded (in a
// memory store): the cost of a DDL event for the reader.
func BenchmarkTables_Apply(b *testing.B) {
	tb := emptyTables(b, nil)
	if _, err := tb.Apply("CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10), b INT, c TEXT, d DATETIME(3), e ENUM('x','y'))", "d", change.Position{File: "b.000001", Pos: 4}, ""); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sql := "ALTER TABLE t ADD COLUMN x INT AFTER a"
		if i%2 == 1 {
			sql = "ALTER TABLE t DROP COLUMN x"
		}
		if _, err := tb.Apply(sql, "d", change.Position{File: "b.000001", Pos: uint32(100 + i)}, ""); err != nil {
			b.Fatal(err)
		}
	}
}
