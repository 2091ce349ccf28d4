"""看一看: materials per item, what may be uploaded, who may read them, and that backups keep them.

The type is told from the bytes (an EXE renamed `.pdf` is refused), a file over the limit and a
PDF that will not render get a clear error; PDF pages become images at upload, a DOCX its text.
Only the meeting's reading link, a card of that meeting (not withdrawn) and the console read.
"""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from conftest import ADMIN_TOKEN, Api, docx_bytes, jpeg_bytes, pdf_bytes
from voting import materials
from voting.errors import BadInput

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(200)
BROKEN_PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage garbage\n%%EOF\n"


# -- sniffing and limits (no app) ---------------------------------------------------------------


def test_the_type_is_told_from_the_bytes_not_the_name():
    assert materials.sniff(pdf_bytes(1), "a.txt").kind == "pdf"
    assert materials.sniff(jpeg_bytes(), "a.pdf") == materials.Sniffed("image", "jpeg")
    assert materials.sniff(docx_bytes("报告"), "x.bin").kind == "docx"
    text = "述法报告\n第一段".encode()
    assert materials.sniff(text, "r.pdf") == materials.Sniffed("text", "utf-8")
    gbk = "述法报告：依法行政".encode("gb18030")
    assert materials.sniff(gbk, "r.txt") == materials.Sniffed("text", "gb18030")
    assert materials.decode_text(gbk, "gb18030") == "述法报告：依法行政"
    png = b"\x89PNG\r\n\x1a\n" + bytes(20)
    assert materials.sniff(png).subtype == "png"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (EXE, "wrong_type"),
        (b"PK\x03\x04" + bytes(100), "wrong_type"),  # a zip that is no DOCX
        (b"", "empty_file"),
    ],
)
def test_what_cannot_be_used_is_refused_with_its_code(data, code):
    with pytest.raises(BadInput) as refused:
        materials.sniff(data, "报告.pdf")
    assert refused.value.code == code
    assert "报告.pdf" in refused.value.message


def test_a_zip_that_holds_other_files_is_no_docx():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("virus.exe", EXE)
    with pytest.raises(BadInput):
        materials.sniff(out.getvalue(), "a.docx")


def test_a_file_over_the_limit_is_refused_saying_the_limit():
    with pytest.raises(materials.TooLarge) as refused:
        materials.check_size(30 * 1024 * 1024, "大文件.pdf")
    assert refused.value.status == 413
    assert "20 MB" in refused.value.message and "30.0" in refused.value.message


def test_names_are_cleaned():
    assert materials.clean_name("C:\\docs\\报告\x00.pdf") == "报告.pdf"
    assert materials.clean_name("../../etc/passwd") == "passwd"
    assert materials.clean_name("") == "未命名"
    assert len(materials.clean_name("长" * 500)) == materials.NAME_MAX


# -- the API -----------------------------------------------------------------------------------


def upload(api: Api, meeting_id: int, data: bytes, name: str, item: int | None = None):
    form = {"file": (io.BytesIO(data), name)}
    if item is not None:
        form["item"] = str(item)
    return api.client.post(
        f"/api/meetings/{meeting_id}/materials", data=form, headers=api.headers,
        content_type="multipart/form-data",
    )  # fmt: skip


@pytest.fixture
def made(api):
    """A meeting with 4 items, a PDF of 3 pages, a JPEG, a DOCX and a text file on them."""
    m = api.meeting(cards=2, items=4)
    mid, items = m["meeting"]["id"], m["items"]
    files = [
        (pdf_bytes(3), "述法报告.pdf"),
        (jpeg_bytes(), "照片.jpg"),
        (docx_bytes("一、基本情况", "二、存在问题"), "依据.docx"),
        ("整改情况说明\n已完成".encode(), "说明.txt"),
    ]
    got = []
    for item, (data, name) in zip(items, files, strict=True):
        r = upload(api, mid, data, name, item)
        assert r.status_code == 201, r.get_json()
        got.append(r.get_json())
    return {**m, "materials": got}


def test_uploads_are_kept_as_pages_or_text(app, api, made, tmp_path):
    pdf, jpeg, docx_, text = made["materials"]
    assert (pdf["kind"], pdf["pages"], pdf["name"]) == ("pdf", 3, "述法报告.pdf")
    assert (jpeg["kind"], jpeg["pages"]) == ("image", 1)
    assert (docx_["kind"], docx_["pages"], text["kind"]) == ("docx", 0, "text")
    mid = made["meeting"]["id"]
    listed = api.get(f"/meetings/{mid}/materials").get_json()
    assert [m["id"] for m in listed["materials"]] == [m["id"] for m in made["materials"]]
    assert listed["missing"] == [] and listed["reading_key"] is None
    from PIL import Image

    page = api.client.get(f"/materials/{mid}/{pdf['id']}/2", headers=api.headers)
    assert page.status_code == 200 and page.mimetype == "image/jpeg"
    assert "private" in page.headers["Cache-Control"]
    assert Image.open(io.BytesIO(page.data)).width == 1200  # sized for a phone
    assert api.client.get(f"/materials/{mid}/{pdf['id']}/4", headers=api.headers).status_code == 404
    said = api.client.get(f"/materials/{mid}/{docx_['id']}/text", headers=api.headers)
    assert said.get_data(as_text=True) == "一、基本情况\n二、存在问题"
    assert said.mimetype == "text/plain"
    kept = tmp_path / "materials" / str(mid) / str(pdf["id"])
    assert sorted(p.name for p in kept.iterdir()) == ["1.jpg", "2.jpg", "3.jpg", "original.pdf"]


