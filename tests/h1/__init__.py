"""HTTP/1.1 on the wire: framing, bodies (chunked, Content-Length), keep-alive and pipelining, refused
requests, garbage and vanished clients, descriptors and threads given back."""
