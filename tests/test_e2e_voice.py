"""End to end: voice notes as first-class content — a resident who can't type raises a request by voice, the
member hears it with the card and answers by voice, the resident hears the answer; every file lands on disk.

Routing on the sample roster: 教育 from 合作市 goes to 孙凯凯 (GS0021).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from models import Case, CaseMessage, MediaFile, VoiceNote
from tests.conftest import bind, make_settings
from tests.support.case_flows import press


@pytest.fixture
def settings(database_url, fake, tmp_path):
    return make_settings(database_url, fake, media_dir=str(tmp_path / "media"))


@pytest.fixture
async def member(fake, db, roster, app):
    return await bind(fake, db, 8021, "GS0021", "孙凯凯")


async def to_description(user, command: str = "/request"):
    await user.send(command)
    step = await user.expect_message()
    step = await press(user, "教育", step)
    for name in ("甘肃省", "甘南藏族自治州", "合作市"):
        step = await press(user, name, step)
    step = await press(user, "✔ 就在合作市", step)
    assert "请描述您遇到的问题" in step.text and "发语音" in step.text
    return step


async def voice_only_request(resident, durations=(60, 42)):
    """Up to the card, by voice only; returns (the card, the voices played back before it)."""
    await to_description(resident)
    for n, seconds in enumerate(durations, start=1):
        await resident.send_voice(seconds)
        added = await resident.expect_message()
        assert f"已收到第 {n}/5 条语音" in added.text
    photos = await press(resident, "完成", added)
    assert "照片" in photos.text
    contact = await press(resident, "跳过", photos)
    assert "手机号" in contact.text
    skip = await resident.expect_message()
    await resident.press("跳过", message=skip)
    messages = await resident.expect_messages(len(durations) + 1)
    *voices, card = messages
    return card, voices


async def test_a_request_by_voice_only_reaches_the_member_who_answers_by_voice(fake, db, member, app, settings
                                                                               ) -> None:
    resident = fake.user(9201, first_name="老马")
    card, played = await voice_only_request(resident)
    assert [m.method for m in played] == ["sendVoice", "sendVoice"]
    assert "语音 1/2（1:00）" in played[0].caption and "语音 2/2（0:42）" in played[1].caption
    assert "🎤 语音 2 条（共 1:42）" in card.text and "语音，请收听" in card.text
    submitted = await press(resident, "确认提交", card)
    async with db.session() as session:
        (case,) = (await session.exec(select(Case))).all()
        voices = (await session.exec(select(VoiceNote).order_by(VoiceNote.position))).all()
    assert case.number in submitted.text and case.description == ""
    assert [(v.case_id, v.duration, v.message_id) for v in voices] == [(case.id, 60, None), (case.id, 42, None)]

    # the member: the card says there are voices, and they follow as voice messages
    member_card, *heard = await member.expect_messages(3)
    assert "🎤 语音 2 条（共 1:42）" in member_card.text and case.number in member_card.text
    assert [m.method for m in heard] == ["sendVoice", "sendVoice"]
    assert [m.payload["voice"]["file_id"] for m in heard] == [v.file_id for v in voices]
    assert case.number in heard[0].caption

    # the member accepts and answers by voice; the resident hears it
    await member.press("✅ 接收", message=member_card)
    await member.expect_message()
    await resident.expect_message()  # 已接收
    await member.press("💬 回复", message=member_card)
    await member.expect_message()
    await member.send_voice(30)
    relayed, answer = await resident.expect_messages(2)
    assert case.number in relayed.text and "🎤 语音（0:30）" in relayed.text
    assert answer.method == "sendVoice" and case.number in answer.caption
    assert "已发送" in (await member.expect_message()).text

    # 补充 by voice from the resident reaches the member
    await resident.press("➕ 补充", message=relayed)
    await resident.expect_message()
    await resident.send_voice(12)
    to_member, voice = await member.expect_messages(2)
    assert "🎤 语音（0:12）" in to_member.text and voice.method == "sendVoice"
    assert "已发送" in (await resident.expect_message()).text
    async with db.session() as session:
        relays = (await session.exec(select(CaseMessage.direction, VoiceNote.duration)
                                     .join(VoiceNote, VoiceNote.message_id == CaseMessage.id)
                                     .order_by(CaseMessage.id))).all()
        queued = (await session.exec(select(MediaFile.kind, MediaFile.seq).order_by(MediaFile.seq))).all()
    assert relays == [("to_resident", 30), ("to_member", 12)]
    assert queued == [("voice", 1), ("voice", 2), ("voice", 3), ("voice", 4)]

    # kept, counted, shown: /mycases and /cases mark the case, its detail lists each voice with its length
    await resident.send("/mycases")
    listing = await resident.expect_message()
    assert "🎤4条 2:24" in listing.text
    detail = await press(resident, f"{case.number} 办理中", listing)
    assert "🎤 群众语音（1:00）" in detail.text and "🎤 委员语音（0:30）" in detail.text
    assert detail.text.index("提交诉求") < detail.text.index("🎤 群众语音（1:00）") < detail.text.index("🎤 委员语音（0:30）")
    await member.send("/cases")
    listing = await member.expect_message()
    assert case.number in listing.text and "🎤4条 2:24" in listing.text
    card = await press(member, case.number, listing)
    assert "🎤 群众语音（0:42）" in card.text and "🎤 委员语音（0:30）" in card.text and "🎤 群众语音（0:12）" in card.text

    # the case sheet counts them: 语音（条）and 语音时长
    from bot.db import sync_engine
    from bot.services.exports import case_rows
    from bot.services.rules import Period
    from bot.texts import EXPORT

    engine = sync_engine(db.url)
    with engine.connect() as connection:
        (row,) = case_rows(connection, period=Period(case.year), scopes=None, status_names={}, tz=settings.tz)
    engine.dispose()
    columns = EXPORT["cols_cases"]
    assert len(row) == len(columns)
    assert (row[columns.index("语音（条）")], row[columns.index("语音时长")]) == (4, "2:24")


async def test_voice_at_a_button_step_points_at_the_buttons_and_nothing_crashes(fake, db, member, app) -> None:
    resident = fake.user(9204, first_name="老赵")
    await resident.send("/request")
    await resident.expect_message()
    for kind in ("voice", "audio", "video_note", "sticker", "animation"):
        await resident.send_media(kind)
        assert "请点选上面的按钮" in (await resident.expect_message()).text, kind
    await resident.send_voice(10)  # outside any form
    await resident.send("/cancel")
    await resident.expect_messages(2)


async def test_voice_limits_and_text_with_voice(fake, db, member, app, settings) -> None:
    resident = fake.user(9202, first_name="老王")
    step = await to_description(resident)
    await resident.send_voice(settings.voice_max_seconds + 1)
    assert "超过了 2:00 的上限" in (await resident.expect_message()).text
    await resident.send_media("audio", duration=30, file_size=21 * 1024 * 1024)
    assert "超过 20 MB" in (await resident.expect_message()).text
    await resident.send_media("sticker")
    assert "请直接输入文字" in (await resident.expect_message()).text
    for _ in range(5):
        await resident.send_voice(10)
        await resident.expect_message()
    await resident.send_voice(10)
    assert "最多 5 条语音" in (await resident.expect_message()).text
    # with voices, a short text is enough: it goes on at once
    await resident.send("校车")
    assert "照片" in (await resident.expect_message()).text
    assert step is not None


async def test_record_takes_voice_too(fake, db, member, app) -> None:
    await member.send("/record")
    await member.expect_message()
    await member.send("马大爷")
    phone = await member.expect_message()
    step = await press(member, "跳过", phone)
    step = await press(member, "教育", step)
    step = await press(member, "不确定 / 跳过", step)
    assert "发语音" in step.text
    await member.send_voice(75)
    added = await member.expect_message()
    await member.send("校车问题")  # a few words as well as the voice
    photos = await member.expect_message()
    assert "已收到第 1/5 条语音（1:15）" in added.text and "照片" in photos.text
    await member.press("跳过", message=photos)
    played, card = await member.expect_messages(2)
    assert played.method == "sendVoice" and "🎤 语音 1 条（共 1:15）" in card.text and "校车问题" in card.text
    await press(member, "确认提交", card)
    async with db.session() as session:
        case = (await session.exec(select(Case))).one()
        voice = (await session.exec(select(VoiceNote))).one()
    assert case.requester_name == "马大爷" and case.description == "校车问题"
    assert (voice.case_id, voice.duration) == (case.id, 75)


async def to_log_summary(fake, db, telegram_id: int):
    """A bound member in /log, at the summary step (which takes voice notes)."""
    user = await bind(fake, db, telegram_id, "GS0003", "胡刚")
    await user.send("/log")
    await user.expect_message()
    await press(user, "主动走访")
    await press(user, "今天")
    await press(user, "临夏渭源社区")
    await user.send("12")
    assert "发语音" in (await user.expect_message()).text
    return user


async def test_log_keeps_a_voice_note_as_evidence_next_to_a_short_title(fake, db, roster, app, settings) -> None:
    from models import Activity

    user = await to_log_summary(fake, db, 5001)
    await user.send_voice(95)
    assert "至少 4 个字" in (await user.expect_message()).text
    await user.send("走访")  # 2 characters: too short even with a voice
    assert "至少写 4 个字" in (await user.expect_message()).text
    await user.send("走访老人")
    photos = await user.expect_message()
    card = await press(user, "跳过", photos)
    assert "🎤 语音 1 条（共 1:35）" in card.text
    await press(user, "确认提交", card)
    async with db.session() as session:
        activity = (await session.exec(select(Activity))).one()
        voice = (await session.exec(select(VoiceNote))).one()
        queued = (await session.exec(select(MediaFile))).all()
    assert activity.summary == "走访老人" and (voice.activity_id, voice.duration, voice.case_id) == (activity.id, 95, None)
    assert [(q.owner_kind, q.owner_id, q.kind) for q in queued] == [("activity", activity.id, "voice")]
    (job,) = app.job_queue.get_jobs_by_name("fetch_media")
    await job.run(app)
    kept = Path(settings.media_dir) / "activity" / f"A{activity.id:06d}" / "01-voice.ogg"
    assert kept.read_bytes() == fake.files[voice.file_id].content

    # edited later: the voice kept counts, so the 4-character title stays valid; the sheet counts it
    await user.send("/my")
    await user.expect_message()
    await user.press(f"#{activity.id} {activity.activity_date:%m-%d} 查看/修改")
    await user.expect_message()
    edit = await press(user, "编辑")
    assert "🎤 语音 1 条（共 1:35）" in edit.text
    await press(user, "修改", edit)
    await press(user, "人次")
    await user.send("20")
    card = await user.expect_message()
    await press(user, "确认提交", card)
    async with db.session() as session:
        activity = (await session.exec(select(Activity))).one()
        assert len((await session.exec(select(VoiceNote))).all()) == 1
    assert activity.people == 20 and activity.summary == "走访老人"

    from bot.db import sync_engine
    from bot.services.exports import activity_rows
    from bot.services.rules import Period
    from bot.texts import EXPORT

    engine = sync_engine(db.url)
    with engine.connect() as connection:
        (row,) = activity_rows(connection, period=Period(activity.year), scopes=None, kind_names={}, tz=settings.tz)
    engine.dispose()
    assert row[EXPORT["cols_activities"].index("语音（条）")] == 1


async def test_log_refuses_a_voice_too_long_and_one_over_the_limit(fake, db, roster, app, settings) -> None:
    user = await to_log_summary(fake, db, 5002)
    await user.send_voice(settings.voice_max_seconds + 1)
    assert "超过了 2:00 的上限" in (await user.expect_message()).text
    for count in range(1, 6):
        await user.send_voice(10)
        assert f"已附语音 {count} 条" in (await user.expect_message()).text
    await user.send_voice(10)
    assert "最多 5 条语音" in (await user.expect_message()).text
    await user.send("走访老人")
    card = await press(user, "跳过", await user.expect_message())
    assert "🎤 语音 5 条（共 0:50）" in card.text


async def test_every_photo_and_voice_lands_on_disk_once_and_check_fetches_what_went_missing(
        fake, db, member, app, settings, tmp_path, capsys) -> None:
    import argparse

    from bot.cli import media as media_cli

    resident = fake.user(9203, first_name="老李")
    await to_description(resident)
    await resident.send_voice(20)
    added = await resident.expect_message()
    photos = await press(resident, "完成", added)
    await resident.send_photo()
    await resident.expect_message()
    contact = await press(resident, "完成", photos)
    assert "手机号" in contact.text
    skip = await resident.expect_message()
    await resident.press("跳过", message=skip)
    *_, card = await resident.expect_messages(2)
    await press(resident, "确认提交", card)
    async with db.session() as session:
        case = (await session.exec(select(Case))).one()
        queued = (await session.exec(select(MediaFile).order_by(MediaFile.seq))).all()
    assert [(q.kind, q.seq, q.status.value) for q in queued] == [("photo", 1, "pending"), ("voice", 2, "pending")]

    # the job (as the JobQueue runs it) keeps them on disk, named by case number and sequence
    media_dir = Path(settings.media_dir)
    (job,) = app.job_queue.get_jobs_by_name("fetch_media")
    fake.fail_next("getFile", code=400, description="Bad Request: temporarily unavailable")
    await job.run(app)
    photo = media_dir / "case" / case.number / "01-photo.jpg"
    assert not photo.exists()
    async with db.session() as session:
        statuses = (await session.exec(select(MediaFile.status).order_by(MediaFile.seq))).all()
    assert [s.value for s in statuses] == ["failed", "done"]  # a 400 is given up on; `media check` tries again
    assert await media_cli.check(settings, argparse.Namespace()) == 0
    assert "第 1 个（photo，下载失败）" in capsys.readouterr().out
    photo = media_dir / "case" / case.number / "01-photo.jpg"
    voice = media_dir / "case" / case.number / "02-voice.ogg"
    assert photo.read_bytes() == fake.files[queued[0].file_id].content
    assert voice.read_bytes() == fake.files[queued[1].file_id].content
    calls = len([c for c in fake.calls if c.method == "getFile"])
    await job.run(app)  # exactly once: nothing left to fetch
    assert len([c for c in fake.calls if c.method == "getFile"]) == calls

    # a file lost on disk: `media check` lists it and fetches it again; export copies the case's files
    voice.unlink()
    assert await media_cli.check(settings, argparse.Namespace()) == 0
    out = capsys.readouterr().out
    assert "有 1 个文件不在盘上" in out and f"{case.number} 第 2 个（voice，已被删除）" in out and "仍缺 0 个" in out
    assert voice.is_file()
    assert await media_cli.check(settings, argparse.Namespace()) == 0
    assert "全部照片和语音都已保存" in capsys.readouterr().out
    target = tmp_path / "filing"
    assert await media_cli.export_case(settings, argparse.Namespace(case=case.number, out=target)) == 0
    assert sorted(p.name for p in target.iterdir()) == [f"{case.number}-01-photo.jpg", f"{case.number}-02-voice.ogg"]
    assert await media_cli.export_case(settings, argparse.Namespace(case="2026-999999", out=target)) == 1


async def test_when_nobody_fits_the_staff_hear_the_voices_with_the_card(fake, db, roster, app) -> None:
    from tests.conftest import ADMIN_ID

    admin = fake.user(ADMIN_ID, first_name="管理员")
    resident = fake.user(9205, first_name="老孙")
    card, _ = await voice_only_request(resident, durations=(33,))
    await press(resident, "确认提交", card)
    staff_card, voice = await admin.expect_messages(2)
    assert "没有合适的委员" in staff_card.text and "🎤 语音 1 条（共 0:33）" in staff_card.text
    assert voice.method == "sendVoice" and "0:33" in voice.caption


async def test_a_voice_that_cannot_be_played_back_still_leaves_the_card(fake, db, member, app) -> None:
    resident = fake.user(9206, first_name="老周")
    await to_description(resident)
    await resident.send_voice(8)
    photos = await press(resident, "完成", await resident.expect_message())
    await press(resident, "跳过", photos)
    skip = await resident.expect_message()
    fake.fail_next("sendVoice", code=400, description="Bad Request: wrong file identifier")
    await resident.press("跳过", message=skip)
    card = await resident.expect_message()
    assert "🎤 语音 1 条（共 0:08）" in card.text and card.buttons[0] == ["确认提交"]