def test_general_materials_and_items_without_any(api):
    m = api.meeting(cards=1, items=2)
    mid, (first, second) = m["meeting"]["id"], m["items"]
    assert upload(api, mid, "会议议程".encode(), "议程.txt").status_code == 201
    assert upload(api, mid, pdf_bytes(1), "报告.pdf", first).status_code == 201
    listed = api.get(f"/meetings/{mid}/materials").get_json()
    assert [m["item_id"] for m in listed["materials"]] == [None, first]
    assert listed["missing"] == [second]  # 缺少材料


@pytest.mark.parametrize(
    ("data", "name", "status", "code", "words"),
    [
        (EXE, "报告.pdf", 400, "wrong_type", "PDF"),
        (BROKEN_PDF, "坏的.pdf", 400, "unreadable_pdf", "坏的.pdf"),
        (b"", "空.txt", 400, "empty_file", "空.txt"),
    ],
)
def test_a_clear_error_for_what_cannot_be_shown(api, data, name, status, code, words):
    mid = api.meeting(cards=1, items=1)["meeting"]["id"]
    r = upload(api, mid, data, name)
    assert (r.status_code, r.get_json()["error"]) == (status, code), r.get_json()
    assert words in r.get_json()["message"]
    assert api.get(f"/meetings/{mid}/materials").get_json()["materials"] == []


def test_a_30_mb_file_gets_a_json_error_saying_the_limit(api, tmp_path):
    mid = api.meeting(cards=1, items=1)["meeting"]["id"]
    r = upload(api, mid, b"%PDF-1.7\n" + bytes(30 * 1024 * 1024), "大.pdf")
    assert r.status_code == 413 and r.is_json
    assert r.get_json()["error"] == "too_large"
    assert "20 MB" in r.get_json()["message"]
    english = api.client.post(
        f"/api/meetings/{mid}/materials", data={"file": (io.BytesIO(bytes(21 * 2**20)), "a")},
        headers={**api.headers, "Cookie": "lang=en"}, content_type="multipart/form-data",
    )  # fmt: skip
    assert english.status_code == 413 and english.get_json()["error"] == "too_large"


def test_an_upload_to_an_item_of_another_meeting_is_refused(api):
    a = api.meeting(cards=1, items=1)
    b = api.meeting(cards=1, items=1)
    r = upload(api, a["meeting"]["id"], pdf_bytes(1), "x.pdf", b["items"][0])
    assert r.status_code == 404
    assert upload(api, a["meeting"]["id"], pdf_bytes(1), "x.pdf", "abc").status_code == 400


def test_delete_removes_the_row_and_the_files(api, made, tmp_path):
    mid, pdf = made["meeting"]["id"], made["materials"][0]
    api.send("DELETE", f"/meetings/{mid}/materials/{pdf['id']}", None, 200)
    assert not (tmp_path / "materials" / str(mid) / str(pdf["id"])).exists()
    assert api.client.get(f"/materials/{mid}/{pdf['id']}/1", headers=api.headers).status_code == 404
    api.send("DELETE", f"/meetings/{mid}/materials/{pdf['id']}", None, 404)
    listed = api.get(f"/meetings/{mid}/materials").get_json()
    assert listed["missing"] == [made["items"][0]]


def test_deleting_an_item_or_the_meeting_takes_its_materials(api, made, tmp_path):
    mid = made["meeting"]["id"]
    api.send("DELETE", f"/meetings/{mid}/items/{made['items'][0]}", None, 200)
    assert len(api.get(f"/meetings/{mid}/materials").get_json()["materials"]) == 3
    assert not (tmp_path / "materials" / str(mid) / str(made["materials"][0]["id"])).exists()
    api.send("DELETE", f"/meetings/{mid}", None, 200)
    assert not (tmp_path / "materials" / str(mid)).exists()


# -- who may read ------------------------------------------------------------------------------


