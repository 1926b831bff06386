"""Shared REST API plumbing: pagination and turning every error into a 4xx with a reason."""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from scheduling.errors import DomainError

logger = logging.getLogger(__name__)


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def exception_handler(exc, context):
    """DRF's handler plus our domain errors: refusals from the allocation service and the
    scheduling services carry their own status and a readable reason (on the field they are
    about, when they name one); nothing becomes a 500 that the client could have avoided."""
    if isinstance(exc, DomainError) and exc.field:
        return Response({exc.field: [exc.message]}, status=exc.status_code)
    if isinstance(exc, DomainError):
        body = {"detail": exc.message, "code": exc.code, **getattr(exc, "extra", {})}
        response = Response(body, status=exc.status_code)
        if exc.status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
            response["Retry-After"] = "1"
        return response
    if isinstance(exc, ProtectedError):
        return Response(
            {"detail": "It is still referred to by bookings or slots, so it cannot be deleted.", "code": "in_use"},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        # A constraint is the last line of defence: reaching it means two requests raced past
        # a check. Refuse clearly and log it, so it can be investigated.
        logger.error("Integrity error in API request", exc_info=exc)
        return Response(
            {"detail": "This change conflicts with another one made at the same moment; please retry.", "code": "conflict"},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)
