"""WebSockets against a real bolt: the handshake and its refusals, RFC 6455 framing (raw frames for
the protocol errors), the handler's API through the ``websockets`` client library, heartbeats and
idle timeouts, and the README's example."""