def test_who_may_read(app, api, made):
    mid, pdf = made["meeting"]["id"], made["materials"][0]
    other = api.meeting(cards=1, items=1)
    anyone = app.test_client()
    page, listing = f"/materials/{mid}/{pdf['id']}/1", f"/materials/{mid}.json"

    def status(url: str, key: str | None = None) -> int:
        return anyone.get(url + (f"?k={key}" if key is not None else "")).status_code

    assert status(page) == status(listing) == 404  # neither card nor link
    key = api.post(f"/meetings/{mid}/reading", None, 201).get_json()["reading_key"]
    assert status(page, key) == status(listing, key) == 200  # the reading link
    card = made["cards"][0]["token"]
    assert status(page, card) == status(listing, card) == 200  # a card of this meeting
    assert status(page, other["cards"][0]["token"]) == 404  # a card of another meeting
    assert status(f"/materials/{other['meeting']['id']}.json", key) == 404  # link of another
    shown = anyone.get(f"/materials/{mid}.json?k={key}").get_json()
    assert set(shown) == {"meeting", "title", "general", "items", "labels"}
    assert [m["id"] for m in shown["items"][0]["materials"]] == [pdf["id"]]
    reading = anyone.get(f"/r/{key}")
    assert reading.status_code == 200 and "市第0局" in reading.get_data(as_text=True)
    assert reading.headers["Cache-Control"] == "no-store"

    api.send("DELETE", f"/meetings/{mid}/reading", None, 200)  # withdrawn
    assert status(page, key) == status(listing, key) == 404
    refused = anyone.get(f"/r/{key}")
    assert refused.status_code == 404 and "已被收回" in refused.get_data(as_text=True)
    api.post(f"/meetings/{mid}/cards/1/revoke", None, 200)
    assert status(page, card) == 404  # a withdrawn card
    assert status(page, made["cards"][1]["token"]) == 200


def test_a_new_reading_link_replaces_the_old(app, api, made):
    mid = made["meeting"]["id"]
    first = api.post(f"/meetings/{mid}/reading", None, 201).get_json()
    second = api.post(f"/meetings/{mid}/reading", None, 201).get_json()
    assert first["reading_key"] != second["reading_key"]
    assert second["reading_url"].endswith("/r/" + second["reading_key"])
    anyone = app.test_client()
    assert anyone.get(f"/r/{first['reading_key']}").status_code == 404
    assert anyone.get(f"/r/{second['reading_key']}").status_code == 200


def test_the_ballot_page_offers_materials_only_on_items_that_have_some(app, api, made):
    other = api.meeting(cards=1, items=1)
    page = app.test_client().get(f"/v/{made['cards'][0]['token']}").get_data(as_text=True)
    assert f'data-mat=" {" ".join(map(str, made["items"]))} "' in page
    bare = app.test_client().get(f"/v/{other['cards'][0]['token']}").get_data(as_text=True)
    assert 'data-mat="  "' in bare


def test_a_waiting_phone_offers_the_meetings_general_materials_once_it_has_some(app, api, made):
    mid, token = made["meeting"]["id"], made["cards"][0]["token"]
    general = 'data-mat="g"'
    assert general not in app.test_client().get(f"/v/{token}").get_data(as_text=True)
    r = upload(api, mid, "会议议程\n一、述法".encode(), "议程.txt")
    assert r.status_code == 201
    page = app.test_client().get(f"/v/{token}").get_data(as_text=True)
    assert page.count(general) == 1 and "会议材料" in page
    shown = app.test_client().get(f"/materials/{mid}.json?k={token}").get_json()
    assert [m["name"] for m in shown["general"]] == ["议程.txt"]
    api.send("DELETE", f"/meetings/{mid}/materials/{r.get_json()['id']}", None, 200)
    assert general not in app.test_client().get(f"/v/{token}").get_data(as_text=True)


# -- backups -----------------------------------------------------------------------------------


def test_backups_keep_the_materials_files(app, api, made, tmp_path):
    mid, pdf = made["meeting"]["id"], made["materials"][0]
    store = app.extensions["ceping"].store
    copy = store.backup(mid)
    kept = copy.with_suffix(".materials") / str(mid) / str(pdf["id"])
    assert sorted(p.name for p in kept.iterdir()) == ["1.jpg", "2.jpg", "3.jpg", "original.pdf"]
    api.send("DELETE", f"/meetings/{mid}/materials/{pdf['id']}", None, 200)
    assert (kept / "1.jpg").exists()  # the backup keeps what was deleted after it
    restored = tmp_path / "restored"
    restored.mkdir()
    (restored / "ceping.sqlite").write_bytes(copy.read_bytes())
    import shutil

    shutil.copytree(copy.with_suffix(".materials"), restored / "materials")
    from app import create_app

    again = create_app({"INSTANCE": str(restored), "TESTING": True, "ADMIN_TOKEN": ADMIN_TOKEN,
                        "CLOCK_INTERVAL": 0})  # fmt: skip
    back = Api(again.test_client())
    r = back.client.get(f"/materials/{mid}/{pdf['id']}/3", headers=back.headers)
    assert r.status_code == 200 and r.mimetype == "image/jpeg"


def test_rendering_20_pages_at_upload(api, capsys):
    """The time a 20-page PDF takes at upload (printed for docs/PERFORMANCE.md, not asserted)."""
    mid = api.meeting(cards=1, items=1)["meeting"]["id"]
    data = pdf_bytes(20)
    start = time.perf_counter()
    r = upload(api, mid, data, "二十页.pdf")
    took = time.perf_counter() - start
    assert r.status_code == 201 and r.get_json()["pages"] == 20
    with capsys.disabled():
        print(f"\n20-page PDF rendered at upload in {took:.2f} s")
