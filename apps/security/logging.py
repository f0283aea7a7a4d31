"""A logging filter that adds the request id and client IP (from the audit context) to every record, so
`%(request_id)s %(client_ip)s` can appear in the log format."""
import logging

from apps.audit.context import request_id, request_ip


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        record.client_ip = request_ip.get() or "-"
        return True
