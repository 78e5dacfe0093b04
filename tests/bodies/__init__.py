"""JSON bodies: typed request bodies decoded in Rust (and the codec underneath), what the encoder
writes for each returned type."""
