from django.db import models

from returns_desk.core import clock


class Document(models.Model):
    """A rendered PDF of a return, kept in storage until the data on it changes."""

    class Kind(models.TextChoices):
        LABEL = "label", "Return label"
        PACKING_SLIP = "packing_slip", "Packing slip"
        RECEIPT = "receipt", "Refund receipt"
        CREDIT_NOTE = "credit_note", "Credit note"
        EXCHANGE_CONFIRMATION = "exchange_confirmation", "Exchange confirmation"

    return_request = models.ForeignKey("returns.ReturnRequest", on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    file = models.FileField(upload_to="documents/%Y/%m/")
    fingerprint = models.CharField(max_length=64, help_text="Hash of the data printed on it; a change re-renders.")
    rendered_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["return_request", "kind"], name="one_document_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for return {self.return_request_id}"
