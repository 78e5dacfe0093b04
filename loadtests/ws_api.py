"""The WebSocket echo handler both servers import (loadtests/ws_bench.py): bolt through
bolt_site/ws_settings.py, django-bolt 0.13 through competitor/compsite/ws_settings.py."""

from django_bolt import BoltAPI, WebSocket

api = BoltAPI()


@api.websocket("/ws/echo")
async def echo(websocket: WebSocket):
    await websocket.accept()
    while True:
        text = await websocket.receive_text()  # WebSocketDisconnect ends the handler
        await websocket.send_text(text)
