package txwriter

import (
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// logger hands the client's warnings and errors to slog, at most one line a
// second with the count of lines held back. franz-go logs every transaction
// at info level: that would be a line per commit.
type logger struct {
	l *slog.Logger

	mu   sync.Mutex
	last time.Time
	held int
}

func (l *logger) Level() kgo.LogLevel {
	if l.l == nil {
		return kgo.LogLevelNone
	}
	return kgo.LogLevelWarn
}

func (l *logger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	l.mu.Lock()
	now := time.Now()
	if now.Sub(l.last) < time.Second {
		l.held++
		l.mu.Unlock()
		return
	}
	held := l.held
	l.last, l.held = now, 0
	l.mu.Unlock()
	keyvals = append(keyvals, "held_back", held)
	if level == kgo.LogLevelError {
		l.l.Error("kafka client: "+msg, keyvals...)
		return
	}
	l.l.Warn("kafka client: "+msg, keyvals...)
}
