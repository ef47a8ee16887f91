package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/store"
)

// ErrBad marks a record that does not decode: the store is damaged.
var ErrBad = errors.New("undecodable record")

// Bad marks err as the reason a record does not decode.
func Bad(err error) error { return fmt.Errorf("%w: %v", ErrBad, err) }

// Identity is the identity record of a store. Topology is absent from
// records written before Sluice recorded it (store.Identity.Topology).
type Identity struct {
	Task         string          `json:"task"`
	TopologyHash string          `json:"topology_hash"`
	Topology     json.RawMessage `json:"topology,omitempty"`
	CreatedAt    time.Time       `json:"created_at"`
}

// NewIdentity is the record of a new store of id.
func NewIdentity(id store.Identity) Identity {
	r := Identity{Task: id.Task, CreatedAt: time.Now().UTC()}
	r.Set(id)
	return r
}

// Set records id's topology in r.
func (r *Identity) Set(id store.Identity) {
	r.TopologyHash, r.Topology = id.TopologyHash, nil
	if id.Topology != "" {
		r.Topology = json.RawMessage(id.Topology)
	}
}

// Identity is the store.Identity r records.
func (r Identity) Identity() store.Identity {
	return store.Identity{Task: r.Task, TopologyHash: r.TopologyHash, Topology: string(r.Topology)}
}

type posRec struct {
	File string `json:"file,omitempty"`
	Pos  uint32 `json:"pos,omitempty"`
	GTID string `json:"gtid,omitempty"`
}

func toPosRec(p change.Position) posRec { return posRec{File: p.File, Pos: p.Pos, GTID: p.GTID} }
func (p posRec) position() change.Position {
	return change.Position{File: p.File, Pos: p.Pos, GTID: p.GTID}
}

type checkpointRec struct {
	Pos         posRec    `json:"pos"`
	GTIDSet     string    `json:"gtid_set,omitempty"`
	Seq         uint64    `json:"seq"`
	ServerUUID  string    `json:"server_uuid,omitempty"`
	CommittedAt time.Time `json:"committed_at"`
	// Partitions: sink → topic → partition count.
	Partitions map[string]map[string]int `json:"partitions,omitempty"`
}

type snapshotRec struct {
	Started    bool      `json:"started"`
	StartedAt  time.Time `json:"started_at"`
	Pos        posRec    `json:"pos"`
	GTIDSet    string    `json:"gtid_set,omitempty"`
	Tables     []string  `json:"tables,omitempty"`
	Finished   bool      `json:"finished"`
	FinishedAt time.Time `json:"finished_at"`
	Extra      []byte    `json:"extra,omitempty"`
	// Partitions: sink → topic → partition count.
	Partitions map[string]map[string]int `json:"partitions,omitempty"`
}

type chunkRec struct {
	Low   []byte `json:"low,omitempty"`
	High  []byte `json:"high,omitempty"`
	Done  bool   `json:"done"`
	Rows  uint64 `json:"rows"`
	Pos   posRec `json:"pos"`
	Extra []byte `json:"extra,omitempty"`
}

// EncodeCheckpoint renders a checkpoint record.
func EncodeCheckpoint(c store.Checkpoint) ([]byte, error) {
	return json.Marshal(checkpointRec{Pos: toPosRec(c.Pos), GTIDSet: c.GTIDSet, Seq: c.Seq,
		ServerUUID: c.ServerUUID, CommittedAt: c.CommittedAt.UTC(), Partitions: c.Partitions})
}

// DecodeCheckpoint reads a checkpoint record; a damaged one is ErrBad.
func DecodeCheckpoint(b []byte) (store.Checkpoint, error) {
	var r checkpointRec
	if err := json.Unmarshal(b, &r); err != nil {
		return store.Checkpoint{}, Bad(err)
	}
	return store.Checkpoint{Pos: r.Pos.position(), GTIDSet: r.GTIDSet, Seq: r.Seq,
		ServerUUID: r.ServerUUID, CommittedAt: r.CommittedAt, Partitions: r.Partitions}, nil
}

// EncodeSnapshot renders a snapshot record.
func EncodeSnapshot(s store.Snapshot) ([]byte, error) {
	return json.Marshal(snapshotRec{Started: s.Started, StartedAt: s.StartedAt.UTC(), Pos: toPosRec(s.Pos),
		GTIDSet: s.GTIDSet, Tables: s.Tables, Finished: s.Finished, FinishedAt: s.FinishedAt.UTC(), Extra: s.Extra,
		Partitions: s.Partitions})
}

// DecodeSnapshot reads a snapshot record; a damaged one is ErrBad.
func DecodeSnapshot(b []byte) (store.Snapshot, error) {
	var r snapshotRec
	if err := json.Unmarshal(b, &r); err != nil {
		return store.Snapshot{}, Bad(err)
	}
	return store.Snapshot{Started: r.Started, StartedAt: r.StartedAt, Pos: r.Pos.position(), GTIDSet: r.GTIDSet,
		Tables: r.Tables, Finished: r.Finished, FinishedAt: r.FinishedAt, Extra: r.Extra, Partitions: r.Partitions}, nil
}

// EncodeChunk renders a chunk record.
func EncodeChunk(c store.Chunk) ([]byte, error) {
	return json.Marshal(chunkRec{Low: c.Low, High: c.High, Done: c.Done, Rows: c.Rows, Pos: toPosRec(c.Pos), Extra: c.Extra})
}

// DecodeChunk reads a chunk record; a damaged one is ErrBad.
func DecodeChunk(id uint32, b []byte) (store.Chunk, error) {
	var r chunkRec
	if err := json.Unmarshal(b, &r); err != nil {
		return store.Chunk{}, Bad(err)
	}
	return store.Chunk{ID: id, Low: r.Low, High: r.High, Done: r.Done, Rows: r.Rows, Pos: r.Pos.position(), Extra: r.Extra}, nil
}

type skipRec struct {
	Pos       posRec    `json:"pos"`
	Digest    string    `json:"digest"`
	Statement string    `json:"statement,omitempty"`
	Reason    string    `json:"reason"`
	Who       string    `json:"who,omitempty"`
	At        time.Time `json:"at"`
}

// EncodeSkip renders a skip decision record.
func EncodeSkip(s store.Skip) ([]byte, error) {
	return json.Marshal(skipRec{Pos: toPosRec(s.Pos), Digest: s.Digest, Statement: s.Statement,
		Reason: s.Reason, Who: s.Who, At: s.At.UTC()})
}

// DecodeSkip reads a skip decision record; a damaged one is ErrBad.
func DecodeSkip(b []byte) (store.Skip, error) {
	var r skipRec
	if err := json.Unmarshal(b, &r); err != nil {
		return store.Skip{}, Bad(err)
	}
	return store.Skip{Pos: r.Pos.position(), Digest: r.Digest, Statement: r.Statement,
		Reason: r.Reason, Who: r.Who, At: r.At}, nil
}
