"""CORS answered by Rust."""
