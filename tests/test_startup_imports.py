"""A web process loads the heavy optional libraries only when it uses them.

Stripe (with requests and aiohttp), Pillow, segno, vietnam-qr-pay, openpyxl and python-docx are
imported by the functions that take a card payment, process a picture, draw a QR code
or write a spreadsheet or a document; Alembic by the `db` commands and whatever migrates; provinces and wards come from vietnam-provinces' data file,
not from its Python modules (see core.geo). Checked in a fresh interpreter, since the
test process itself has imported everything by now.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAZY = ["stripe", "PIL", "segno", "vietnam_qr_pay", "openpyxl", "docx", "vietnam_provinces", "alembic", "flask_migrate"]

SCRIPT = """
import json, sys
from marketplace import create_app
from marketplace.core import geo

folder = sys.argv[1]
app = create_app({
    "SECRET_KEY": "test", "TESTING": True, "MAIL_BACKEND": "memory", "MAIL_QUEUE": "inline",
    "SQLALCHEMY_DATABASE_URI": "sqlite:///" + folder + "/unused.sqlite3",
    "UPLOAD_FOLDER": folder + "/uploads", "SEARCH_INDEX_DIR": folder + "/search-index",
})
with app.app_context():
    # What storefront pages and the checkout form show: provinces, wards, a ward's name.
    bac_ninh = geo.find_province("Bắc Ninh")
    assert geo.provinces() and geo.ward_name(geo.find_ward(bac_ninh, "Lục Ngạn"))
    assert geo.wards(bac_ninh) and geo.ward_belongs_to(geo.wards(bac_ninh)[0][0], bac_ninh)
print(json.dumps([name for name in sys.argv[2:] if name in sys.modules]))
"""


def test_create_app_and_place_names_load_no_heavy_library(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), *LAZY],
        cwd=ROOT,
        env={**os.environ, "INSTANCE_PATH": str(tmp_path / "instance")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == []


def test_db_commands_load_alembic_when_used(tmp_path):
    """`marketplace db upgrade` then `db current`, as an operator runs them, on a new database."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/new.sqlite3", "INSTANCE_PATH": str(tmp_path / "i")}
    command = [sys.executable, "-m", "marketplace.cli", "db"]
    upgraded = subprocess.run([*command, "upgrade"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert upgraded.returncode == 0, upgraded.stderr
    current = subprocess.run([*command, "current"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert current.returncode == 0, current.stderr
    assert "(head)" in current.stdout
    assert "plugin" not in current.stderr  # Alembic's import chatter stays out of the operator's way
