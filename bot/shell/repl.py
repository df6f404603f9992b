"""The shell's read-eval-print loop: what is typed goes to the bot as the current person; what the bot
sends is printed (to others as `→ 名字：…`); numbers press buttons (`=2` sends the text 2); /as, /contact,
/photo, /voice, /location, /doc and /time act as Telegram would."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.history import InMemoryHistory
from rich.console import Console
from rich.text import Text

from bot.config import Settings
from bot.shell.render import body, button_line, buttons, keyboard_line
from bot.shell.world import World
from bot.texts import cli_text

DEMO_PHONE = "13800138000"
JUMP = re.compile(r"\+(\d+)([dhm])")
UNITS = {"d": "days", "h": "hours", "m": "minutes"}
TEXT_MARK = "="  # a line starting with it is sent as it is after it: "=2" sends the number, not button 2


class Shell:
    def __init__(self, world: World, console: Console) -> None:
        self.world = world
        self.console = console
        self.shown: dict[tuple[int, int], int] = {}  # message → edits already printed
        self.answers: dict[int, int] = {}  # user → callback answers already printed
        self.keyboards: dict[int, list[list[str]] | None] = {}  # user → reply keyboard last printed

    def skip_earlier(self) -> None:
        """What the bot sent while the world was set up is not news, except to whom one is now."""
        me = self.world.current.user.id
        for message in self.world.sent():
            if message.chat_id != me:
                self.shown[(message.chat_id, message.message_id)] = message.edit_count

    def say(self, key: str, **values: object) -> None:
        self.console.print(Text(cli_text(key, **values)))

    # --- what the bot did since the last look ----------------------------------------------------

    def show(self) -> None:
        world = self.world
        me = world.current.user.id if world.current else None
        for message in world.sent():
            key = (message.chat_id, message.message_id)
            if key in self.shown and self.shown[key] == message.edit_count:
                continue
            edited = key in self.shown
            self.shown[key] = message.edit_count
            if message.deleted:
                continue
            text = Text()
            if message.chat_id != me:
                text.append(cli_text("shell_to", who=world.label_of(message.chat_id)), style="bold green")
            elif edited:
                text.append(cli_text("shell_edited"), style="dim")
            text.append_text(body(message))
            self.console.print(text)
            if message.inline_keyboard and message.chat_id == me:
                self.console.print(button_line(message))
        if world.current is not None:
            user = world.current.user
            for answer in user.answers[self.answers.get(user.id, 0):]:
                if answer.text:
                    self.say("shell_toast", text=answer.text)
            self.answers[user.id] = len(user.answers)

    def keyboard(self) -> None:
        """The reply keyboard under the input field, when it is new to the one typing."""
        user = self.world.current.user
        rows = user.reply_keyboard
        if rows and self.keyboards.get(user.id) != rows:
            self.console.print(keyboard_line(rows))
        self.keyboards[user.id] = rows

    # --- one line typed --------------------------------------------------------------------------

    async def handle(self, line: str) -> bool:
        """Act on one typed line; False to leave."""
        if not line:
            return True
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        user = self.world.current.user
        if word in ("/quit", "/exit"):
            return False
        if word == "/shell":
            self.say("shell_commands")
        elif word == "/who":
            for persona in self.world.personas.values():
                self.say("shell_who", marker="*" if persona is self.world.current else " ", who=persona.label)
        elif word == "/as":
            await self.switch(rest)
        elif word == "/contact":
            await user.share_contact(rest or DEMO_PHONE)
        elif word == "/location":
            await self.location(rest)
        elif word in ("/photo", "/doc", "/voice"):
            await self.send_file(word, rest)
        elif word == "/time":
            await self.jump(rest)
        elif line.startswith(TEXT_MARK) and len(line) > len(TEXT_MARK):  # "=2" is the text 2, not button 2
            await user.send(line[len(TEXT_MARK):])
        elif re.fullmatch(r"\d+", line):
            await self.press(int(line))
        elif re.fullmatch(r"[kK]\d+", line):
            await self.press_key(int(line[1:]))
        else:
            await user.send(line)
        return True

    async def switch(self, rest: str) -> None:
        kind, _, value = rest.partition(" ")
        value = value.strip()
        world = self.world
        if kind == "resident" and (value.isdigit() or not value):
            persona = await world.resident(int(value or 1))
        elif kind == "member" and value:
            persona = await world.member(value)
            if persona is None:
                self.say("shell_no_member", number=value)
                return
        elif kind == "coordinator":
            persona = await world.coordinator()
            if persona is None:
                self.say("shell_no_coordinator")
                return
        elif kind == "admin":
            persona = world.admin()
        else:
            self.say("shell_as_usage")
            return
        self.show()  # what binding a new member printed, before the switch
        world.current = persona
        self.keyboards.pop(persona.user.id, None)
        self.say("shell_you_are", who=persona.label)
        waiting = next((m for m in reversed(persona.user.messages) if m.inline_keyboard and not m.deleted), None)
        if waiting is not None:  # the buttons waiting for this person, to press by number
            self.console.print(body(waiting))
            self.console.print(button_line(waiting))

    async def press(self, n: int) -> None:
        """Press button n of the newest message of one's own chat that has buttons."""
        user = self.world.current.user
        message = next((m for m in reversed(user.messages) if m.inline_keyboard and not m.deleted), None)
        chosen = next((b for b in buttons(message) if b.number == n), None) if message else None
        if chosen is None:
            self.say("shell_no_button", n=n)
        elif chosen.data is None:
            self.say("shell_not_pressable", text=chosen.text)
        else:
            await user.press_data(chosen.data, message=message)

    async def press_key(self, n: int) -> None:
        user = self.world.current.user
        keys = [text for row in user.reply_keyboard or [] for text in row]
        if not 1 <= n <= len(keys):
            self.say("shell_no_button", n=f"k{n}")
            return
        if keys[n - 1].startswith("📱"):  # a contact request button shares the phone, as in Telegram
            await user.share_contact(DEMO_PHONE)
        else:
            await user.send(keys[n - 1])

    async def location(self, rest: str) -> None:
        try:
            latitude, longitude = (float(x) for x in rest.split())
        except ValueError:
            self.say("shell_location_usage")
            return
        await self.world.current.user.send_location(latitude, longitude)

    async def send_file(self, word: str, rest: str) -> None:
        parts = rest.split()
        if not parts:
            self.say("shell_voice_usage" if word == "/voice" else "shell_file_missing", path="")
            return
        path = Path(parts[0]).expanduser()
        if not path.is_file():
            self.say("shell_file_missing", path=path)
            return
        user = self.world.current.user
        content = path.read_bytes()
        if word == "/photo":
            await user.send_photo(content=content)
        elif word == "/doc":
            await user.send_document(path.name, content)
        else:
            seconds = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 5
            await user.send_voice(content=content, duration=seconds)

    async def jump(self, rest: str) -> None:
        found = JUMP.fullmatch(rest.replace(" ", ""))
        if not found:
            self.say("shell_time_usage")
            return
        delta = timedelta(**{UNITS[found.group(2)]: int(found.group(1))})
        await self.world.advance(delta)
        tz = self.world.application.settings.tz
        self.say("shell_time_now", now=self.world.now().astimezone(tz).strftime("%Y-%m-%d %H:%M"))


async def run_shell(base: Settings, *, database_url: str | None, log_file: Path | None = None) -> int:
    console = Console(highlight=False, soft_wrap=True, )
    console.print(Text(cli_text("shell_starting")))
    if database_url:
        console.print(Text(cli_text("shell_real_db", url=database_url), style="bold red"))
    world = await World.open(base, database_url=database_url)
    shell = Shell(world, console)
    shell.skip_earlier()
    shell.show()
    console.print(Text(cli_text("shell_ready", who=world.current.label, log=log_file or "-")))
    prompt: PromptSession[str] = PromptSession(history=InMemoryHistory())
    try:
        # everything is printed between two prompts (what came meanwhile, after the next line), so
        # nothing writes under the prompt and no stdout patching is needed
        while True:
            shell.keyboard()
            try:
                line = await prompt.prompt_async(f"[{world.current.label}] > ")
            except KeyboardInterrupt:
                continue
            except EOFError:
                break
            if not await shell.handle(line.strip()):
                break
            await world.settle()
            shell.show()
    finally:
        await world.close()
        await asyncio.sleep(0)
    console.print(Text(cli_text("shell_bye" if database_url is None else "shell_bye_db")))
    return 0
