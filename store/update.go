package store

// Update is the set of writes one Commit applies atomically. The checkpoint
// actor fills one over an interval (many acknowledgements, chunk completions
// and schema versions) and commits it once; Reset makes it reusable without
// reallocating.
//
// Commit applies the parts in this order: ChunkResets, Chunks, Snapshots,
// Checkpoints, Schemas, Skips; within a part, in the order added, so a later write of
// the same key wins. The Update references the byte slices it is given until
// Commit returns; do not modify them before.
type Update struct {
	Checkpoints []SourceCheckpoint
	Snapshots   []SourceSnapshot
	ChunkResets []TableRef
	Chunks      []TableChunk
	Schemas     []TableSchema
	Skips       []SourceSkip
}

// SourceCheckpoint is a checkpoint of one source.
type SourceCheckpoint struct {
	Source string
	Checkpoint
}

// SourceSnapshot is the snapshot state of one source.
type SourceSnapshot struct {
	Source string
	Snapshot
}

// TableRef names a table of a source; an empty Table means every table.
type TableRef struct {
	Source, Table string
}

// TableChunk is one chunk state of a table.
type TableChunk struct {
	Source, Table string
	Chunk
}

// TableSchema is one schema history entry of a table.
type TableSchema struct {
	Source, Table string
	SchemaEntry
}

// SetCheckpoint sets the source's checkpoint, replacing one set earlier in
// this Update.
func (u *Update) SetCheckpoint(source string, cp Checkpoint) {
	for i := range u.Checkpoints {
		if u.Checkpoints[i].Source == source {
			u.Checkpoints[i].Checkpoint = cp
			return
		}
	}
	u.Checkpoints = append(u.Checkpoints, SourceCheckpoint{Source: source, Checkpoint: cp})
}

// SetSnapshot sets the source's snapshot state, replacing one set earlier in
// this Update.
func (u *Update) SetSnapshot(source string, s Snapshot) {
	for i := range u.Snapshots {
		if u.Snapshots[i].Source == source {
			u.Snapshots[i].Snapshot = s
			return
		}
	}
	u.Snapshots = append(u.Snapshots, SourceSnapshot{Source: source, Snapshot: s})
}

// PutChunk records a chunk state (a later one with the same ID wins).
func (u *Update) PutChunk(source, table string, c Chunk) {
	u.Chunks = append(u.Chunks, TableChunk{Source: source, Table: table, Chunk: c})
}

// ResetChunks deletes the chunk states of a table (every table of the source
// when table is ""), before this Update's own chunks are written: a table
// snapshotted again starts from no chunks.
func (u *Update) ResetChunks(source, table string) {
	u.ChunkResets = append(u.ChunkResets, TableRef{Source: source, Table: table})
}

// PutSchema records the definition of a table from position key posKey on
// (a later one with the same key wins).
func (u *Update) PutSchema(source, table, posKey string, def []byte) {
	u.Schemas = append(u.Schemas, TableSchema{Source: source, Table: table,
		SchemaEntry: SchemaEntry{PosKey: posKey, Def: def}})
}

// Empty reports whether the Update writes nothing.
func (u *Update) Empty() bool {
	return len(u.Checkpoints) == 0 && len(u.Snapshots) == 0 && len(u.ChunkResets) == 0 &&
		len(u.Chunks) == 0 && len(u.Schemas) == 0 && len(u.Skips) == 0
}

// Reset empties the Update, keeping its capacity and dropping its references.
func (u *Update) Reset() {
	clear(u.Checkpoints)
	clear(u.Snapshots)
	clear(u.ChunkResets)
	clear(u.Chunks)
	clear(u.Schemas)
	clear(u.Skips)
	u.Checkpoints = u.Checkpoints[:0]
	u.Snapshots = u.Snapshots[:0]
	u.ChunkResets = u.ChunkResets[:0]
	u.Chunks = u.Chunks[:0]
	u.Schemas = u.Schemas[:0]
	u.Skips = u.Skips[:0]
}

// Validate reports the first write that names no source, no table, no
// schema position key, or a skip decision without position, digest or
// reason; Commit refuses such an Update.
func (u *Update) Validate() error {
	for _, c := range u.Checkpoints {
		if c.Source == "" {
			return errEmpty("checkpoint", "source")
		}
	}
	for _, s := range u.Snapshots {
		if s.Source == "" {
			return errEmpty("snapshot state", "source")
		}
	}
	for _, r := range u.ChunkResets {
		if r.Source == "" {
			return errEmpty("chunk reset", "source")
		}
	}
	for _, c := range u.Chunks {
		if c.Source == "" || c.Table == "" {
			return errEmpty("chunk state", "source or table")
		}
	}
	for _, s := range u.Schemas {
		if s.Source == "" || s.Table == "" || s.PosKey == "" {
			return errEmpty("schema entry", "source, table or position key")
		}
	}
	for _, s := range u.Skips {
		if s.Source == "" || s.Pos.File == "" || s.Digest == "" || s.Reason == "" {
			return errEmpty("skip decision", "source, position, statement digest or reason")
		}
	}
	return nil
}
