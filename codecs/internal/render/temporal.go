package render

// DateTime is a parsed DATE, DATETIME or TIMESTAMP string.
type DateTime struct {
	Year, Month, Day, Hour, Minute, Second int
	// Micro is the fraction in microseconds; Frac the digits written (0..6).
	Micro, Frac int
}

// ParseDateTime parses "YYYY-MM-DD" or "YYYY-MM-DD hh:mm:ss[.ffffff]" as the
// binlog decoder writes them (zero dates included). ok is false for any other
// shape.
func ParseDateTime(s string) (dt DateTime, ok bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return dt, false
	}
	var ok1, ok2, ok3 bool
	dt.Year, ok1 = digitsN(s[0:4])
	dt.Month, ok2 = digitsN(s[5:7])
	dt.Day, ok3 = digitsN(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return dt, false
	}
	if len(s) == 10 {
		return dt, true
	}
	if len(s) < 19 || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' {
		return dt, false
	}
	dt.Hour, ok1 = digitsN(s[11:13])
	dt.Minute, ok2 = digitsN(s[14:16])
	dt.Second, ok3 = digitsN(s[17:19])
	if !ok1 || !ok2 || !ok3 {
		return dt, false
	}
	if len(s) == 19 {
		return dt, true
	}
	dt.Micro, dt.Frac, ok = fraction(s[19:])
	return dt, ok
}

// Time is a parsed TIME string; Neg applies to every part.
type Time struct {
	Neg                  bool
	Hour, Minute, Second int
	Micro, Frac          int
}

// ParseTime parses "[-]H+:MM:SS[.ffffff]" (hours may exceed 24 and have
// three digits: TIME spans -838:59:59 to 838:59:59).
func ParseTime(s string) (t Time, ok bool) {
	if len(s) > 0 && s[0] == '-' {
		t.Neg = true
		s = s[1:]
	}
	colon := -1
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			colon = i
			break
		}
	}
	if colon < 1 || len(s) < colon+6 || s[colon+3] != ':' {
		return t, false
	}
	var ok1, ok2, ok3 bool
	t.Hour, ok1 = digitsN(s[:colon])
	t.Minute, ok2 = digitsN(s[colon+1 : colon+3])
	t.Second, ok3 = digitsN(s[colon+4 : colon+6])
	if !ok1 || !ok2 || !ok3 {
		return t, false
	}
	rest := s[colon+6:]
	if rest == "" {
		return t, true
	}
	t.Micro, t.Frac, ok = fraction(rest)
	return t, ok
}

// Micros is the signed duration of t in microseconds.
func (t Time) Micros() int64 {
	m := ((int64(t.Hour)*60+int64(t.Minute))*60+int64(t.Second))*1_000_000 + int64(t.Micro)
	if t.Neg {
		return -m
	}
	return m
}

// fraction parses ".f{1,6}" into microseconds.
func fraction(s string) (micro, n int, ok bool) {
	if len(s) < 2 || len(s) > 7 || s[0] != '.' {
		return 0, 0, false
	}
	v, ok := digitsN(s[1:])
	if !ok {
		return 0, 0, false
	}
	n = len(s) - 1
	for i := n; i < 6; i++ {
		v *= 10
	}
	return v, n, true
}

func digitsN(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// DaysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (Howard Hinnant's algorithm).
func DaysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// UnixSeconds is dt read as UTC, in seconds since the epoch.
func (dt DateTime) UnixSeconds() int64 {
	return DaysFromCivil(dt.Year, dt.Month, dt.Day)*86400 +
		int64(dt.Hour)*3600 + int64(dt.Minute)*60 + int64(dt.Second)
}

// IsZeroDate reports whether dt has a zero year, month or day (MySQL's zero
// and partial dates, which no calendar holds).
func (dt DateTime) IsZeroDate() bool { return dt.Year == 0 || dt.Month == 0 || dt.Day == 0 }

// DateTimeOf parses a DATE, DATETIME or TIMESTAMP value (a string, as
// change/value.go gives them); ok is false for any other value.
func DateTimeOf(v any) (DateTime, bool) {
	s, ok := v.(string)
	if !ok {
		return DateTime{}, false
	}
	return ParseDateTime(s)
}

// TimeOf parses a TIME value (a string); ok is false for any other value.
func TimeOf(v any) (Time, bool) {
	s, ok := v.(string)
	if !ok {
		return Time{}, false
	}
	return ParseTime(s)
}
