package pipeline

// The pipeline actor receives *source.Process and sends *sink.Write or,
// when nothing is left to write, *checkpointer.BatchAcked. It has no messages
// of its own.
