"""`abort()` (a reset) on server-side connections, as the simulator and test devices use
it: harmless when repeated, or when the connection is already closed."""

from __future__ import annotations

import asyncio

from conftest import TIMEOUT, connect, serving

from tuyaface_transport import AsyncTransport, TransportFactory


async def test_abort_twice_and_after_close(factory: TransportFactory, mode: str) -> None:
    errors: list[BaseException] = []
    done = asyncio.Event()

    async def handler(transport: AsyncTransport) -> None:
        try:
            assert await transport.receive(TIMEOUT) == b"hi"
            transport.abort()  # type: ignore[attr-defined]
            await asyncio.sleep(0.01)  # the loop closes the socket meanwhile
            transport.abort()  # type: ignore[attr-defined]
            await transport.aclose()
            transport.abort()  # type: ignore[attr-defined]
        except BaseException as exc:  # reported by the test, not by the server's log
            errors.append(exc)
        finally:
            done.set()

    async with serving(factory, handler) as address:
        client = await connect(factory, mode, address)
        await client.send(b"hi")
        await asyncio.wait_for(done.wait(), 5.0)
        await client.close()
    assert not errors
