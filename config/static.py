"""WhiteNoise in an async middleware chain.

WhiteNoise's middleware is sync-only, and one sync middleware makes Django's ASGI handler
cross threads around it on every request (async -> sync -> async -> sync view). This subclass
answers static files as WhiteNoise does, and passes every other request on without leaving the
event loop, so a request crosses into the sync thread once, for its view.
"""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    sync_capable = True
    async_capable = True

    def __init__(self, get_response=None, **kwargs):
        super().__init__(get_response, **kwargs)
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        return super().__call__(request)

    def _static_file(self, request):
        return self.find_file(request.path_info) if self.autorefresh else self.files.get(request.path_info)

    async def _acall(self, request):
        static_file = self._static_file(request)
        if static_file is not None:
            return await sync_to_async(self.serve)(static_file, request)
        return await self.get_response(request)
