"""PDFs read back: page sizes, text, amounts; rendered once per version of their data; private links."""

import io

import pytest
from pypdf import PdfReader

from returns_desk.core.actors import Actor
from returns_desk.documents import rendering
from returns_desk.documents.models import Document
from returns_desk.documents.services import document_current
from returns_desk.orders.models import Order
from returns_desk.payments import services as payments
from returns_desk.returns import services
from tests.factories import OrderFactory, return_in_state


def read_pdf(content: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(content))


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def approved(reference_data):
    order = OrderFactory(
        customer_name="Casey Customer", shipping_address="Casey Customer\n12 Mill Lane\nLeeds LS1 3AB", amount_paid=5000
    )
    return return_in_state("approved", unit_price=2500, quantity=2, order=order)


def test_label_is_4_by_6_inches_with_rma_addresses_and_order(approved, settings):
    reader = read_pdf(rendering.render(approved, "label").content)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (288, 432)
    text = text_of(reader)
    assert approved.rma_number in text
    assert "12 Mill Lane" in text and "Leeds LS1 3AB" in text
    assert "Avonmouth Trade Park" in text  # the warehouse, from settings
    assert f"Order {approved.order.number}" in text and "2 items" in text


def test_packing_slip_is_a4_with_items_reasons_and_a_cut_line(approved):
    reader = read_pdf(rendering.render(approved, "packing_slip").content)
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    text = text_of(reader)
    line = approved.items.get().order_line
    assert approved.rma_number in text and line.title in text and line.sku in text
    assert "Arrived damaged" in text and "cut here" in text


def test_receipt_shows_the_settlement_and_the_provider_reference(agent, django_capture_on_commit_callbacks):
    rr = return_in_state("inspected", unit_price=2500, quantity=2)
    with django_capture_on_commit_callbacks(execute=True):
        payments.return_issue_refund(return_request=rr, by=Actor.staff(agent), reference="BANK-4242")
    rr.refresh_from_db()
    assert rr.status == "resolved"
    doc = Document.objects.get(return_request=rr, kind="receipt")  # rendered by the task on resolution
    text = text_of(read_pdf(doc.file.open("rb").read()))
    assert "Refund receipt" in text and rr.rma_number in text
    assert "$50.00" in text and "BANK-4242" in text and "Refund to the original payment" in text


def test_approval_renders_label_and_slip_in_the_background(agent, django_capture_on_commit_callbacks):
    rr = return_in_state("requested", unit_price=2000)
    with django_capture_on_commit_callbacks(execute=True):
        services.return_approve(return_request=rr, by=Actor.staff(agent))
    assert set(Document.objects.filter(return_request=rr).values_list("kind", flat=True)) == {"label", "packing_slip"}


def test_a_second_download_does_not_render_again_but_changed_data_does(approved, client, monkeypatch):
    calls = []
    real_render = rendering.render

    def counting(rr, kind):
        calls.append(kind)
        return real_render(rr, kind)

    monkeypatch.setattr(rendering, "render", counting)
    url = f"/returns/status/{approved.customer_token}/documents/label.pdf"
    first = client.get(url)
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    assert f'filename="{approved.rma_number}-return-label.pdf"' in first["Content-Disposition"]
    client.get(url)
    assert calls == ["label"]
    Order.objects.filter(pk=approved.order_id).update(shipping_address="Casey Customer\n3 Quay Street\nYork")
    changed = b"".join(client.get(url).streaming_content)
    assert calls == ["label", "label"]
    assert "3 Quay Street" in text_of(read_pdf(changed))


def test_customer_link_opens_its_own_return_only(approved, client):
    other = return_in_state("approved", unit_price=2000)
    assert client.get(f"/returns/status/{approved.customer_token}/").status_code == 200
    assert client.get(f"/returns/status/{approved.customer_token}x/documents/label.pdf").status_code == 404
    page = client.get(f"/returns/status/{other.customer_token}/").content.decode()
    assert other.rma_number in page and approved.rma_number not in page


def test_documents_are_not_offered_before_approval(reference_data, client):
    rr = return_in_state("requested", unit_price=2000)
    assert client.get(f"/returns/status/{rr.customer_token}/documents/label.pdf").status_code == 404
    assert "Your documents" not in client.get(f"/returns/status/{rr.customer_token}/").content.decode()
    assert client.get(f"/returns/status/{rr.customer_token}/documents/passport.pdf").status_code == 404


def test_staff_download_from_the_ticket(approved, agent, outsider, client):
    url = f"/desk/returns/{approved.pk}/documents/packing_slip.pdf"
    assert client.get(url).status_code == 302  # log in first
    client.force_login(outsider)
    assert client.get(url).status_code == 403
    client.force_login(agent)
    page = client.get(approved.get_absolute_url()).content.decode()
    assert url in page
    assert approved.rma_number in text_of(read_pdf(b"".join(client.get(url).streaming_content)))


def test_status_page_speaks_plain_words(approved, client):
    page = client.get(f"/returns/status/{approved.customer_token}/").content.decode()
    assert "Your return is approved" in page and "Print the label" in page
    assert "Return label (PDF)" in page


def test_document_is_rendered_to_storage_once(approved):
    doc = document_current(return_id=approved.pk, kind="label")
    again = document_current(return_id=approved.pk, kind="label")
    assert doc.pk == again.pk and doc.file.name == again.file.name and doc.rendered_at == again.rendered_at
