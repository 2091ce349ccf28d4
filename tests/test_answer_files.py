"""The files a department sends with its answer on a follow-up (整改报告): kept as the sitting's
materials are, listed in the ledger, read by the console alone, never one of the sitting's
materials (its listing, the phones' 查看材料, the reading link, 缺少材料)."""

from __future__ import annotations

import io

from conftest import ADMIN_TOKEN, docx_bytes, login, pdf_bytes

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(200)


def short(api, **settings) -> dict:
    """A meeting with 2 cards and 2 items, the first revealed 不满意 (a follow-up), the second
    not yet rated, with a material of its own."""
    m = api.meeting(cards=2, items=2, **settings)
    mid, (item, other) = m["meeting"]["id"], m["items"]
    body = {"items": [item], "override_quorum": True, "accept_unreachable": True}
    api.post(f"/meetings/{mid}/open", body, 200)
    api.move(mid, "close", [item])
    api.post(f"/meetings/{mid}/items/{item}/paper", {"counts": {"unsatisfied": 2}}, 200)
    api.move(mid, "reveal", [item])
    assert send(api, mid, other, pdf_bytes(1), "材料.pdf", "materials").status_code == 201
    return {"mid": mid, "item": item, "other": other, "cards": m["cards"]}


def send(api, mid: int, item: int, data: bytes, name: str, where: str = "files"):
    if where == "files":
        url = f"/api/meetings/{mid}/followups/{item}/files"
        form = {"file": (io.BytesIO(data), name)}
    else:
        url = f"/api/meetings/{mid}/materials"
        form = {"file": (io.BytesIO(data), name), "item": str(item)}
    return api.client.post(url, data=form, headers=api.headers, content_type="multipart/form-data")


def ledger_row(api, item: int) -> dict:
    (row,) = [r for r in api.get("/ledger").get_json()["rows"] if r["item"] == item]
    return row


def test_answer_files_are_listed_read_by_the_console_only_and_deleted(app, api):
    s = short(api)
    mid, item = s["mid"], s["item"]
    pdf = send(api, mid, item, pdf_bytes(2), "整改报告.pdf")
    assert pdf.status_code == 201, pdf.get_json()
    pdf = pdf.get_json()
    docx = send(api, mid, item, docx_bytes("整改情况", "已完成窗口改造"), "说明.docx").get_json()
    assert (pdf["kind"], pdf["pages"], docx["kind"], docx["pages"]) == ("pdf", 2, "docx", 0)
    row = ledger_row(api, item)
    assert row["files"] == [
        {"id": pdf["id"], "name": "整改报告.pdf", "kind": "pdf", "pages": 2},
        {"id": docx["id"], "name": "说明.docx", "kind": "docx", "pages": 0},
    ]
    assert row["history"][-1]["changed"] == ["files"]
    entries = api.get(f"/meetings/{mid}/audit").get_json()["entries"]
    added = [e["detail"] for e in entries if e["action"] == "followup_file"]
    assert [d["name"] for d in added] == ["整改报告.pdf", "说明.docx"] and added[0]["item"] == item
    # the console reads them (token, or a login)
    page, text = f"/materials/{mid}/{pdf['id']}/1", f"/materials/{mid}/{docx['id']}/text"
    assert api.client.get(page, headers=api.headers).status_code == 200
    assert "已完成窗口改造" in api.client.get(text, headers=api.headers).get_data(as_text=True)
    console = app.test_client()
    login(console, ADMIN_TOKEN)
    assert console.get(page).status_code == 200
    # a card of the meeting, the reading link and nobody at all do not
    key = api.post(f"/meetings/{mid}/reading", None, 201).get_json()["reading_key"]
    anyone = app.test_client()
    for k in (s["cards"][0]["token"], key, None):
        query = f"?k={k}" if k else ""
        assert anyone.get(page + query).status_code == 404
        assert anyone.get(text + query).status_code == 404
        shown = anyone.get(f"/materials/{mid}.json{query}")
        assert "整改报告" not in shown.get_data(as_text=True)
    assert anyone.get(f"/materials/{mid}/{pdf['id']}/1?k={key}").status_code == 404
    # not the sitting's materials: not listed, not counted for 缺少材料, not deletable there
    listed = api.get(f"/meetings/{mid}/materials").get_json()
    assert [m["name"] for m in listed["materials"]] == ["材料.pdf"]
    assert listed["missing"] == [item]
    card_page = anyone.get(f"/v/{s['cards'][0]['token']}").get_data(as_text=True)
    assert "整改报告" not in card_page
    api.send("DELETE", f"/meetings/{mid}/materials/{pdf['id']}", None, 404)
    # deleted through the follow-up's route, its files gone
    api.send("DELETE", f"/meetings/{mid}/followups/{s['other']}/files/{pdf['id']}", None, 404)
    api.send("DELETE", f"/meetings/{mid}/followups/{item}/files/{pdf['id']}", None, 200)
    assert [f["name"] for f in ledger_row(api, item)["files"]] == ["说明.docx"]
    assert api.client.get(page, headers=api.headers).status_code == 404
    assert api.get("/verify").get_json()["ok"] is True


def test_a_wrong_file_or_an_item_without_follow_up_is_refused(app, api):
    s = short(api)
    mid, item = s["mid"], s["item"]
    r = send(api, mid, item, EXE, "整改报告.pdf")
    assert r.status_code == 400 and r.get_json()["error"] == "wrong_type"
    assert "整改报告.pdf" in r.get_json()["message"]
    assert send(api, mid, s["other"], pdf_bytes(1), "a.pdf").status_code == 404  # no follow-up
    assert send(api, mid + 1, item, pdf_bytes(1), "a.pdf").status_code == 404
    r = api.client.post(f"/api/meetings/{mid}/followups/{item}/files", headers=api.headers,
                        data={}, content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 400 and r.get_json()["error"] == "no_file"
    anonymous = app.test_client()
    url = f"/api/meetings/{mid}/followups/{item}/files"
    r = anonymous.post(url, data={"file": (io.BytesIO(pdf_bytes(1)), "a.pdf")},
                       content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 401
    login(anonymous, ADMIN_TOKEN)  # a login without the page's CSRF token
    r = anonymous.post(url, data={"file": (io.BytesIO(pdf_bytes(1)), "a.pdf")},
                       content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 400 and r.get_json()["error"] == "bad_request"
    assert ledger_row(api, item)["files"] == []


def test_a_rehearsal_turned_real_loses_its_follow_ups_files(app, api):
    s = short(api, rehearsal=True)
    mid, item = s["mid"], s["item"]
    made = send(api, mid, item, pdf_bytes(1), "演练整改.pdf").get_json()
    store = app.extensions["ceping"].store
    kept = store.materials.instance / "materials" / str(mid) / str(made["id"])
    assert kept.is_dir()
    api.post(f"/meetings/{mid}/make-real", {"confirm": True}, 200)
    assert not kept.exists()
    page = f"/materials/{mid}/{made['id']}/1"
    assert api.client.get(page, headers=api.headers).status_code == 404
    listed = api.get(f"/meetings/{mid}/materials").get_json()["materials"]
    assert [m["name"] for m in listed] == ["材料.pdf"]  # the sitting's material stays
