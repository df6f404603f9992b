"""Voice notes' rules and the queue that keeps photos and voices on disk: limits, numbering, exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import func, select

from bot.services import media
from bot.services.lifecycle import CaseProblem
from bot.services.media import MediaProblem, Voice, check_voice, clock
from models import Case, MediaFile, MediaStatus, VoiceNote
from tests.test_cases import T0, new_case, world  # noqa: F401 - the fixture


def test_a_voice_note_within_the_limits_and_its_length_as_a_player_shows_it() -> None:
    check_voice(duration=120, size=1000, max_seconds=120)
    check_voice(duration=None, size=20 * 1024 * 1024, max_seconds=120)  # exactly 20 MB still downloads
    with pytest.raises(MediaProblem) as long:
        check_voice(duration=121, size=None, max_seconds=120)
    assert long.value.code == "too_long" and long.value.detail == {"high": "2:00", "length": "2:01"}
    with pytest.raises(MediaProblem) as big:
        check_voice(duration=10, size=20 * 1024 * 1024 + 1, max_seconds=120)
    assert big.value.code == "too_big" and big.value.detail == {"high": 20}
    assert [clock(s) for s in (0, 9, 60, 102, 3599, 3600, 3723)] == ["0:00", "0:09", "1:00", "1:42", "59:59",
                                                                     "1:00:00", "1:02:03"]
    voice = Voice("f", "u", 12, "audio")
    assert Voice.from_list(voice.as_list()) == voice and Voice.from_list(["f", "u", 3]).kind == "voice"


async def test_voice_only_needs_no_ten_characters_and_five_at_most(world) -> None:
    voices = [Voice(f"v{n}", f"u{n}", 10 + n) for n in range(5)]
    case = await new_case(world, text="", data={"voices": voices, "photos": [("p1", "pu1")] * 5})
    async with world["db"].session() as session:
        stored = (await session.exec(select(VoiceNote).order_by(VoiceNote.position))).all()
        queued = (await session.exec(select(MediaFile.kind, MediaFile.seq).order_by(MediaFile.seq))).all()
    assert case.description == "" and [v.duration for v in stored] == [10, 11, 12, 13, 14]
    # the five identical photos are one file: kept once; the voices after it, numbered on
    assert queued == [("photo", 1), ("voice", 2), ("voice", 3), ("voice", 4), ("voice", 5), ("voice", 6)]
    for kw, code in (({"text": "", "data": {"voices": voices * 2}}, "voices_too_many"),
                     ({"text": "", "resident": "r2"}, "description_length"),  # no voice: the minimum holds
                     ({"text": "短", "resident": "r2", "data": {"voices": voices[:1]}}, None)):
        if code is None:
            await new_case(world, **kw)  # with a voice, a word or two is enough
            continue
        with pytest.raises(CaseProblem) as caught:
            await new_case(world, **kw)
        assert caught.value.code == code


async def test_the_queue_keeps_each_file_once_and_two_claims_never_share_a_row(world, tmp_path) -> None:
    db = world["db"]
    case = await new_case(world, data={"voices": [Voice("v1", "u1", 5)], "photos": [("p1", "pu1")]})
    async with db.session() as session:
        case = await session.get(Case, case.id)
        assert await media.queue_case(session, case=case, now=T0) == 0  # queued with the case already
        first = await media.claim(session, limit=1, now=T0)
        second = await media.claim(session, limit=5, now=T0)
        await session.commit()
    assert [r.seq for r in first] == [1] and [r.seq for r in second] == [2]
    async with db.session() as session:
        assert await media.claim(session, limit=5, now=T0) == []  # both held, the lease not over
        again = await media.claim(session, limit=5, now=T0 + timedelta(minutes=6))  # a downloader died
        await session.commit()
    assert len(again) == 2
    row = again[0]
    async with db.session() as session:  # a late answer under the old claim changes nothing
        assert not await media.mark_done(session, row_id=row.id, claimed_by=first[0].claimed_by, path="x", size=1,
                                         now=T0)
        assert await media.mark_done(session, row_id=row.id, claimed_by=row.claimed_by,
                                     path=media.relative_path(row), size=3, now=T0)
        other = again[1]
        for attempt in range(1, 6):  # retried later each time, given up after the fifth failure
            status = await media.mark_failed(session, row_id=other.id, claimed_by=other.claimed_by, error="502",
                                             attempts=attempt, now=T0)
            other.claimed_by = None
            assert status is (MediaStatus.failed if attempt == 5 else MediaStatus.pending)
        await session.commit()
    assert media.relative_path(row) == f"case/{case.number}/01-photo.jpg"
    (tmp_path / "case" / case.number).mkdir(parents=True)
    (tmp_path / media.relative_path(row)).write_bytes(b"jpg")
    async with db.session() as session:
        missing = await media.missing(session, media_dir=tmp_path)
        assert [m.seq for m in missing] == [2]
        assert await media.fetch_again(session, ids=[m.id for m in missing]) == 1
        await session.commit()
        (tmp_path / media.relative_path(row)).unlink()  # deleted on disk: missing again
        assert [m.seq for m in await media.missing(session, media_dir=tmp_path)] == [1, 2]
        assert (await session.exec(select(func.count()).select_from(MediaFile)
                                   .where(MediaFile.status == MediaStatus.pending))).one() == 1
