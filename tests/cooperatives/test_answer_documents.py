"""The managers' answer to a request for documents carries files: photos and PDFs checked by
content and size (core.files, as promotion evidence), shown to agency staff on the review page,
downloaded only by agency staff, admins and the cooperative's managers. A bad file is refused
with a clear message and changes nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import current_app
from PIL import Image

from marketplace.cooperatives import services
from marketplace.cooperatives.models import CooperativeDocument, CooperativeStatus, CooperativeStatusChange
from marketplace.extensions import db
from tests.cooperatives.helpers import sign_in

S = CooperativeStatus
REQUEST = "Xin gửi bản sao giấy chứng nhận đăng ký hợp tác xã"
ANSWER = "Bản sao giấy chứng nhận và ảnh nhà xưởng gửi kèm"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
URL = "/workspace/htx-ga-doi/answer"


def picture(fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 30)).save(out, fmt)
    return out.getvalue()


@pytest.fixture
def world(app, make):
    coop = make.cooperative(name="HTX Gà đồi Yên Thế", slug="htx-ga-doi", status=S.PENDING)
    other_coop = make.cooperative(slug="htx-khac", status=S.PENDING)
    people = {
        "customer": make.user(),
        "manager": make.manager(coop, email="quanly@example.vn"),
        "other_manager": make.manager(other_coop, email="khac@example.vn"),
        "staff": make.staff(email="canbo@example.vn"),
        "admin": make.admin(),
    }
    make.commit()
    services.request_documents(coop, people["staff"], REQUEST)
    db.session.commit()
    return people, coop


def stored_files() -> list[Path]:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "cooperative-documents"
    return sorted(folder.iterdir()) if folder.exists() else []


def answer(client, *files, text=ANSWER):
    data = {"answer": text, "documents": [(io.BytesIO(content), name) for content, name in files]}
    return client.post(URL, data=data, content_type="multipart/form-data")


def answered(client, world):
    people, _coop = world
    sign_in(client, people["manager"])
    response = answer(client, (PDF, "Giấy chứng nhận ĐKHTX.pdf"), (picture("PNG"), "nha-xuong.png"))
    assert response.status_code == 302
    db.session.expire_all()
    return db.session.query(CooperativeDocument).order_by(CooperativeDocument.id).all()


def test_the_answer_form_accepts_files(client, world):
    people, _coop = world
    sign_in(client, people["manager"])
    page = client.get("/workspace/htx-ga-doi/").get_data(as_text=True)

    assert 'enctype="multipart/form-data"' in page
    assert 'type="file"' in page and 'name="documents"' in page and "multiple" in page


def test_the_answer_keeps_its_files_with_their_names(client, world):
    people, coop = world
    documents = answered(client, world)

    assert coop.status == S.PENDING
    answer_row = coop.status_changes[0]  # newest first
    assert (answer_row.to_status, answer_row.reason) == (S.PENDING, ANSWER)
    assert [(d.original_filename, d.kind, d.content_type) for d in documents] == [
        ("Giấy chứng nhận ĐKHTX.pdf", "pdf", "application/pdf"),
        ("nha-xuong.png", "photo", "image/png"),
    ]
    assert all(d.status_change_id == answer_row.id for d in documents)
    assert all(d.uploaded_by_id == people["manager"].id for d in documents)
    assert len(stored_files()) == 2
    assert services.document_path(documents[0]).read_bytes() == PDF  # kept as sent, under a random name
    assert documents[0].stored_name != documents[0].original_filename


def test_staff_are_emailed_the_file_names(client, world, outbox):
    answered(client, world)

    body = outbox[-1].get_body(("plain",)).get_content()
    assert outbox[-1]["To"] == "canbo@example.vn"
    assert ANSWER in body and "- Giấy chứng nhận ĐKHTX.pdf" in body and "- nha-xuong.png" in body


def test_staff_see_the_files_on_the_review_page_and_download_them(client, world):
    people, _coop = world
    documents = answered(client, world)
    sign_in(client, people["staff"])

    page = client.get("/agency/cooperatives/htx-ga-doi").get_data(as_text=True)
    link = f"/agency/cooperatives/htx-ga-doi/documents/{documents[0].id}"
    assert f'href="{link}"' in page and "Giấy chứng nhận ĐKHTX.pdf" in page and ANSWER in page

    response = client.get(link)
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    "role, agency_code, workspace_code",
    [
        ("staff", 200, 403),
        ("admin", 200, 200),
        ("manager", 403, 200),
        ("other_manager", 403, 403),
        ("customer", 403, 403),
    ],
)
def test_who_may_download(client, world, role, agency_code, workspace_code):
    people, _coop = world
    document = answered(client, world)[0]
    sign_in(client, people[role])

    assert client.get(f"/agency/cooperatives/htx-ga-doi/documents/{document.id}").status_code == agency_code
    assert client.get(f"/workspace/htx-ga-doi/documents/{document.id}").status_code == workspace_code


def test_anonymous_visitors_and_other_cooperatives_urls_get_nothing(app, client, world, make):
    people, _coop = world
    document = answered(client, world)[0]
    client.get("/account/logout")
    with client.session_transaction() as session:
        session.clear()

    for url in (
        f"/agency/cooperatives/htx-ga-doi/documents/{document.id}",
        f"/workspace/htx-ga-doi/documents/{document.id}",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/account/login" in response.location
    # The file of one cooperative is not reachable through another's address, even for admins.
    sign_in(client, people["admin"])
    assert client.get(f"/agency/cooperatives/htx-khac/documents/{document.id}").status_code == 404
    assert client.get(f"/workspace/htx-khac/documents/{document.id}").status_code == 404
    assert client.get("/agency/cooperatives/htx-ga-doi/documents/999999").status_code == 404


def test_the_managers_see_their_files_in_the_history(client, world):
    documents = answered(client, world)

    page = client.get("/workspace/htx-ga-doi/").get_data(as_text=True)
    assert f'href="/workspace/htx-ga-doi/documents/{documents[1].id}"' in page and "nha-xuong.png" in page


@pytest.mark.parametrize(
    "content, name, message",
    [
        (b"<html>%PDF-1.4</html>", "giay-to.pdf", "Only photos (JPEG, PNG or WebP) and PDF documents are accepted."),
        (b"MZ\x90\x00 an executable", "anh.jpg", "Only photos (JPEG, PNG or WebP) and PDF documents are accepted."),
        (b"", "trong.pdf", "The file is empty."),
        (picture("GIF"), "anh.gif", "Only photos (JPEG, PNG or WebP) and PDF documents are accepted."),
    ],
)
def test_a_bad_file_is_refused_and_nothing_changes(client, world, outbox, content, name, message):
    people, coop = world
    sign_in(client, people["manager"])
    client.get("/lang/en")
    changes = db.session.query(CooperativeStatusChange).count()
    outbox.clear()

    response = answer(client, (PDF, "tot.pdf"), (content, name))

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f"{name}: {message}" in html
    assert ANSWER in html  # the answer typed is kept in the form
    db.session.expire_all()
    assert coop.status == S.NEEDS_DOCUMENTS
    assert db.session.query(CooperativeStatusChange).count() == changes
    assert db.session.query(CooperativeDocument).count() == 0
    assert stored_files() == []
    assert outbox == []


def test_a_file_too_large_is_refused(app, client, world):
    people, coop = world
    app.config["COOPERATIVE_DOCUMENT_MAX_BYTES"] = 200_000
    sign_in(client, people["manager"])
    client.get("/lang/en")

    response = answer(client, (PDF + b"0" * 250_000, "lon.pdf"))

    assert response.status_code == 400
    assert "lon.pdf: The file is too large: at most 0.2 MB." in response.get_data(as_text=True)
    db.session.expire_all()
    assert coop.status == S.NEEDS_DOCUMENTS and stored_files() == []


def test_too_many_files_for_one_answer_are_refused(app, client, world):
    people, coop = world
    app.config["COOPERATIVE_DOCUMENTS_PER_ANSWER"] = 2
    sign_in(client, people["manager"])
    client.get("/lang/en")

    response = answer(client, *[(PDF, f"{n}.pdf") for n in range(3)])

    assert response.status_code == 400
    assert "Attach at most 2 files to one answer." in response.get_data(as_text=True)
    db.session.expire_all()
    assert coop.status == S.NEEDS_DOCUMENTS and stored_files() == []


def test_an_answer_without_files_still_works(client, world):
    people, coop = world
    sign_in(client, people["manager"])

    assert client.post(URL, data={"answer": ANSWER}).status_code == 302
    db.session.expire_all()
    assert coop.status == S.PENDING and db.session.query(CooperativeDocument).count() == 0


def test_files_without_a_text_answer_are_refused(client, world):
    people, coop = world
    sign_in(client, people["manager"])
    client.get("/lang/en")

    response = answer(client, (PDF, "giay.pdf"), text=" ")

    assert response.status_code == 400 and "Write your answer" in response.get_data(as_text=True)
    db.session.expire_all()
    assert coop.status == S.NEEDS_DOCUMENTS and stored_files() == []
