package binlogreader

import (
	"testing"
	"time"
)

// temporalText writes what go-mysql's own rendering (ParseTime off) writes,
// for every precision.
func TestTemporalText_MatchesGoMySQLFormat(t *testing.T) {
	formats := [7]string{"2006-01-02 15:04:05", "2006-01-02 15:04:05.0", "2006-01-02 15:04:05.00",
		"2006-01-02 15:04:05.000", "2006-01-02 15:04:05.0000", "2006-01-02 15:04:05.00000", "2006-01-02 15:04:05.000000"}
	for _, v := range []time.Time{
		time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 1, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
		time.Unix(2147483647, 999999000),                                     // TIMESTAMP's maximum, in the local zone
		time.Date(2024, 5, 1, 10, 20, 30, 100000, time.FixedZone("x", 3600)), // rendered in UTC
	} {
		for dec, f := range formats {
			if got, want := temporalText(v, dec), v.UTC().Format(f); got != want {
				t.Errorf("temporalText(%v, %d) = %q, want %q", v, dec, got, want)
			}
		}
	}
}

func BenchmarkTemporalText(b *testing.B) {
	v := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		_ = temporalText(v, 6)
	}
}
