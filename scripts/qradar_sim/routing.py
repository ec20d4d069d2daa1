"""Route table, request and reply objects shared by the console routes and the admin routes."""
import json
from urllib.parse import unquote


class Reply:
    def __init__(self, status=200, body=None, headers=None, raw=None):
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.raw = raw          # bytes sent as they are (a garbage fault: what a failing proxy answers)


class Request:
    def __init__(self, method, path, params, headers, body, path_params, console):
        self.method = method
        self.path = path
        self.params = params            # first value of each URL parameter
        self.headers = headers
        self.body = body
        self.path_params = path_params
        self.console = console

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8") or "null")
        except (UnicodeDecodeError, ValueError) as exc:
            raise ValueError(f"body is not JSON: {exc}")


class Route:
    def __init__(self, method, template, handler):
        self.method = method
        self.template = template
        self.handler = handler
        self.parts = template.strip("/").split("/")

    def match(self, segments):
        """Path parameters when the (still percent-encoded) segments fit this template, else None."""
        if len(segments) != len(self.parts):
            return None
        params = {}
        for part, segment in zip(self.parts, segments):
            if part.startswith("{") and part.endswith("}"):
                if not segment:
                    return None
                # Decoded per segment so an encoded '/' inside a value (%2F) stays inside that value.
                params[part[1:-1]] = unquote(segment)
            elif part != segment:
                return None
        return params


class Router:
    def __init__(self):
        self.routes = []

    def add(self, method, template):
        def register(handler):
            self.routes.append(Route(method, template, handler))
            return handler
        return register

    def resolve(self, method, path):
        """(route, params) for this call; (None, allowed methods) when only the method is wrong;
        (None, None) when no route has this path."""
        segments = path.strip("/").split("/")
        allowed = []
        for route in self.routes:
            params = route.match(segments)
            if params is None:
                continue
            if route.method == method:
                return route, params
            allowed.append(route.method)
        return None, (allowed or None)
