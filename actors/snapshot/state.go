package snapshot

import "github.com/sluicecdc/sluice/store"

// Stored returns the store record of a planned, not yet read chunk.
func (c Chunk) Stored() store.Chunk {
	return store.Chunk{ID: c.ID, Low: c.Low, High: c.High}
}

// Remaining returns, in ID order, the chunks of a stored plan that are not
// done: what a restarted snapshot still has to read. Finished chunks are
// never read again; an unfinished one is read whole, in a new consistent
// snapshot, which is still after P0 and so still correct.
func Remaining(stored []store.Chunk) []Chunk {
	var out []Chunk
	for _, s := range stored {
		if !s.Done {
			out = append(out, Chunk{ID: s.ID, Low: s.Low, High: s.High})
		}
	}
	return out
}
