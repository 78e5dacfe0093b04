"""The README's "Streaming" example, run through the test client."""

from __future__ import annotations

import asyncio

from django_bolt import BoltAPI, EventSourceResponse, ServerSentEvent, StreamingResponse
from django_bolt.testing import TestClient


def test_readme_streaming_example(demo_apis):
    from people.models import Person

    api = BoltAPI()

    @api.get("/export")
    def export():
        def rows():
            yield "id,name\n"
            for p in Person.objects.iterator():
                yield f"{p.id},{p.name}\n"

        return StreamingResponse(rows(), media_type="text/csv")

    @api.get("/ticks", response_class=EventSourceResponse)
    async def ticks():
        for i in range(3):
            yield ServerSentEvent(data={"n": i}, event="tick", id=str(i))
            await asyncio.sleep(0.2)

    with TestClient(api) as c:
        csv = c.get("/export")
        assert csv.headers["content-type"] == "text/csv"
        lines = csv.text.splitlines()
        people = list(Person.objects.order_by("id").values_list("id", "name"))
        assert lines[0] == "id,name" and len(lines) == 1 + len(people) > 1
        assert sorted(lines[1:]) == sorted(f"{i},{n}" for i, n in people)
        events = c.get("/ticks")
        assert events.headers["content-type"] == "text/event-stream"
        assert events.text == "".join(f'event: tick\ndata: {{"n":{i}}}\nid: {i}\n\n' for i in range(3))
