// Package lz4frame writes LZ4 frames the way Kafka's lz4 compression codec
// carries them inside a record batch, reusing one compressor's hash table
// and buffers from one frame to the next.
//
// A frame has independent blocks of at most 64 KiB (what Kafka's own Java
// producer writes) and no block or content checksum: the record batch has
// its own CRC, and the checksum over all the content would cost a pass
// over every byte. Any LZ4 frame reader decodes it (Kafka's broker and
// Java clients, pierrec/lz4, liblz4).
//
// It is not a decoder, and an Encoder is not safe for concurrent use: the
// Kafka writers keep a free list of them (actors/sink/kafkawriter,
// actors/sink/txwriter).
package lz4frame
