"""Evidence files: photos and PDFs checked by content and size, kept with their original
name, downloaded only by agency staff."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import current_app
from flask_babel import force_locale
from PIL import Image
from sqlalchemy import func, select

from marketplace.core.errors import Refused
from marketplace.extensions import db
from marketplace.promotion import evidence, services
from marketplace.promotion.models import ActivityChange, ActivityEvidence, EvidenceKind
from tests import factories
from tests.cooperatives.helpers import sign_in
from tests.promotion.helpers import activity_input, build_world

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def picture(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, fmt)
    return out.getvalue()


@pytest.fixture
def world(app):
    return build_world()


@pytest.fixture
def activity(world):
    return services.create_activity(activity_input(world), world.yu_staff)


def stored_files() -> list[Path]:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "promotion"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    ("data", "name", "kind", "content_type"),
    [
        (picture("JPEG"), "Ảnh hội chợ.jpg", EvidenceKind.PHOTO, "image/jpeg"),
        (picture("PNG"), "gian-hang.png", EvidenceKind.PHOTO, "image/png"),
        (picture("WEBP"), "livestream.webp", EvidenceKind.PHOTO, "image/webp"),
        (PDF, "Biên bản hội nghị.pdf", EvidenceKind.PDF, "application/pdf"),
        # The content decides, not the name.
        (picture("PNG"), "anh-dat-ten-sai.pdf", EvidenceKind.PHOTO, "image/png"),
    ],
)
def test_good_photos_and_pdfs_are_kept_as_sent(world, activity, data, name, kind, content_type):
    item = evidence.add_evidence(activity, io.BytesIO(data), name, world.yu_staff)

    assert (item.kind, item.content_type, item.original_filename) == (kind, content_type, name)
    assert item.size_bytes == len(data)
    assert evidence.path_of(item).read_bytes() == data
    assert item.stored_name != name and item.stored_name.split(".")[0].isalnum()
    assert ("evidence_added", name) in [(c.action, c.new_value) for c in db.session.scalars(select(ActivityChange))]


def test_folders_in_the_file_name_are_dropped(world, activity):
    item = evidence.add_evidence(activity, io.BytesIO(PDF), "C:\\Users\\lan\\..\\bien-ban.pdf", world.yu_staff)

    assert item.original_filename == "bien-ban.pdf"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"just some text pretending to be a photo", "Only photos (JPEG, PNG or WebP) and PDF"),
        (picture("GIF"), "Only photos (JPEG, PNG or WebP) and PDF"),
        (picture("BMP"), "Only photos (JPEG, PNG or WebP) and PDF"),
        (picture("JPEG")[:200], "Only photos (JPEG, PNG or WebP) and PDF"),  # cut short
        (b"<html>%PDF-1.4</html>", "Only photos (JPEG, PNG or WebP) and PDF"),
        (b"", "The file is empty."),
    ],
)
def test_other_files_are_refused_and_nothing_is_stored(world, activity, data, message):
    with force_locale("en"), pytest.raises(Refused) as refused:
        evidence.add_evidence(activity, io.BytesIO(data), "anh.jpg", world.yu_staff)

    assert refused.value.field == "file"
    assert refused.value.message.startswith(message)
    assert stored_files() == []
    assert db.session.scalar(select(func.count(ActivityEvidence.id))) == 0


def test_a_file_over_the_size_limit_is_refused(world, activity):
    current_app.config["PROMOTION_EVIDENCE_MAX_BYTES"] = len(PDF) - 1

    with pytest.raises(Refused) as refused:
        evidence.add_evidence(activity, io.BytesIO(PDF), "bien-ban.pdf", world.yu_staff)

    assert refused.value.field == "file"
    assert stored_files() == []


def test_a_file_at_the_size_limit_is_accepted(world, activity):
    current_app.config["PROMOTION_EVIDENCE_MAX_BYTES"] = len(PDF)

    evidence.add_evidence(activity, io.BytesIO(PDF), "bien-ban.pdf", world.yu_staff)

    assert len(stored_files()) == 1


def test_no_evidence_once_submitted_nor_from_another_agency(world, activity):
    with pytest.raises(Refused):
        evidence.add_evidence(activity, io.BytesIO(PDF), "bien-ban.pdf", world.ca_staff)
    services.submit(activity, world.yu_staff)
    with pytest.raises(Refused):
        evidence.add_evidence(activity, io.BytesIO(PDF), "bien-ban.pdf", world.yu_staff)
    assert stored_files() == []


def test_removing_evidence_deletes_the_file_and_is_recorded(world, activity):
    item = evidence.add_evidence(activity, io.BytesIO(PDF), "bien-ban.pdf", world.yu_staff)
    path = evidence.path_of(item)

    evidence.delete_evidence(item, world.yu_staff2)

    assert not path.exists()
    assert db.session.scalar(select(func.count(ActivityEvidence.id))) == 0
    last = db.session.scalars(select(ActivityChange).order_by(ActivityChange.id.desc())).first()
    assert (last.action, last.old_value, last.changed_by_id) == ("evidence_removed", "bien-ban.pdf", world.yu_staff2.id)


# --- over HTTP -----------------------------------------------------------------------------


def upload(client, activity_id: int, data: bytes, name: str):
    return client.post(
        f"/agency/promotion/{activity_id}/evidence",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_staff_upload_then_any_staff_downloads_with_the_original_name(world, activity, client):
    factories.commit()
    sign_in(client, world.yu_staff)

    response = upload(client, activity.id, PDF, "Biên bản.pdf")
    assert response.status_code == 302
    item = db.session.scalars(select(ActivityEvidence)).one()

    sign_in(client, world.ca_staff)  # reviewers of another agency need the evidence too
    download = client.get(f"/agency/promotion/{activity.id}/evidence/{item.id}")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "Bi%C3%AAn%20b%E1%BA%A3n.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_refused_upload_over_http_is_a_400_with_nothing_stored(world, activity, client):
    factories.commit()
    sign_in(client, world.yu_staff)

    response = upload(client, activity.id, b"MZ\x90\x00 a program", "setup.pdf")

    assert response.status_code == 400
    assert stored_files() == []
    assert db.session.scalar(select(func.count(ActivityEvidence.id))) == 0


@pytest.mark.parametrize("who", ["customer", "manager_a"])
def test_only_agency_staff_download_or_upload(world, activity, client, who):
    item = evidence.add_evidence(activity, io.BytesIO(PDF), "bien-ban.pdf", world.yu_staff)
    factories.commit()
    sign_in(client, getattr(world, who))

    assert client.get(f"/agency/promotion/{activity.id}/evidence/{item.id}").status_code == 403
    assert upload(client, activity.id, PDF, "khac.pdf").status_code == 403
    assert client.post(f"/agency/promotion/{activity.id}/evidence/{item.id}/delete").status_code == 403
    assert len(stored_files()) == 1


def test_anonymous_visitors_are_sent_to_sign_in(world, activity, client):
    item = evidence.add_evidence(activity, io.BytesIO(PDF), "bien-ban.pdf", world.yu_staff)
    factories.commit()

    response = client.get(f"/agency/promotion/{activity.id}/evidence/{item.id}")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_evidence_of_another_activity_is_not_found(world, activity, client):
    item = evidence.add_evidence(activity, io.BytesIO(PDF), "bien-ban.pdf", world.yu_staff)
    other = services.create_activity(activity_input(world, title="Khác"), world.yu_staff)
    factories.commit()
    sign_in(client, world.yu_staff)

    assert client.get(f"/agency/promotion/{other.id}/evidence/{item.id}").status_code == 404
