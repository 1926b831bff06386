"""Keep patients' names and phones out of the logs.

The desk searches by name or phone (GET /desk/?q=...) and the API's registry search takes
?phone= and ?name=; an access-log line carries the query string. The Procfile's uvicorn runs with
--no-access-log, but the development server (daphne, logger django.channels.server) logs every
request and a reverse proxy may too (docs/deploy.md). This filter, on the console handler and on
uvicorn's access logger, cuts the query string of every URL path in a log line down to "?…".
"""

import logging
import re

QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")


def strip_queries(text: str) -> str:
    return QUERY.sub(r"\1?…", text)


class StripQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "?" in message:
            record.msg, record.args = strip_queries(message), ()
        return True
