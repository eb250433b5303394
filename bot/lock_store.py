"""One conversation on one worker at a time, in two Redis round trips per message.

Rasa's ``RedisLockStore`` keeps a queue of tickets as JSON under one key and
reads and rewrites it with the blocking redis client: about six round trips
per message (issue a ticket, check it is served, finish serving, clean up),
each of which stops the worker's event loop, and a waiting message polls once
a second. Profiled under the serving benchmark (8 users, 2 workers, py-spy),
those calls were about an eighth of the event loop's time: on a busy machine
every round trip also waits for redis-server to be scheduled.

``ConversationLockStore`` takes the same lock with one ``SET key token NX PX``
and releases it with one compare-and-delete script, on redis' asyncio client,
so the event loop serves other conversations meanwhile. A message that finds
its conversation locked retries every 10 ms (a customer's second message, sent
while the first is answered, waits for it, not for a second). The lock
expires after ``lock_lifetime`` like Rasa's tickets, so a worker that dies
holding it blocks the conversation for at most that long. There is no queue:
two messages waiting for the same conversation are served in either order,
as they would be if they had arrived a moment apart.

The keys (``finbot:conversation-lock:<conversation>``) differ from Rasa's
(``finbot:lock:<conversation>``), so a worker of an older release during a
rolling upgrade never misreads one.
"""
from __future__ import annotations

import asyncio
import uuid
from contextlib import asynccontextmanager
from typing import AsyncIterator, Optional

from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore

KEY_PREFIX = "finbot:conversation-lock:"
RETRY_SECONDS = 0.01
# Delete the key only if it still holds our token: after an expiry another message may own it.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class ConversationLockStore(RedisLockStore):
    """A Redis lock per conversation (see the module docstring).

    A ``RedisLockStore`` to Rasa (so Rasa treats it as safe for several
    workers), but only ``lock()`` is used: the ticket methods are Rasa's and
    touch Rasa's keys, which this store never writes.
    """

    def __init__(self, url: str, socket_timeout: float = 10.0) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        super().__init__(host=parts.hostname or "localhost", port=parts.port or 6379,
                         db=int(parts.path.strip("/") or 0), username=parts.username, password=parts.password,
                         use_ssl=parts.scheme == "rediss", key_prefix="finbot", socket_timeout=socket_timeout)
        self.url, self.socket_timeout = url, socket_timeout
        self._clients: dict[int, object] = {}

    def _client(self):
        """redis' asyncio client for the running event loop (its connections belong to one loop)."""
        import redis.asyncio

        loop = asyncio.get_running_loop()
        client = self._clients.get(id(loop))
        if client is None or client[0] is not loop:
            # drop clients of loops that have ended (asyncio.run in tests, `finbot chat`)
            self._clients = {key: value for key, value in self._clients.items() if not value[0].is_closed()}
            connection = redis.asyncio.Redis.from_url(self.url, socket_timeout=self.socket_timeout)
            client = self._clients[id(loop)] = (loop, connection, connection.register_script(_RELEASE))
        return client[1], client[2]

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = RETRY_SECONDS) -> AsyncIterator[None]:
        """Hold the conversation's lock for the body; LockError if it stays taken longer than it can live."""
        redis_client, release = self._client()
        key, token = KEY_PREFIX + conversation_id, uuid.uuid4().hex
        lifetime_ms = max(1, int(lock_lifetime * 1000))
        retry = min(wait_time_in_seconds, RETRY_SECONDS)
        deadline = asyncio.get_running_loop().time() + lock_lifetime
        while not await redis_client.set(key, token, nx=True, px=lifetime_ms):
            if asyncio.get_running_loop().time() > deadline:
                raise LockError(f"conversation {conversation_id!r} stayed locked for {lock_lifetime:.0f} s")
            await asyncio.sleep(retry)
        try:
            yield None
        finally:
            await release(keys=[key], args=[token])

    async def holder(self, conversation_id: str) -> Optional[str]:
        """The token holding the conversation's lock, or None (for monitoring and tests)."""
        redis_client, _ = self._client()
        value = await redis_client.get(KEY_PREFIX + conversation_id)
        return value.decode() if value is not None else None
