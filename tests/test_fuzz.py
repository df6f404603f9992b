"""2,000 random updates from hostile and unlucky users: no traceback, and everything answered.

Random unicode text, commands (with junk arguments), menu labels, photos, documents,
contacts, voice notes (too long ones too), audio files (a 20 MB one too), video notes, stickers,
animations, real buttons and forged callback data (over-long and non-ASCII ids, values a
form never offered, empty data), from bound members and from people who are not. One
action at a time, each waited for, so a failure names the action that caused it.
Reproduce one with LIANXIN_FUZZ_SEED; LIANXIN_FUZZ_UPDATES changes the count.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random

from tests.conftest import ADMIN_ID, bind

UPDATES = int(os.environ.get("LIANXIN_FUZZ_UPDATES", "2000"))
SEED = int(os.environ.get("LIANXIN_FUZZ_SEED", "20261127"))

# code point ranges: ASCII, Latin-1, CJK, full-width forms, superscripts and other digits,
# Arabic (RTL), combining marks, zero-width and bidi controls, emoji (astral plane)
RANGES = [(0x20, 0x7E), (0xA0, 0xFF), (0x4E00, 0x4FFF), (0xFF01, 0xFF5E), (0x2070, 0x209C), (0x0660, 0x0669),
          (0x0600, 0x06FF), (0x0300, 0x036F), (0x200B, 0x200F), (0x202A, 0x202E), (0x1F300, 0x1F6FF)]
COMMANDS = ["/start", "/help", "/my", "/log", "/cancel", "/archive", "/status", "/nonsense", "/log@lianxin_test_bot",
            "/start ABCDEFGHJKMNPQRS", "/start " + "²" * 20, "/my 2026Q4", "/log extra words", "/request", "/record"]
MENU = ["📝 登记活动", "📊 我的进度", "📁 履职档案", "❓ 帮助"]
FORGED = [
    "act:view:99999999999999999999999", "act:view:²", "act:edit:99999999999999999999999", "act:edit:²",
    "act:del:9223372036854775808", "act:delok:-1", "act:view:", "act:view:1:2", "act:zzz:1",
    "my:p:2026Q4:99999999999999999999", "my:q:2026Q9:0", "my:p:abc:0", "my:x:2026Q4:0", "my:q:2026Q4:²",
    "log:000000:kind:visit", "log", "log:::", ":", "", "\u202e", "数据",
]
FORM_VALUES = {"date": ["5", "-1", "²", "99999999999999999999"], "place": ["²", "99999999999999999999999", "0", ""],
               "kind": ["zzz", ""], "photos": ["zzz"], "confirm": ["zzz"], "field": ["zzz"], "dup": ["zzz"],
               "cancel": [""], "zzz": ["1"]}


def random_text(rng: random.Random) -> str:
    chars = []
    for _ in range(rng.randint(1, 40)):
        low, high = rng.choice(RANGES)
        chars.append(chr(rng.randint(low, high)))
    text = "".join(chars)
    return text if text.strip() else text + "x"


def form_nonce(user) -> str | None:
    """The nonce of the newest form button this user was shown, if any."""
    for message in reversed(user.messages):
        for data in message.button_data.values():
            if data.startswith("log:"):
                return data.split(":")[1]
    return None


async def act(rng: random.Random, user) -> tuple[str, str]:
    """One random action; returns (what was done, how it must be answered: 'message' or 'answer')."""
    roll = rng.random()
    keyboards = [m for m in user.messages[-5:] if m.inline_keyboard and not m.deleted]
    if roll < 0.25 and keyboards:
        message = rng.choice(keyboards)
        data = rng.choice(list(message.button_data.values()))
        await user.press_data(data, message=message)
        return f"press {data!r}", "answer"
    if roll < 0.45 and keyboards:
        nonce = form_nonce(user) or f"{rng.getrandbits(24):06x}"
        if rng.random() < 0.5:
            action = rng.choice(list(FORM_VALUES))
            data = f"log:{nonce}:{action}:{rng.choice(FORM_VALUES[action])}"
        else:
            data = rng.choice(FORGED)
        await user.press_data(data, message=rng.choice(keyboards))
        return f"forged press {data!r}", "answer"
    if roll < 0.60:
        text = rng.choice(COMMANDS)
    elif roll < 0.68:
        text = rng.choice(MENU)
    elif roll < 0.74:
        await user.send_photo()
        return "photo", "message"
    elif roll < 0.76:
        await user.send_document("x.pdf", b"%PDF-1.4 fuzz", mime_type="application/pdf")
        return "document", "message"
    elif roll < 0.78:
        await user.share_contact(rng.choice(["13800138000", "+86 139 0000 0000", "12345", "²"]))
        return "contact", "message"
    elif roll < 0.84:
        kind = rng.choice(["voice", "voice", "audio", "video_note", "sticker", "animation"])
        duration = rng.choice([0, 1, 30, 120, 121, 3600])
        size = 21 * 1024 * 1024 if kind == "audio" and rng.random() < 0.3 else None
        await user.send_media(kind, duration=duration, file_size=size)
        return f"{kind} ({duration} s, {size or 'small'})", "message"
    else:
        text = random_text(rng)
    await user.send(text)
    return f"text {text!r}", "message"


async def test_random_updates_never_crash_and_are_all_answered(fake, db, roster, runner, settings, caplog) -> None:
    caplog.set_level(logging.INFO)
    app = await runner.start(settings)
    users = [
        await bind(fake, db, 5001, "GS0003", "胡刚"),
        await bind(fake, db, 5002, "GS0004", "郑涛超"),
        fake.user(6001, first_name="居民"),
        fake.user(6002, first_name="<b>&amp;</b>", username="x" * 32),
        fake.user(ADMIN_ID, first_name="管理员"),
    ]
    rng = random.Random(SEED)
    done = 0
    while done < UPDATES:
        user = rng.choice(users)
        what, answer = await act(rng, user)
        done += 1
        try:
            if answer == "answer":
                await user.expect_answer(timeout=10)
            else:
                await user.expect_message(timeout=10)
        except AssertionError as failure:
            raise AssertionError(f"update {done} (seed {SEED}): {what} got no answer\n{failure}") from None
        await asyncio.wait_for(app.update_queue.join(), 10)  # every reply of this update is out
        if runner.errors:
            raise AssertionError(f"update {done} (seed {SEED}): {what} raised {runner.errors!r}")
    tracebacks = [r for r in caplog.records if r.exc_info and r.levelno >= logging.INFO]
    assert tracebacks == [], [r.getMessage() for r in tracebacks]
    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith(("bot", "handlers"))]
    assert failures == []
