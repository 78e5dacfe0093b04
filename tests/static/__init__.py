"""Static and media files served by Rust."""
