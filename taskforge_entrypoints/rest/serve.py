import signal

import uvicorn
from dishka import Provider

from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.rest.composition import create_app


def serve_api(settings: Settings, *overrides: Provider) -> None:
    # uvicorn re-raises SIGTERM after its graceful shutdown so the previous handler
    # decides the exit; a no-op handler makes a requested stop exit 0, not -15.
    signal.signal(signal.SIGTERM, lambda *_: None)
    uvicorn.run(
        create_app(settings, *overrides),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=10,
    )
