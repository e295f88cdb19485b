"""tuyaface-transport: bytes over TCP, asyncio, UDP and an in-memory loopback."""
